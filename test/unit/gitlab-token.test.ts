import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { tokenExpiryCheck } from '../../src/core/inspect/doctor.js';
import type { GitLabTokenInfo, TokenSecretState } from '../../src/core/ports.js';
import { checkGitLabToken, type GitLabTokenDeps, ROTATION_LOCK_TTL_MS } from '../../src/core/token/gitlab-token.js';
import { AmbiguousOutcomeError, GitLabApiError } from '../../src/errors.js';
import { aConfig, CapturingLogger } from '../support/builders.js';

const NOW = Date.parse('2026-11-22T06:00:00Z');
const NEW_TOKEN = 'glpat-successor-token-000000001';
const OTHER_RUNS_TOKEN = 'glpat-other-runs-successor-0002';
const name = (token: string) => (token === NEW_TOKEN ? 'new' : token === OTHER_RUNS_TOKEN ? "other run's" : 'unknown');

interface SetupOptions {
  storeFails?: number;
  lockFails?: boolean;
  /** What the secret looks like each time the rotation reads it (the last one repeats). */
  states?: Array<Partial<TokenSecretState>>;
  /** Another run swaps the current version between this run's read and its lock. */
  lockLost?: boolean;
  rotateFails?: Error;
  storeOutcome?: 'stored' | 'changed';
}

function setup(info: GitLabTokenInfo | undefined, options: SetupOptions = {}) {
  const events: string[] = [];
  const logger = new CapturingLogger();
  let failures = options.storeFails ?? 0;
  let now = NOW;
  const deps: GitLabTokenDeps = {
    api: {
      self: async () => info,
      rotateSelf: async (expiresAt) => {
        events.push(`rotate ${expiresAt}`);
        if (options.rotateFails) throw options.rotateFails;
        return { token: NEW_TOKEN, expiresAt };
      },
    },
    secret: {
      id: 'gl/token',
      state: async () => {
        events.push('state');
        const states = options.states ?? [{}];
        return { version: 'v1', changed: false, ...(states.length > 1 ? states.shift() : states[0]) };
      },
      adopt: async () => {
        events.push('adopt');
        return OTHER_RUNS_TOKEN;
      },
      lock: async (from) => {
        events.push(`lock from ${from}`);
        if (options.lockFails) throw new Error('AccessDeniedException: not authorized to perform secretsmanager:PutSecretValue');
        return options.lockLost ? { taken: false } : { taken: true, lock: 'lock-1' };
      },
      unlock: async (lock, previous) => {
        events.push(`unlock ${lock} → ${previous}`);
      },
      markUnknown: async (lock) => {
        events.push(`mark unknown ${lock}`);
      },
      store: async (token, lock) => {
        events.push(`store ${token === NEW_TOKEN ? 'new' : 'other'} under ${lock}`);
        if (failures-- > 0) throw new Error('ThrottlingException: rate exceeded');
        return options.storeOutcome ?? 'stored';
      },
    },
    use: (token) => events.push(`use ${name(token)}`),
    onSecret: (secret) => events.push(`redact ${name(secret)}`),
    clock: { now: () => now },
    logger,
    wait: async (ms) => {
      now += ms;
    },
    deadline: NOW + 60_000,
  };
  return { deps, events, logger };
}

const rotating = aConfig({ gitlab: { url: 'https://g.example.com', tokenSecretId: 't', rotateToken: { daysBefore: 14 } } }).gitlab;
const plain = aConfig().gitlab;
const soon = { active: true, revoked: false, expiresAt: '2026-12-01', scopes: ['api'] };

