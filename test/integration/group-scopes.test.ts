import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { refreshAgainstEmulator } from '../support/emulator-refresh.js';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';

const TOKEN = 'glpat-group-scope-token-0001';
const STAR_VALUE = JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: 'aHViOmh1Yg==' } }, credHelpers: { 'gcr.io': 'gcloud' } });
let gitlab: GitLabEmulator;
let groupId: number;

async function refreshGroup(target: Record<string, unknown>) {
  const config = validateConfig({
    gitlab: { url: gitlab.url, allowInsecureHttp: true },
    registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
    targets: [{ group: 'team', ...target }],
  });
  return (await refreshAgainstEmulator(config, gitlab.url, TOKEN)).summary;
}

beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
  const bot = gitlab.addUser('bot');
  gitlab.addToken(TOKEN, bot);
  groupId = gitlab.addGroup('team');
  gitlab.addMember('group', groupId, bot, ACCESS.owner);
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  gitlab.clearVariables();
  gitlab.requests.length = 0;
  gitlab.groupScopesLicensed = true;
  gitlab.putVariable({ group: groupId }, { key: 'DOCKER_AUTH_CONFIG', value: STAR_VALUE, raw: true });
});

describe('Group targets in a scope (GitLab overwrites another scope on a group PUT that finds no row)', () => {
  it('on a tier without scoped group variables: fails the target with the explanation, and the "*" value survives', async () => {
    gitlab.groupScopesLicensed = false;
    const summary = await refreshGroup({ environmentScope: 'production' });
    expect(summary.targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('no scoped group variables') });
    expect(gitlab.getVariable({ group: groupId }, 'DOCKER_AUTH_CONFIG', '*')?.value).toBe(STAR_VALUE);
    expect(gitlab.requests.filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('with ownership: full on a scope that has no row yet: reads first, creates that scope, leaves "*" alone', async () => {
    const summary = await refreshGroup({ environmentScope: 'production', ownership: 'full' });
    expect(summary.targets[0]).toMatchObject({ status: 'created', environmentScope: 'production' });
    expect(gitlab.getVariable({ group: groupId }, 'DOCKER_AUTH_CONFIG', '*')?.value).toBe(STAR_VALUE);
    expect(Object.keys(JSON.parse(gitlab.getVariable({ group: groupId }, 'DOCKER_AUTH_CONFIG', 'production')?.value ?? '{}').auths)).toEqual([
      '111111111111.dkr.ecr.us-east-1.amazonaws.com',
    ]);
    expect(gitlab.requests.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('with ownership: full on the same unlicensed tier: still never PUTs over "*"', async () => {
    gitlab.groupScopesLicensed = false;
    const summary = await refreshGroup({ environmentScope: 'production', ownership: 'full' });
    expect(summary.targets[0]?.status).toBe('failed');
    expect(gitlab.getVariable({ group: groupId }, 'DOCKER_AUTH_CONFIG', '*')?.value).toBe(STAR_VALUE);
  });
});
