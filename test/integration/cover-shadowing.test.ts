import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { encodeAuth, METADATA_KEY } from '../../src/core/formats/docker-auth.js';
import { refreshAgainstEmulator } from '../support/emulator-refresh.js';
import { ACCESS, type EmulatedVariable, GitLabEmulator } from '../support/gitlab-emulator.js';

const TOKEN = 'glpat-cover-shadowing-token-01';
const KEY = 'DOCKER_AUTH_CONFIG';
const US = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const HUB = { 'https://index.docker.io/v1/': { auth: 'aHViOmh1Yg==' } };
const theirs = (extra: Record<string, unknown> = {}) => JSON.stringify({ auths: { ...HUB }, ...extra });

let gitlab: GitLabEmulator;
const ids: Record<string, number> = {};

function seed(): void {
  gitlab.clearVariables();
  const put = (owner: { project: number } | { group: number }, variable: Partial<EmulatedVariable> & { key: string; value: string }) => gitlab.putVariable(owner, variable);
  put({ project: ids['corp/a/b/deep'] as number }, { key: KEY, value: theirs(), raw: true });
  put({ project: ids['corp/a/prod-only'] as number }, { key: KEY, value: theirs(), environment_scope: 'production', raw: true });
  put({ group: ids['corp/a'] as number }, { key: KEY, value: theirs({ credHelpers: { 'gcr.io': 'gcloud' } }), raw: true });
  put({ project: ids['corp/hidden'] as number }, { key: KEY, value: theirs(), hidden: true, masked: true, raw: true });
  put({ project: ids['corp/broken'] as number }, { key: KEY, value: 'user:pass' });
  put({ project: ids['corp/explicit'] as number }, { key: KEY, value: theirs(), raw: true });
  put({ project: ids['corp/other-key'] as number }, { key: 'SOMETHING_ELSE', value: 'keep' });
  put({ project: ids['elsewhere/shared'] as number }, { key: KEY, value: theirs(), raw: true });
  put({ project: ids['corp/leaving'] as number }, { key: KEY, value: theirs(), raw: true });
  put({ project: ids['elsewhere/arriving'] as number }, { key: KEY, value: theirs(), raw: true });
  put({ project: ids['prod-group/staging-only'] as number }, { key: KEY, value: theirs(), environment_scope: 'staging', raw: true });
  put({ project: ids['prod-group/review'] as number }, { key: KEY, value: theirs(), environment_scope: 'review/*', raw: true });
  put({ project: ids['prod-group/prod'] as number }, { key: KEY, value: theirs(), environment_scope: 'production', raw: true });
  for (let i = 0; i < 120; i++) if (i % 30 === 0) put({ project: ids[`corp/many/p${i}`] as number }, { key: KEY, value: theirs(), raw: true });
}

async function refresh(targets: Array<Record<string, unknown>>, dryRun = false) {
  const config = validateConfig({
    gitlab: { url: gitlab.url, allowInsecureHttp: true },
    registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
    targets,
  });
  return (await refreshAgainstEmulator(config, gitlab.url, TOKEN, { dryRun, discovery: true })).summary;
}

const value = (owner: { project: number } | { group: number }, scope = '*') => JSON.parse(gitlab.getVariable(owner, KEY, scope)?.value ?? 'null');
const project = (path: string) => ({ project: ids[path] as number });

beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
  const bot = gitlab.addUser('bot');
  gitlab.addToken(TOKEN, bot);
  for (const group of ['corp', 'corp/a', 'corp/a/b', 'corp/many', 'elsewhere', 'prod-group', 'rules']) ids[group] = gitlab.addGroup(group);
  for (const path of ['rules/star', 'rules/prod', 'rules/prod-protected', 'rules/push-open', 'rules/push-protected']) ids[path] = gitlab.addProject(path);
  for (const path of ['corp/a/b/deep', 'corp/a/prod-only', 'corp/hidden', 'corp/broken', 'corp/explicit', 'corp/other-key', 'corp/leaving', 'corp/untouched']) {
    ids[path] = gitlab.addProject(path);
  }
  for (let i = 0; i < 120; i++) ids[`corp/many/p${i}`] = gitlab.addProject(`corp/many/p${i}`);
  for (const path of ['elsewhere/shared', 'elsewhere/arriving', 'prod-group/staging-only', 'prod-group/review', 'prod-group/prod']) ids[path] = gitlab.addProject(path);
  for (const group of ['corp', 'elsewhere', 'prod-group', 'rules']) gitlab.addMember('group', ids[group] as number, bot, ACCESS.owner);
  gitlab.shareProject(ids['elsewhere/shared'] as number, ids.corp as number);
  gitlab.moveProject(ids['corp/leaving'] as number, 'elsewhere/leaving');
  gitlab.moveProject(ids['elsewhere/arriving'] as number, 'corp/arriving');
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  seed();
  gitlab.requests.length = 0;
});

