import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { encodeAuth, METADATA_KEY } from '../../src/core/formats/docker-auth.js';
import { refreshAgainstEmulator } from '../support/emulator-refresh.js';
import { ACCESS, type EmulatedVariable, GitLabEmulator } from '../support/gitlab-emulator.js';

const TOKEN = 'glpat-fault-suite-token-0001';
const US = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const EU = '111111111111.dkr.ecr.eu-west-1.amazonaws.com';
const PROJECTS = 400;
const GROUPS = 100;
const FOREIGN = { 'https://index.docker.io/v1/': { auth: 'aHViOmtlZXAtbWU=' }, 'quay.io': { auth: 'cXVheTprZWVw', email: 'ci@example.com' } };

let gitlab: GitLabEmulator;
let botId = 0;
const ownerIds = new Map<string, number>();

function seed(): void {
  const bot = gitlab.addUser('bot');
  botId = bot;
  gitlab.addToken(TOKEN, bot);
  const fleet = gitlab.addGroup('fleet');
  gitlab.addMember('group', fleet, bot, ACCESS.owner);
  for (let g = 0; g < GROUPS; g++) {
    const id = gitlab.addGroup(`fleet/g${g}`);
    ownerIds.set(`group:fleet/g${g}`, id);
    if (g % 2 === 0)
      gitlab.putVariable(
        { group: id },
        { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify({ auths: { ...FOREIGN, [US]: { auth: 'c3RhbGU6c3RhbGU=' } } }), masked: true, raw: true },
      );
  }
  for (let p = 0; p < PROJECTS; p++) {
    const id = gitlab.addProject(`fleet/g${p % GROUPS}/p${p}`);
    ownerIds.set(`project:fleet/g${p % GROUPS}/p${p}`, id);
    gitlab.putVariable({ project: id }, { key: 'OTHER', value: `keep-${p}` });
    gitlab.putVariable(
      { project: id },
      { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify({ auths: { 'staging.example.com': { auth: 'c3RnOnN0Zw==' } } }), environment_scope: 'staging', raw: true },
    );
    if (p % 3 !== 0) {
      const existing = {
        auths: { ...FOREIGN, [`https://${US}`]: { auth: 'c3RhbGU6c3RhbGU=' } },
        credHelpers: { 'gcr.io': 'gcloud' },
        proxies: { default: { httpProxy: 'http://proxy:3128' } },
      };
      gitlab.putVariable({ project: id }, { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify(existing), masked: p % 2 === 0, raw: true });
    }
  }
  // Permanently failing targets: no Maintainer role (403), a non-JSON value, a hidden value.
  const other = gitlab.addGroup('other');
  gitlab.addMember('group', other, bot, ACCESS.developer);
  ownerIds.set('project:other/locked', gitlab.addProject('other/locked'));
  const broken = gitlab.addProject('fleet/g0/broken');
  ownerIds.set('project:fleet/g0/broken', broken);
  gitlab.putVariable({ project: broken }, { key: 'DOCKER_AUTH_CONFIG', value: 'AWS:not-json-at-all' });
  const hidden = gitlab.addProject('fleet/g0/hidden');
  ownerIds.set('project:fleet/g0/hidden', hidden);
  gitlab.putVariable({ project: hidden }, { key: 'DOCKER_AUTH_CONFIG', value: '{"auths":{}}', hidden: true, masked: true, raw: true });
}

function configFor(targets: Array<Record<string, unknown>>) {
  return validateConfig({
    gitlab: { url: gitlab.url, allowInsecureHttp: true, concurrency: 8, requestsPerSecond: 1000 },
    registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] }],
    targets,
  });
}

function refresh(targets: Array<Record<string, unknown>>) {
  return refreshAgainstEmulator(configFor(targets), gitlab.url, TOKEN, { maxAttempts: 8 });
}