describe('Function: checkGitLabToken', () => {
  it('reports the expiry and does nothing else without rotateToken', async () => {
    const { deps, events } = setup(soon);
    await expect(checkGitLabToken(plain, deps)).resolves.toEqual({ expiresAt: '2026-12-01' });
    expect(events).toEqual([]);
  });

  it('leaves a token alone while it is outside the rotation window', async () => {
    const { deps, events } = setup({ ...soon, expiresAt: '2027-03-01' });
    await expect(checkGitLabToken(rotating, deps)).resolves.toEqual({ expiresAt: '2027-03-01' });
    expect(events).toEqual([]);
  });

  it('rotates within the window under the lock: lock, rotate once with an explicit expiry, store the successor, and only then use it', async () => {
    const { deps, events } = setup(soon);
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toEqual({ expiresAt: '2027-02-20', rotated: true });
    expect(events).toEqual(['state', 'lock from v1', 'rotate 2027-02-20', 'redact new', 'store new under lock-1', 'use new']);
  });

  it('retries storing the successor, and fails loudly without the token when it never gets stored', async () => {
    const retried = setup(soon, { storeFails: 2 });
    await expect(checkGitLabToken(rotating, retried.deps)).resolves.toMatchObject({ rotated: true });
    expect(retried.events.filter((e) => e.startsWith('store new'))).toHaveLength(3);

    const failing = setup(soon, { storeFails: 1_000 });
    const result = await checkGitLabToken(rotating, failing.deps);
    expect(result).toMatchObject({ rotated: true, error: expect.stringMatching(/could not be stored.*next run will fail with 401.*docs\/operations.md/) });
    // This run still goes on with the successor: the old token is revoked already.
    expect(failing.events.at(-1)).toBe('use new');
    const everything = JSON.stringify({ result, logs: failing.logger.lines });
    expect(everything).not.toContain(NEW_TOKEN);
  });

  it('keeps a value someone stored during the rotation, and says so', async () => {
    const { deps, events } = setup(soon, { storeOutcome: 'changed' });
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toMatchObject({ rotated: true, error: expect.stringContaining('gl/token was changed by someone else during the rotation; their value was kept') });
    expect(events.filter((e) => e.startsWith('store'))).toHaveLength(1);
  });

  it('does not rotate when the secret cannot be written: the old token keeps working', async () => {
    const { deps, events } = setup(soon, { lockFails: true });
    const result = await checkGitLabToken(rotating, deps);
    expect(result.error).toMatch(/cannot be written, so the token was not rotated.*PutSecretValue/);
    expect(events).toEqual(['state', 'lock from v1']);
  });

  it.each([['another run took the lock first', { lockLost: true }, /changed while this run prepared the rotation/, ['state', 'lock from v1', 'state']]])(
    'never rotates when %s',
    async (_case, options, note, expected) => {
      const { deps, events } = setup(soon, options as SetupOptions);
      const result = await checkGitLabToken(rotating, deps);
      expect(result).toEqual({ expiresAt: '2026-12-01', note: expect.stringMatching(note) });
      expect(events).toEqual(expected);
    },
  );

  it("waits for another run's rotation, then goes on with the token it stored instead of rotating again", async () => {
    const { deps, events } = setup(soon, { states: [{ lockedAt: NOW - 1_000 }, { lockedAt: NOW - 1_000 }, { changed: true }] });
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toMatchObject({ note: expect.stringMatching(/gl\/token holds another token than this run started with .* this run goes on with that token/) });
    expect(events).toEqual(['state', 'state', 'state', 'adopt', "redact other run's", "use other run's"]);
  });

  it('gives up waiting for a lock that stays, within a minute, and rotates nothing', async () => {
    const { deps, events } = setup(soon, { states: [{ lockedAt: NOW - 1_000 }] });
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toEqual({ expiresAt: '2026-12-01', note: expect.stringMatching(/another run has been rotating the token since 2026-11-22T05:59:59.000Z and has not finished/) });
    expect(events.every((event) => event === 'state')).toBe(true);
    expect(events.length).toBeGreaterThan(20);
    expect(events.length).toBeLessThanOrEqual(31);
  });

  it('takes over a lock older than any run can live: the token in use still works, so that rotation never happened', async () => {
    const { deps, events } = setup(soon, { states: [{ version: 'stale-lock', lockedAt: NOW - ROTATION_LOCK_TTL_MS - 1 }] });
    await expect(checkGitLabToken(rotating, deps)).resolves.toMatchObject({ rotated: true });
    expect(events.slice(0, 3)).toEqual(['state', 'lock from stale-lock', 'rotate 2027-02-20']);
  });

  it('gives the lock back when GitLab refuses the rotation, and says the token is unchanged', async () => {
    const { deps, events } = setup(soon, { rotateFails: new GitLabApiError('POST /api/v4/personal_access_tokens/self/rotate returned 403: insufficient_scope', 403) });
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toEqual({ expiresAt: '2026-12-01', error: expect.stringMatching(/^token rotation was refused, so the current token is unchanged: .*403/) });
    expect(events).toEqual(['state', 'lock from v1', 'rotate 2027-02-20', 'unlock lock-1 → v1']);
  });

  it('reports an unanswered rotation as unknown, never as unchanged, and keeps the lock so no run rotates the old token again', async () => {
    const { deps, events } = setup(soon, {
      rotateFails: new AmbiguousOutcomeError('POST /api/v4/personal_access_tokens/self/rotate failed: socket hang up; it may or may not have been applied'),
    });
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toMatchObject({
      expiresAt: '2026-12-01',
      outcomeUnknown: true,
      error: expect.stringMatching(/^token rotation outcome unknown: .*create a new token and store it in gl\/token/),
    });
    expect(result.error).not.toMatch(/unchanged/);
    expect(events).toEqual(['state', 'lock from v1', 'rotate 2027-02-20', 'mark unknown lock-1']);
  });

  it('keeps saying the outcome is unknown on later runs, and never rotates the old token again', async () => {
    const { deps, events } = setup(soon, { states: [{ unknownSince: NOW - 3_600_000 }] });
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toMatchObject({
      outcomeUnknown: true,
      error: expect.stringMatching(/^token rotation outcome unknown: a rotation at 2026-11-22T05:00:00.000Z got no answer; .*store it in gl\/token/),
    });
    expect(events).toEqual(['state']);
  });

  it("goes on with the secret's new token when GitLab refuses this run's (another run rotated it meanwhile)", async () => {
    const { deps, events } = setup(soon, { states: [{ changed: true }] });
    deps.api.self = async () => {
      events.push('self');
      if (!events.includes('adopt')) throw new GitLabApiError('GET /api/v4/personal_access_tokens/self returned 401: 401 Unauthorized', 401);
      return { ...soon, expiresAt: '2027-02-20' };
    };
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toMatchObject({ expiresAt: '2027-02-20', note: expect.stringContaining('this run goes on with that token') });
    expect(events).toEqual(['self', 'state', 'adopt', "redact other run's", "use other run's", 'self']);
  });

  it('never rotates in a dry run, nor a token from GITLAB_TOKEN (nowhere to store the successor)', async () => {
    const dry = setup(soon);
    await expect(checkGitLabToken(rotating, dry.deps, true)).resolves.toMatchObject({ note: expect.stringContaining('dry run') });
    const env = setup(soon);
    await expect(checkGitLabToken(rotating, { ...env.deps, secret: undefined })).resolves.toMatchObject({ note: expect.stringContaining('GITLAB_TOKEN') });
    expect([...dry.events, ...env.events]).toEqual([]);
  });

  it('says a revoked token fails the run, and a token without expiry emits no expiry', async () => {
    await expect(checkGitLabToken(plain, setup({ ...soon, revoked: true, active: false }).deps)).resolves.toMatchObject({ error: expect.stringContaining('revoked') });
    await expect(checkGitLabToken(plain, setup({ active: true, revoked: false }).deps)).resolves.toEqual({ note: 'the GitLab token has no expiry date' });
  });
});

describe('Function: tokenExpiryCheck (doctor)', () => {
  const config = validateConfig({
    gitlab: { url: 'https://g.example.com', tokenSecretId: 'gl/token' },
    registries: [{ name: 'p', regions: ['us-east-1'] }],
    targets: [{ group: 'g' }],
  });

  it.each([
    [{ ...soon, expiresAt: '2027-06-01' }, 'ok', /expires on 2027-06-01, in 190 days/],
    [{ ...soon, expiresAt: '2026-12-10' }, 'warn', /expires on 2026-12-10, in 17 days/],
    [{ ...soon, expiresAt: '2026-11-01' }, 'fail', /expired on 2026-11-01/],
    [{ ...soon, revoked: true, active: false }, 'fail', /revoked/],
    [{ active: true, revoked: false }, 'ok', /no expiry date/],
  ])('%o → %s', (info, status, detail) => {
    const check = tokenExpiryCheck(info, config, NOW);
    expect(check.status).toBe(status);
    expect(check.detail).toMatch(detail);
    if (status !== 'ok') expect(check.fix).toMatch(/rotate.*gl\/token|gl\/token.*rotateToken/);
  });
});
