import { describe, expect, it } from 'vitest';
import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import { type RefreshDeps, runRefresh } from '../../src/core/refresh/refresh.js';
import { MaskRefusedError, OutOfTimeError, StaleReadError } from '../../src/errors.js';
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
    expect(value.auths[US]).toEqual({ auth: encodeAuth('AWS', 'pw-own-us-east-1-secret') });
    expect(d.variables.writes[0]?.conditions.exists).toBe(false);
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
    // Full ownership still reads first: only a read that saw the row allows a PUT.
    expect(variables.reads).toHaveLength(2);
    expect(variables.writes[0]?.conditions.exists).toBe(true);
    expect(variables.writes[0]?.write.settings).toEqual({});
  });

  it('writes nothing in a dry run but says what would change', async () => {
    const d = deps();
    d.variables.set(API, { value: JSON.stringify({ auths: { [US]: { auth: 'b2xkOm9sZA==' }, 'quay.io': { auth: 'cTpx' } } }) });
    const summary = await runRefresh(aConfig({ secrets: { prefix: 'p/' } }), { dryRun: true }, d);
    expect(summary.targets[0]).toMatchObject({ status: 'would-update', hosts: { replaced: [US], added: [EU], kept: ['quay.io'] } });
    expect(summary.secrets.map((secret) => secret.status)).toEqual(['would-write', 'would-write', 'would-write']);
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
      password: 'pw-own-us-east-1-secret',
      auth: encodeAuth('AWS', 'pw-own-us-east-1-secret'),
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
    expect(d.secrets).toEqual(expect.arrayContaining(['pw-own-us-east-1-secret', encodeAuth('AWS', 'pw-own-us-east-1-secret')]));
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

  it("says the same as for a target it did not start when GitLab's rate limit keeps a request from going before the deadline", async () => {
    const variables = new MemoryVariableStore();
    const resumesAt = Date.parse('2026-11-22T07:00:00Z');
    const limited = {
      read: async () => {
        throw new OutOfTimeError(resumesAt, 'GET /api/v4/projects/platform%2Fapi/variables/DOCKER_AUTH_CONFIG');
      },
      write: variables.write.bind(variables),
    };
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables: limited }));
    expect(summary.targets[0]).toMatchObject({
      status: 'failed',
      error:
        'not attempted: out of time (rate limit resets at 2026-11-22T07:00:00.000Z); split the config into several functions, or use group targets (a group variable covers every project below it)',
    });
    expect(variables.writes).toEqual([]);
  });

  it('does not call a variable "not attempted" when a write of it went out before time ran out: its outcome is unknown', async () => {
    const variables = new MemoryVariableStore();
    let reads = 0;
    const flaky = {
      read: async (ref: Parameters<MemoryVariableStore['read']>[0]) => {
        if (++reads > 1) throw new OutOfTimeError(Date.parse('2026-11-22T07:00:00Z'), 'GET /api/v4/projects/platform%2Fapi/variables/DOCKER_AUTH_CONFIG');
        return variables.read(ref);
      },
      write: async () => {
        throw new StaleReadError('POST /api/v4/projects/platform%2Fapi/variables failed: request timed out; reading again before retrying the write');
      },
    };
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables: flaky }));
    expect(summary.targets[0]).toMatchObject({
      status: 'failed',
      error:
        'StaleReadError: POST /api/v4/projects/platform%2Fapi/variables failed: request timed out; reading again before retrying the write; then not attempted: out of time (rate limit resets at 2026-11-22T07:00:00.000Z): whether GitLab applied the earlier write is unknown, so check the variable or run again',
    });
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

  it('writes a value GitLab cannot mask (whitespace in a kept entry) unmasked, with a warning that says why', async () => {
    const d = deps();
    d.variables.set(API, { value: '{"note":"has a space"}', masked: false });
    const summary = await runRefresh(aConfig(), { dryRun: false }, d);
    expect(summary.targets[0]).toMatchObject({ status: 'updated', warnings: [{ code: 'unmasked', message: expect.stringContaining('whitespace') }] });
    expect(d.variables.get(API)?.masked).toBe(false);
  });
});