/** Every variable except the DOCKER_AUTH_CONFIG "*" row of the targets, which the refresh owns. */
function untouchedPart(snapshot: Record<string, EmulatedVariable[]>, targetOwners: Set<string>) {
  return Object.fromEntries(
    Object.entries(snapshot)
      .map(([owner, list]) => [owner, list.filter((v) => !(targetOwners.has(owner) && v.key === 'DOCKER_AUTH_CONFIG' && v.environment_scope === '*'))] as const)
      .filter(([, list]) => list.length > 0),
  );
}

beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
  seed();
});
afterAll(() => gitlab.stop());

describe('Fault suite: 500 targets against a flaky GitLab', () => {
  it('updates every target through 5xx, 429 bursts, dropped connections and slow answers, changing nothing else', async () => {
    const targets = [...ownerIds.keys()]
      .filter((key) => key.startsWith('group:fleet/') || /^project:fleet\/g\d+\/p\d+$/.test(key))
      .map((key) => (key.startsWith('group:') ? { group: key.slice(6) } : { project: key.slice(8) }));
    expect(targets).toHaveLength(PROJECTS + GROUPS);
    const before = gitlab.snapshot();
    Object.assign(gitlab.faults, { errorRate: 0.1, dropRate: 0.01, slowRate: 0.05, slowMs: 300, burst429: { remaining: 25, retryAfterSeconds: 1 } });
    const secondBurst = setTimeout(() => Object.assign(gitlab.faults.burst429, { remaining: 25, retryAfterSeconds: 1 }), 1_500);
    const { summary, stats } = await refresh(targets).finally(() => clearTimeout(secondBurst));
    gitlab.resetFaults();

    const failed = summary.targets.filter((target) => target.status === 'failed');
    expect(failed, JSON.stringify(failed.slice(0, 3))).toEqual([]);
    expect(stats.throttled).toBeGreaterThanOrEqual(25);
    expect(stats.retries).toBeGreaterThan(50);
    expect(gitlab.requests.filter((r) => r.status === -1).length).toBeGreaterThan(0);

    const after = gitlab.snapshot();
    const owners = new Set(targets.map((t) => ('group' in t ? `group:${ownerIds.get(`group:${t.group}`)}` : `project:${ownerIds.get(`project:${t.project}`)}`)));
    expect(untouchedPart(after, owners)).toEqual(untouchedPart(before, owners));
    for (const owner of owners) {
      const old = before[owner]?.find((v) => v.key === 'DOCKER_AUTH_CONFIG' && v.environment_scope === '*');
      const now = after[owner]?.find((v) => v.key === 'DOCKER_AUTH_CONFIG' && v.environment_scope === '*');
      const value = JSON.parse(now?.value ?? 'null');
      expect(value.auths[US]).toEqual({ auth: encodeAuth('AWS', 'pw-own-us-east-1-secret') });
      expect(value.auths[EU]).toEqual({ auth: encodeAuth('AWS', 'pw-own-eu-west-1-secret') });
      const previous = old ? JSON.parse(old.value) : { auths: {} };
      const { auths: oldAuths, ...oldRest } = previous;
      const { auths: newAuths, [METADATA_KEY]: _meta, ...newRest } = value;
      expect(newRest).toEqual(oldRest);
      for (const [key, entry] of Object.entries(oldAuths as Record<string, unknown>)) if (!key.includes(US)) expect(newAuths[key]).toEqual(entry);
      expect(Object.keys(newAuths).filter((key) => key.includes(US))).toEqual([US]);
      // Every value ends masked (it holds fresh passwords); the variable's own protection is kept.
      expect(now?.masked).toBe(true);
      if (old) expect(now?.protected).toBe(old.protected);
    }
  }, 120_000);

  it('fails a 403, a non-JSON and a hidden target alone, each untouched and clearly named', async () => {
    const before = gitlab.snapshot();
    const { summary } = await refresh([{ project: 'other/locked' }, { project: 'fleet/g0/broken' }, { project: 'fleet/g0/hidden' }, { project: 'fleet/g1/p1' }]);
    expect(summary.targets.map((t) => [t.target, t.status])).toEqual([
      ['project:other/locked', 'failed'],
      ['project:fleet/g0/broken', 'failed'],
      ['project:fleet/g0/hidden', 'failed'],
      ['project:fleet/g1/p1', 'updated'],
    ]);
    expect(summary.targets[0]?.error).toMatch(/403 Forbidden — the token needs the api scope and the role of Maintainer on the project/);
    expect(summary.targets[1]?.error).toMatch(/existing value is not JSON; left unchanged/);
    expect(summary.targets[2]?.error).toMatch(/hidden.*ownership: full/);
    const after = gitlab.snapshot();
    for (const key of ['project:other/locked', 'project:fleet/g0/broken', 'project:fleet/g0/hidden']) {
      const owner = `project:${ownerIds.get(key)}`;
      expect(after[owner]).toEqual(before[owner]);
    }
  });
});