describe('coverShadowing: a group target that reaches every variable below it that would hide its own', () => {
  it('merges fresh entries into every shadowing variable, at any depth and past the first page, and creates none', async () => {
    const before = gitlab.snapshot();
    const summary = await refresh([{ group: 'corp', coverShadowing: true }, { project: 'corp/explicit' }]);
    const byTarget = Object.fromEntries(summary.targets.map((t) => [`${t.target}@${t.environmentScope}`, t]));
    for (const covered of [
      'project:corp/a/b/deep@*',
      'project:corp/a/prod-only@production',
      'group:corp/a@*',
      'project:corp/arriving@*',
      'project:corp/many/p0@*',
      'project:corp/many/p90@*',
    ]) {
      expect(byTarget[covered], covered).toMatchObject({ status: 'updated', via: 'group:corp', hosts: { added: [US], kept: ['https://index.docker.io/v1/'] } });
    }
    const deep = value(project('corp/a/b/deep'));
    expect(deep.auths).toEqual({ ...HUB, [US]: { auth: encodeAuth('AWS', 'pw-own-us-east-1-secret') } });
    expect(deep[METADATA_KEY].expiresAt[US]).toBeDefined();
    expect(value({ group: ids['corp/a'] as number }).credHelpers).toEqual({ 'gcr.io': 'gcloud' });
    expect(value(project('corp/a/prod-only'), 'production').auths[US]).toBeDefined();
    // Never creates a variable below the group.
    expect(gitlab.getVariable(project('corp/untouched'), KEY)).toBeUndefined();
    expect(gitlab.getVariable(project('corp/many/p1'), KEY)).toBeUndefined();
    // Writes address the owner by id: a project that moved keeps working.
    expect(gitlab.requests.some((r) => r.method === 'PUT' && r.path.startsWith(`/api/v4/projects/${ids['elsewhere/arriving']}/variables/`))).toBe(true);
    // Nothing outside the group, nothing shared with it, nothing moved out of it.
    for (const outside of ['elsewhere/shared', 'corp/leaving']) expect(gitlab.snapshot()[`project:${ids[outside]}`]).toEqual(before[`project:${ids[outside]}`]);
    expect(gitlab.getVariable(project('corp/other-key'), 'SOMETHING_ELSE')?.value).toBe('keep');
  });

  it('writes an explicitly targeted variable once, as that target, and fails hidden and non-JSON variables alone, untouched', async () => {
    const summary = await refresh([{ group: 'corp', coverShadowing: true }, { project: 'corp/explicit' }]);
    expect(summary.targets.filter((t) => t.target === 'project:corp/explicit')).toEqual([expect.objectContaining({ status: 'updated' })]);
    expect(summary.targets.find((t) => t.target === 'project:corp/explicit')?.via).toBeUndefined();
    expect(summary.targets.find((t) => t.target === 'project:corp/hidden')).toMatchObject({ status: 'failed', via: 'group:corp', error: expect.stringContaining('hidden') });
    expect(summary.targets.find((t) => t.target === 'project:corp/broken')).toMatchObject({ status: 'failed', error: expect.stringContaining('not JSON') });
    expect(gitlab.getVariable(project('corp/broken'), KEY)?.value).toBe('user:pass');
    expect(summary.ok).toBe(false);
  });

  it('covers only scopes that overlap the target scope', async () => {
    const summary = await refresh([{ group: 'prod-group', environmentScope: 'production', coverShadowing: true }]);
    expect(summary.targets.filter((t) => t.via).map((t) => `${t.target}@${t.environmentScope}`)).toEqual(['project:prod-group/prod@production']);
    expect(value(project('prod-group/staging-only'), 'staging').auths[US]).toBeUndefined();
    expect(value(project('prod-group/review'), 'review/*').auths[US]).toBeUndefined();
  });

  it('stops with a clear message when a group has more owners below it than maxOwners', async () => {
    const before = gitlab.snapshot();
    const summary = await refresh([{ group: 'corp', coverShadowing: { maxOwners: 50 } }]);
    expect(summary.targets.find((t) => t.via === 'coverShadowing')).toMatchObject({
      target: 'group:corp',
      status: 'failed',
      error: expect.stringMatching(/more than 50 projects and subgroups below it; raise coverShadowing.maxOwners/),
    });
    // The group's own variable was written; nothing below it was.
    const after = gitlab.snapshot();
    expect(Object.keys(after).filter((owner) => JSON.stringify(after[owner]) !== JSON.stringify(before[owner]))).toEqual([`group:${ids.corp}`]);
  });

  it('says what it would change in a dry run, and changes nothing', async () => {
    const before = gitlab.snapshot();
    const summary = await refresh([{ group: 'corp', coverShadowing: true }], true);
    expect(summary.targets.find((t) => t.target === 'project:corp/a/b/deep')).toMatchObject({ status: 'would-update', via: 'group:corp' });
    expect(gitlab.snapshot()).toEqual(before);
  });

  it('refuses a numeric-id target that names the same variable as a path target (they would race), writing it once', async () => {
    const summary = await refresh([{ project: 'CORP/explicit' }, { project: ids['corp/explicit'] }]);
    expect(summary.targets.map((t) => t.status)).toEqual(['updated', 'failed']);
    expect(summary.targets[1]?.error).toMatch(new RegExp(`project:${ids['corp/explicit']} is project:corp/explicit, which project:CORP/explicit already targets`));
    expect(gitlab.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  describe('never moves credentials into a weaker variable', () => {
    const changedOwners = (before: Record<string, unknown>) => {
      const after = gitlab.snapshot();
      return Object.keys(after).filter((owner) => JSON.stringify(after[owner]) !== JSON.stringify(before[owner]));
    };

    it('covers a scoped group target only in rows within its scope, and only as protected as its own variable', async () => {
      gitlab.putVariable(project('rules/star'), { key: KEY, value: theirs(), raw: true, protected: true });
      gitlab.putVariable(project('rules/prod'), { key: KEY, value: theirs(), raw: true, environment_scope: 'production' });
      gitlab.putVariable(project('rules/prod-protected'), { key: KEY, value: theirs(), raw: true, environment_scope: 'production', protected: true });
      const before = gitlab.snapshot();
      const summary = await refresh([{ group: 'rules', environmentScope: 'production', protected: true, coverShadowing: true }]);
      const below = Object.fromEntries(summary.targets.filter((t) => t.via).map((t) => [t.target, t]));
      expect(below['project:rules/star']).toMatchObject({
        status: 'skipped',
        note: expect.stringMatching(/^not covered: wider scope than group:rules's DOCKER_AUTH_CONFIG \("\*" reaches/),
      });
      expect(below['project:rules/prod']).toMatchObject({
        status: 'skipped',
        note: expect.stringMatching(/^not covered: less protected than group:rules's DOCKER_AUTH_CONFIG \(which is protected\)/),
      });
      expect(below['project:rules/prod-protected']).toMatchObject({ status: 'updated', via: 'group:rules' });
      // Only the group's own variable and the one covered row changed; the refused rows are byte for byte as they were.
      expect(changedOwners(before).sort()).toEqual([`group:${ids.rules}`, `project:${ids['rules/prod-protected']}`].sort());
      expect(summary.ok).toBe(true);
    });

    it('never writes push credentials into an unprotected variable below the group', async () => {
      gitlab.putVariable(project('rules/push-open'), { key: 'ECR_DOCKER_CONFIG', value: theirs(), raw: true });
      gitlab.putVariable(project('rules/push-protected'), { key: 'ECR_DOCKER_CONFIG', value: theirs(), raw: true, protected: true });
      const before = gitlab.snapshot();
      const summary = await refresh([{ group: 'rules', coverShadowing: true, variables: [{ name: 'ECR_DOCKER_CONFIG', access: 'push' }] }]);
      const below = Object.fromEntries(summary.targets.filter((t) => t.via).map((t) => [`${t.target} ${t.variable}`, t]));
      expect(below['project:rules/push-open ECR_DOCKER_CONFIG']).toMatchObject({
        status: 'skipped',
        note: expect.stringContaining('push credentials, which go only into protected variables'),
      });
      expect(below['project:rules/push-protected ECR_DOCKER_CONFIG']).toMatchObject({ status: 'updated' });
      expect(gitlab.getVariable(project('rules/push-open'), 'ECR_DOCKER_CONFIG')?.value).toBe(theirs());
      expect(changedOwners(before).sort()).toEqual([`group:${ids.rules}`, `project:${ids['rules/push-protected']}`].sort());
    });
  });
});