describe('Function: runRefresh (variable settings)', () => {
  it('masks a visible unmasked variable and makes it raw, keeping its own protection, type and description', async () => {
    const d = deps();
    d.variables.set(API, { value: '{"auths":{}}', masked: false, raw: false, protected: true, variableType: 'file', description: 'ours' });
    const summary = await runRefresh(aConfig(), { dryRun: false }, d);
    expect(summary.targets[0]).toMatchObject({ status: 'updated', changes: ['raw: false → true', 'masked: false → true'] });
    expect(summary.targets[0]?.warnings).toBeUndefined();
    expect(d.variables.writes[0]?.write.settings).toEqual({ raw: true, masked: true });
    expect(d.variables.get(API)).toMatchObject({ masked: true, raw: true, protected: true, variableType: 'file', description: 'ours' });
  });

  it('changes protection, type and description only where the config sets them', async () => {
    const d = deps();
    d.variables.set(API, { value: '{"auths":{}}', masked: true, protected: true, variableType: 'env_var', description: 'ours' });
    const config = aConfig({ targets: [{ project: 'platform/api', protected: false, variableType: 'file', description: 'ECR pulls' }] });
    const summary = await runRefresh(config, { dryRun: false }, d);
    expect(summary.targets[0]?.changes).toEqual(['variableType: "env_var" → "file"', 'protected: true → false', 'description: "ours" → "ECR pulls"']);
  });

  it('never turns raw on when kept entries hold "$" (GitLab expands them), and says so', async () => {
    const d = deps();
    d.variables.set(API, { value: '{"auths":{"quay.io":{"auth":"$QUAY_AUTH"}}}', raw: false, masked: false });
    const summary = await runRefresh(aConfig(), { dryRun: false }, d);
    expect(summary.targets[0]?.warnings?.map((w) => w.code)).toEqual(['raw-left-off', 'unmasked']);
    expect(d.variables.get(API)).toMatchObject({ raw: false, masked: false });
    expect(JSON.parse(d.variables.get(API)?.value ?? '{}').auths['quay.io']).toEqual({ auth: '$QUAY_AUTH' });
  });

  it('writes unmasked with a warning when GitLab refuses to mask the value', async () => {
    const d = deps();
    const refusing = Object.assign(Object.create(d.variables), {
      write: async (ref: typeof API, write: Parameters<MemoryVariableStore['write']>[1], conditions: Parameters<MemoryVariableStore['write']>[2]) => {
        if (write.settings.masked) throw new MaskRefusedError('GitLab refused to mask the value');
        return d.variables.write(ref, write, conditions);
      },
    });
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables: refusing }));
    expect(summary.targets[0]).toMatchObject({ status: 'created', warnings: [{ code: 'unmasked', message: expect.stringContaining('GitLab refused to mask') }] });
    expect(d.variables.get(API)?.masked).toBe(false);
  });

  it('reads and merges again when the variable changed after the read, keeping the edit made meanwhile', async () => {
    const d = deps();
    d.variables.set(API, { value: '{"auths":{"quay.io":{"auth":"cTpx"}}}', masked: true });
    let edited = false;
    const racing = Object.assign(Object.create(d.variables), {
      write: async (ref: typeof API, write: Parameters<MemoryVariableStore['write']>[1], conditions: Parameters<MemoryVariableStore['write']>[2]) => {
        if (!edited) {
          edited = true;
          d.variables.set(API, { value: '{"auths":{"quay.io":{"auth":"cTpx"},"ghcr.io":{"auth":"Z2g6Z2g="}}}', masked: true });
          throw new StaleReadError('retrying after 503');
        }
        return d.variables.write(ref, write, conditions);
      },
    });
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables: racing }));
    expect(summary.targets[0]?.status).toBe('updated');
    expect(Object.keys(JSON.parse(d.variables.get(API)?.value ?? '{}').auths).sort()).toEqual(['ghcr.io', 'quay.io', EU, US].sort());
    expect(d.variables.reads).toHaveLength(2);
  });

  it('gives up after a few stale reads in a row', async () => {
    const d = deps();
    const stale = Object.assign(Object.create(d.variables), {
      write: async () => {
        throw new StaleReadError('changed again');
      },
    });
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables: stale }));
    expect(summary.targets[0]).toMatchObject({ status: 'failed', error: 'StaleReadError: changed again' });
    expect(d.variables.reads).toHaveLength(6);
  });

  it('reports the expiry a failed variable still holds, from its value', async () => {
    const d = deps();
    d.variables.set(API, { value: JSON.stringify({ auths: {}, ecrGitlabRefresher: { refreshedAt: 'x', expiresAt: { [US]: '2026-11-22T09:00:00.000Z' } } }) });
    d.variables.failing.set('project:platform/api|DOCKER_AUTH_CONFIG|*', new Error('boom'));
    const failing = Object.assign(Object.create(d.variables), {
      read: async (ref: typeof API) => d.variables.get(ref),
      write: async () => {
        throw new Error('500 on write');
      },
    });
    const summary = await runRefresh(aConfig(), { dryRun: false }, deps({ variables: failing }));
    expect(summary.targets[0]).toMatchObject({ status: 'failed', expiresAt: '2026-11-22T09:00:00.000Z' });
  });
});