describe('Fault suite: a rate limit that outlasts the run', () => {
  const OUT_OF_TIME = /^not attempted: out of time \(rate limit resets at (\S+)\); split the config/;
  const projects = () => Array.from({ length: 12 }, (_, p) => ({ project: `fleet/g${p % GROUPS}/p${p}` }));

  it('answers a 429 whose Retry-After is past the deadline at once, without waiting, and writes nothing', async () => {
    const before = gitlab.snapshot();
    const started = Date.now();
    Object.assign(gitlab.faults, { burst429: { remaining: 1_000, retryAfterSeconds: 3_600 } });
    const { summary } = await refreshAgainstEmulator(configFor(projects()), gitlab.url, TOKEN, { deadline: started + 60_000 }).finally(() => gitlab.resetFaults());

    expect(summary.targets).toHaveLength(12);
    for (const target of summary.targets) expect(target).toMatchObject({ status: 'failed', error: expect.stringMatching(OUT_OF_TIME) });
    const resumesAt = Date.parse(OUT_OF_TIME.exec(summary.targets[0]?.error ?? '')?.[1] ?? '');
    expect(resumesAt - started).toBeGreaterThanOrEqual(3_600_000);
    // Far sooner than the hour it was asked to wait, or even the minute left.
    expect(summary.durationMs).toBeLessThan(30_000);
    expect(gitlab.snapshot()).toEqual(before);
  });

  it('stops at a spent hourly budget without running it out: what it could not send is "not attempted", with the reset', async () => {
    // A second token of the same user, so the hourly window starts with this test.
    const token = 'glpat-fault-suite-hourly-0002';
    gitlab.addToken(token, botId);
    const before = gitlab.snapshot();
    const sent = gitlab.requests.length;
    const started = Date.now();
    // 12 an hour, 1 kept for others: the first 8 reads go at once, then 3 are left, one every 60 s / 3 = 20 s; the deadline is 10 s away.
    Object.assign(gitlab.faults, { limitPerWindow: 12, windowMs: 3_600_000, rateLimitHeaders: 'always' });
    const { summary } = await refreshAgainstEmulator(configFor(projects()), gitlab.url, token, { deadline: started + 10_000 }).finally(() => gitlab.resetFaults());

    expect(summary.targets).toHaveLength(12);
    for (const target of summary.targets) expect(target).toMatchObject({ status: 'failed', error: expect.stringMatching(OUT_OF_TIME) });
    const resumesAt = Date.parse(OUT_OF_TIME.exec(summary.targets[0]?.error ?? '')?.[1] ?? '');
    expect(resumesAt - started).toBeGreaterThan(3_590_000);
    const requests = gitlab.requests.slice(sent);
    // The first 8 reads (a 404 is a variable not there yet), no write, and never a 429.
    expect(requests.map((request) => request.method)).toEqual(Array.from({ length: 8 }, () => 'GET'));
    expect(requests.filter((request) => request.status === 429)).toEqual([]);
    expect(gitlab.snapshot()).toEqual(before);
  });
});
