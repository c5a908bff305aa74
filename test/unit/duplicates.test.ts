import { describe, expect, it } from 'vitest';
import { findDuplicateTargets } from '../../src/core/refresh/duplicates.js';
import { aConfig } from '../support/builders.js';

const paths: Record<string, string> = { 'project:42': 'Platform/API', 'group:7': 'platform' };
const resolve = async (kind: 'project' | 'group', id: string) => {
  const path = paths[`${kind}:${id}`];
  if (!path) throw new Error('404 Project Not Found');
  return path;
};

describe('Function: findDuplicateTargets', () => {
  it('refuses a numeric id that names the same owner, variable and scope as an earlier path target', async () => {
    const config = aConfig({ targets: [{ project: 'platform/api' }, { project: 42 }, { project: 42, environmentScope: 'production' }, { group: 7 }] });
    const duplicates = await findDuplicateTargets(config.targets, resolve);
    expect([...duplicates.entries()].map(([target, reason]) => [target.project, reason])).toEqual([
      ['42', 'project:42 is project:platform/api, which project:platform/api already targets for DOCKER_AUTH_CONFIG: remove one of the two targets'],
    ]);
  });

  it('resolves nothing when no path target of the same kind exists, and ignores ids GitLab cannot resolve', async () => {
    const calls: string[] = [];
    const config = aConfig({ targets: [{ project: 42 }, { project: 43 }, { group: 'platform' }, { group: 99 }] });
    const duplicates = await findDuplicateTargets(config.targets, async (kind, id) => {
      calls.push(`${kind}:${id}`);
      return resolve(kind, id);
    });
    expect(calls).toEqual(['group:99']);
    expect(duplicates.size).toBe(0);
  });
});