describe('Function: assertSecretSize', () => {
  it('never writes push credentials into an unprotected variable, unless the config makes it protected', async () => {
    const push = { owner: API.owner, key: 'ECR_PUSH', environmentScope: '*' };
    const variables = new MemoryVariableStore();
    variables.set(push, { value: '{}', protected: false });
    const refused = await runRefresh(
      aConfig({ targets: [{ project: 'platform/api', variables: [{ name: 'ECR_PUSH', access: 'push' }] }] }),
      { dryRun: false },
      deps({ variables }),
    );
    expect(refused.targets.find((t) => t.variable === 'ECR_PUSH')).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('carries push credentials, which go only into protected variables'),
    });
    expect(variables.get(push)?.value).toBe('{}');

    const protecting = await runRefresh(
      aConfig({ targets: [{ project: 'platform/api', variables: [{ name: 'ECR_PUSH', access: 'push', protected: true }] }] }),
      { dryRun: false },
      deps({ variables }),
    );
    expect(protecting.targets.find((t) => t.variable === 'ECR_PUSH')).toMatchObject({ status: 'updated', changes: expect.arrayContaining(['protected: false → true']) });
    expect(variables.get(push)?.protected).toBe(true);
  });

  it('writes a covered variable only with a send-by time counted from before its list, so a long paged list is read again', async () => {
    let now = Date.parse('2026-11-22T06:00:00Z');
    const listStarted: number[] = [];
    const row = {
      key: 'DOCKER_AUTH_CONFIG',
      environmentScope: '*',
      value: '{}',
      hidden: false,
      masked: false,
      protected: false,
      raw: true,
      variableType: 'env_var' as const,
      description: null,
    };
    const discovery = {
      descendants: async () => [{ kind: 'project' as const, id: 7, fullPath: 'platform/slow' }],
      fullPath: async () => 'platform',
      variables: async () => {
        listStarted.push(now);
        now += 6_000; // many pages
        return [row];
      },
    };
    const variables = new MemoryVariableStore();
    variables.set({ owner: { kind: 'project', id: '7' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: '*' }, { value: '{}' });
    const summary = await runRefresh(
      aConfig({ targets: [{ group: 'platform', coverShadowing: true }] }),
      { dryRun: false },
      deps({ variables, discovery, clock: { now: () => now } }),
    );
    expect(summary.targets.find((t) => t.via)).toMatchObject({ target: 'project:platform/slow', status: 'updated' });
    const covered = variables.writes.find((write) => write.key.startsWith('project:7'));
    expect(listStarted).toHaveLength(1);
    // The transport refuses to send after sendBy and the variable is read again: here the limit is already past.
    expect(covered?.conditions.sendBy).toBe((listStarted[0] as number) + 5_000);
    expect(covered?.conditions.sendBy).toBeLessThan(now);
  });

  describe('a registry without accountId manages exactly the caller account', () => {
    const config = aConfig({ registries: [{ name: 'own', regions: ['us-east-1'] }], targets: [{ project: 'platform/api', helpers: 'drop-for-managed-hosts' }] });
    const own = '999999999999.dkr.ecr.us-east-1.amazonaws.com';
    const other = '333333333333.dkr.ecr.us-east-1.amazonaws.com';
    const seeded = () => {
      const variables = new MemoryVariableStore();
      variables.set(API, { value: JSON.stringify({ credHelpers: { [own]: 'ecr-login', [other]: 'ecr-login' } }) });
      return variables;
    };

    it("drops only the caller's own credHelpers entry, never another account's of the same region", async () => {
      const variables = seeded();
      const summary = await runRefresh(config, { dryRun: false }, deps({ variables }));
      expect(summary.targets[0]?.status).toBe('updated');
      expect(summary.targets[0]?.changes?.filter((change) => change.startsWith('credHelpers'))).toEqual([`credHelpers entry removed: ${own} → ecr-login`]);
      const value = JSON.parse(variables.get(API)?.value ?? '{}');
      expect(value.credHelpers).toEqual({ [other]: 'ecr-login' });
    });

    it('asks STS when no mint showed the caller account, and removes nothing of its when that fails too', async () => {
      const minter = new FakeMinter();
      minter.failRegions.add('us-east-1');
      // Only the public registry mints: no token shows the caller account, and the variable is still written.
      const withPublic = aConfig({
        registries: [
          { name: 'own', regions: ['us-east-1'] },
          { name: 'public', public: true },
        ],
        targets: [{ project: 'platform/api', helpers: 'drop-for-managed-hosts' }],
      });
      const removals = (summary: Awaited<ReturnType<typeof runRefresh>>) => summary.targets[0]?.changes?.filter((change) => change.startsWith('credHelpers'));

      let asked = 0;
      const answered = seeded();
      const known = await runRefresh(withPublic, { dryRun: false }, deps({ minter, variables: answered, callerAccount: async () => `${++asked && '999999999999'}` }));
      expect(asked).toBe(1);
      expect(removals(known)).toEqual([`credHelpers entry removed: ${own} → ecr-login`]);

      const refused = seeded();
      const unknown = await runRefresh(
        withPublic,
        { dryRun: false },
        deps({ minter, variables: refused, callerAccount: async () => Promise.reject(new Error('no route to STS')) }),
      );
      expect(unknown.targets[0]?.status).toBe('updated');
      expect(removals(unknown) ?? []).toEqual([]);
      expect(JSON.parse(refused.get(API)?.value ?? '{}').credHelpers).toEqual({ [own]: 'ecr-login', [other]: 'ecr-login' });
    });
  });

  it('refuses a value over 65,536 bytes, counting bytes not characters', async () => {
    const { assertSecretSize } = await import('../../src/core/formats/secret-records.js');
    expect(() => assertSecretSize('p/x', 'a'.repeat(65_536))).not.toThrow();
    expect(() => assertSecretSize('p/x', 'é'.repeat(32_769))).toThrowError(/p\/x: value is 65538 bytes, over Secrets Manager's 65536-byte limit/);
  });
});

