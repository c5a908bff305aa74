import { describe, expect, it } from 'vitest';
import { collectStatus } from '../../src/core/inspect/status.js';
import { aConfig, MemoryVariableStore } from '../support/builders.js';

const NOW = Date.parse('2026-11-22T06:00:00Z');
const US = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const API = { owner: { kind: 'project' as const, id: 'platform/api' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: '*' };
const fresh = (extra: Record<string, unknown>) =>
  JSON.stringify({ auths: { [US]: { auth: 'QVdTOng=' } }, ecrGitlabRefresher: { refreshedAt: '2026-11-22T05:00:00Z', expiresAt: { [US]: '2026-11-22T17:00:00Z' } }, ...extra });

describe('Function: collectStatus', () => {
  it('says fresh entries are ok, and overridden when a credHelpers entry or credsStore would take over', async () => {
    const variables = new MemoryVariableStore();
    variables.set(API, { value: fresh({}), masked: true });
    expect((await collectStatus(aConfig(), variables, undefined, NOW)).targets[0]).toMatchObject({ state: 'ok' });
    variables.set(API, { value: fresh({ credHelpers: { [`https://${US}`]: 'ecr-login' } }), masked: true });
    const report = await collectStatus(aConfig(), variables, undefined, NOW);
    expect(report.ok).toBe(false);
    expect(report.targets[0]).toMatchObject({ state: 'overridden', detail: 'cred-helpers' });
  });

  it('lists unmasked credentials without calling them stale', async () => {
    const variables = new MemoryVariableStore();
    variables.set(API, { value: fresh({}), masked: false });
    const entry = (await collectStatus(aConfig(), variables, undefined, NOW)).targets[0];
    expect(entry).toMatchObject({ state: 'ok', warnings: [{ code: 'unmasked' }] });
  });
});
