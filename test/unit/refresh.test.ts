import { describe, expect, it } from 'vitest';
import { encodeAuth } from '../../src/core/docker-auth.js';
import { type RefreshDeps, runRefresh } from '../../src/core/refresh.js';
import { aConfig, CapturingLogger, FakeMinter, MemorySecretStore, MemoryVariableStore } from '../support/builders.js';

const API = { owner: { kind: 'project' as const, id: 'platform/api' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: '*' };
const US = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const EU = '111111111111.dkr.ecr.eu-west-1.amazonaws.com';

function deps(overrides: Partial<RefreshDeps> = {}) {
  const secrets: string[] = [];
  const base = {
    minter: new FakeMinter(),
    variables: new MemoryVariableStore(),
    secretStore: new MemorySecretStore(),
    clock: { now: () => Date.parse('2026-11-22T06:00:00Z') },
    logger: new CapturingLogger(),
    onSecret: (secret: string) => secrets.push(secret),
    ...overrides,
  };
  // Tests that pass their own store read it back through the variable they hold; the default is inspected here.
  return { ...base, variables: base.variables as MemoryVariableStore, secrets };
}

describe('Function: runRefresh', () => {
  it('creates a missing variable and reports the added hosts', async () => {
    const d = deps();
    const summary = await runRefresh(aConfig(), { dryRun: false }, d);
    expect(summary.ok).toBe(true);
    expect(summary.targets).toEqual([
      {
        target: 'project:platform/api',
        variable: 'DOCKER_AUTH_CONFIG',
        environmentScope: '*',
        status: 'created',
        hosts: { replaced: [], added: [EU, US], kept: [] },
        expiresAt: '2026-11-22T18:00:00.000Z',
      },
    ]);
    const value = JSON.parse(d.variables.get(API)?.value ?? '{}');
    expect(value.auths[US]).toEqual({ auth: encodeAuth('AWS', 'pw-111111111111-us-east-1-secret') });
    expect(d.variables.writes[0]?.hint).toBe('missing');
  });

  it('keeps the old entry for a host whose region failed, and reports the failure', async () => {
    const minter = new FakeMinter();
    minter.failRegions.add('eu-west-1');
    const variables = new MemoryVariableStore();
    variables.set(API, { value: JSON.stringify({ auths: { [EU]: { auth: 'b2xkOm9sZA==' }, [US]: { auth: 'b2xkOm9sZA==' } } }) });
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ minter, variables }));
    expect(summary.ok).toBe(false);
    expect(summary.registries.find((r) => r.region === 'eu-west-1')).toMatchObject({ status: 'failed', error: expect.stringContaining('AccessDenied') });
    expect(summary.targets[0]).toMatchObject({ status: 'updated', hosts: { replaced: [US], kept: [EU] } });
    const value = JSON.parse(variables.get(API)?.value ?? '{}');
    expect(value.auths[EU]).toEqual({ auth: 'b2xkOm9sZA==' });
    expect(value.auths[US].auth).not.toBe('b2xkOm9sZA==');
  });

  it('fails a target whose value is not JSON and never writes it', async () => {
    const variables = new MemoryVariableStore();
    variables.set(API, { value: 'user:password' });
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables }));
    expect(summary.targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('not JSON') });
    expect(variables.writes).toEqual([]);
    expect(variables.get(API)?.value).toBe('user:password');
  });

  it('fails a hidden variable unless the target owns the whole value, and then skips the read', async () => {
    const variables = new MemoryVariableStore();
    variables.set(API, { value: null, hidden: true, masked: true });
    const merged = await runRefresh(aConfig(), { dryRun: false }, deps({ variables }));
    expect(merged.targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('ownership: full') });
    expect(variables.writes).toEqual([]);

    const owned = await runRefresh(aConfig({ targets: [{ project: 'platform/api', ownership: 'full' }] }), { dryRun: false }, deps({ variables }));
    expect(owned.targets[0]?.status).toBe('updated');
    expect(variables.reads).toHaveLength(1);
    expect(variables.writes[0]?.hint).toBe('unknown');
  });

  it('writes nothing in a dry run but says what would change', async () => {
    const d = deps();
    d.variables.set(API, { value: JSON.stringify({ auths: { [US]: { auth: 'b2xkOm9sZA==' }, 'quay.io': { auth: 'cTpx' } } }) });
    const summary = await runRefresh(aConfig({ secrets: { prefix: 'p/' } }), { dryRun: true }, d);
    expect(summary.targets[0]).toMatchObject({ status: 'would-update', hosts: { replaced: [US], added: [EU], kept: ['quay.io'] } });
    expect(summary.secrets.every((secret) => secret.status === 'would-write')).toBe(true);
    expect(d.variables.writes).toEqual([]);
    expect((d.secretStore as MemorySecretStore).writes).toEqual([]);
  });

  it('stores one secret per host plus the merged docker-config, keeping hosts minted earlier', async () => {
    const secretStore = new MemorySecretStore();
    secretStore.values.set('p/docker-config', JSON.stringify({ auths: { 'other.example.com': { auth: 'eDp5' } } }));
    const summary = await runRefresh(aConfig({ secrets: { prefix: 'p/' } }), { dryRun: false }, deps({ secretStore }));
    expect(summary.secrets.map((secret) => `${secret.name}=${secret.status}`)).toEqual(['p/prod/us-east-1=created', 'p/prod/eu-west-1=created', 'p/docker-config=updated']);
    expect(JSON.parse(secretStore.values.get('p/prod/us-east-1') ?? '{}')).toEqual({
      registry: US,
      username: 'AWS',
      password: 'pw-111111111111-us-east-1-secret',
      auth: encodeAuth('AWS', 'pw-111111111111-us-east-1-secret'),
      expiresAt: '2026-11-22T18:00:00.000Z',
    });
    expect(Object.keys(JSON.parse(secretStore.values.get('p/docker-config') ?? '{}').auths)).toEqual(['other.example.com', US, EU]);
  });

  it('names the public registry secret without a region', async () => {
    const secretStore = new MemorySecretStore();
    await runRefresh(aConfig({ registries: [{ name: 'pub', public: true }], secrets: { prefix: 'p/' } }), { dryRun: false }, deps({ secretStore }));
    expect([...secretStore.values.keys()]).toEqual(['p/pub', 'p/docker-config']);
  });

  it('hands every password and auth string to onSecret before anything is logged', async () => {
    const d = deps();
    await runRefresh(aConfig(), { dryRun: false }, d);
    expect(d.secrets).toEqual(expect.arrayContaining(['pw-111111111111-us-east-1-secret', encodeAuth('AWS', 'pw-111111111111-us-east-1-secret')]));
    const logged = JSON.stringify((d.logger as CapturingLogger).lines);
    for (const secret of d.secrets) expect(logged).not.toContain(secret);
  });

  it('attempts every target even when one fails', async () => {
    const variables = new MemoryVariableStore();
    variables.failing.set('project:a/one|DOCKER_AUTH_CONFIG|*', new Error('boom'));
    const config = aConfig({ targets: [{ project: 'a/one' }, { project: 'a/two' }, { group: 'a' }] });
    const summary = await runRefresh(config, { dryRun: false }, deps({ variables }));
    expect(summary.targets.map((target) => target.status)).toEqual(['failed', 'created', 'created']);
  });

  it('does not start targets it has no time for, and says how to split the work', async () => {
    let now = 0;
    const clock = { now: () => now };
    const variables = new MemoryVariableStore();
    const slow = {
      read: async (ref: Parameters<MemoryVariableStore['read']>[0]) => {
        now += 4_000;
        return variables.read(ref);
      },
      write: variables.write.bind(variables),
    };
    const config = aConfig({ targets: [{ project: 'a/one' }, { project: 'a/two' }, { project: 'a/three' }], gitlab: { url: 'https://g.example.com', concurrency: 1 } });
    // 4 s per target: after the first, 2 × 4 s must be left; at t=4 s with the deadline at 11 s, only 7 s are.
    const summary = await runRefresh(config, { dryRun: false }, deps({ clock, variables: slow, deadline: 11_000 }));
    expect(summary.targets.map((target) => target.status)).toEqual(['created', 'failed', 'failed']);
    expect(summary.targets[2]?.error).toMatch(/not attempted: out of time.*group targets/);
  });

  it('fails a target when none of its registries minted, leaving its value alone', async () => {
    const minter = new FakeMinter();
    minter.failRegions = new Set(['us-east-1', 'eu-west-1']);
    const d = deps({ minter });
    d.variables.set(API, { value: '{"auths":{}}' });
    const summary = await runRefresh(aConfig(), { dryRun: false }, d);
    expect(summary.targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('none of its registries') });
    expect(d.variables.writes).toEqual([]);
  });

  it('refuses to create a masked value that holds whitespace', async () => {
    const d = deps();
    d.variables.set(API, { value: '{"note":"has a space"}', masked: true });
    const summary = await runRefresh(aConfig(), { dryRun: false }, d);
    expect(summary.targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('cannot mask') });
  });
});

describe('Function: assertSecretSize', () => {
  it('refuses a value over 65,536 bytes, counting bytes not characters', async () => {
    const { assertSecretSize } = await import('../../src/core/secret-records.js');
    expect(() => assertSecretSize('p/x', 'a'.repeat(65_536))).not.toThrow();
    expect(() => assertSecretSize('p/x', 'é'.repeat(32_769))).toThrowError(/p\/x: value is 65538 bytes, over Secrets Manager's 65536-byte limit/);
  });
});