describe('Function: runRefresh with targets and profiles in one config (both modes)', () => {
  const DEV_EU = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';
  const bothModes = () =>
    aConfig({
      registries: [
        { name: 'prod', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
        { name: 'dev', accountId: '222222222222', regions: ['eu-west-1'] },
      ],
      targets: [{ project: 'platform/api', registries: ['prod'] }],
      profiles: [{ name: 'dev', registries: ['dev'], projects: ['platform/*'] }],
      oidc: { issuer: 'https://gitlab.example.com' },
    });

  it('mints once per credentials and region for both, writes the variable with its hosts and the profile secret with its own', async () => {
    const minter = new FakeMinter();
    const d = deps({ minter });
    const summary = await runRefresh(bothModes(), { dryRun: false }, d);
    expect(summary.ok).toBe(true);
    // eu-west-1 serves prod's and dev's hosts with one token: two mints, not three.
    expect(minter.calls.map((call) => (call.kind === 'private' ? call.region : 'public')).sort()).toEqual(['eu-west-1', 'us-east-1']);
    expect(summary.targets.map((t) => [t.target, t.status, t.hosts?.added])).toEqual([['project:platform/api', 'created', [EU, US]]]);
    expect(Object.keys(JSON.parse(d.variables.get(API)?.value ?? '{}').auths).sort()).toEqual([EU, US]);
    expect(summary.profiles.map((p) => [p.profile, p.status])).toEqual([['dev', 'created']]);
    const profile = JSON.parse((d.secretStore as MemorySecretStore).values.get('ecr-gitlab-refresher/profiles/dev') ?? '{}');
    expect(Object.keys(profile.auths)).toEqual([DEV_EU]);
  });

  it('a dry run of both writes neither', async () => {
    const d = deps();
    const summary = await runRefresh(bothModes(), { dryRun: true }, d);
    expect(summary.targets.map((t) => t.status)).toEqual(['would-create']);
    expect(summary.profiles.map((p) => p.status)).toEqual(['would-write']);
    expect(d.variables.writes).toEqual([]);
    expect((d.secretStore as MemorySecretStore).writes).toEqual([]);
  });
});
