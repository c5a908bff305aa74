import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { tokenExpiryCheck } from '../../src/core/doctor.js';
import { checkGitLabToken, type GitLabTokenDeps } from '../../src/core/gitlab-token.js';
import type { GitLabTokenInfo } from '../../src/core/ports.js';
import { aConfig, CapturingLogger } from '../support/builders.js';

const NOW = Date.parse('2026-11-22T06:00:00Z');
const NEW_TOKEN = 'glpat-successor-token-000000001';

function setup(info: GitLabTokenInfo | undefined, options: { storeFails?: number; writableFails?: boolean } = {}) {
  const events: string[] = [];
  const logger = new CapturingLogger();
  let failures = options.storeFails ?? 0;
  let now = NOW;
  const deps: GitLabTokenDeps = {
    api: {
      self: async () => info,
      rotateSelf: async (expiresAt) => {
        events.push(`rotate ${expiresAt}`);
        return { token: NEW_TOKEN, expiresAt };
      },
    },
    secret: {
      checkWritable: async () => {
        events.push('check-writable');
        if (options.writableFails) throw new Error('AccessDeniedException: not authorized to perform secretsmanager:PutSecretValue');
      },
      store: async (token) => {
        events.push(`store ${token === NEW_TOKEN ? 'new' : 'other'}`);
        if (failures-- > 0) throw new Error('ThrottlingException: rate exceeded');
      },
    },
    use: (token) => events.push(`use ${token === NEW_TOKEN ? 'new' : 'other'}`),
    onSecret: (secret) => events.push(`redact ${secret === NEW_TOKEN ? 'new' : 'other'}`),
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

  it('rotates within the window: proves the secret writable, rotates with an explicit expiry, stores the successor, and only then uses it', async () => {
    const { deps, events } = setup(soon);
    const result = await checkGitLabToken(rotating, deps);
    expect(result).toEqual({ expiresAt: '2027-02-20', rotated: true });
    expect(events).toEqual(['check-writable', 'rotate 2027-02-20', 'redact new', 'store new', 'use new']);
  });

  it('retries storing the successor, and fails loudly without the token when it never gets stored', async () => {
    const retried = setup(soon, { storeFails: 2 });
    await expect(checkGitLabToken(rotating, retried.deps)).resolves.toMatchObject({ rotated: true });
    expect(retried.events.filter((e) => e === 'store new')).toHaveLength(3);

    const failing = setup(soon, { storeFails: 1_000 });
    const result = await checkGitLabToken(rotating, failing.deps);
    expect(result).toMatchObject({ rotated: true, error: expect.stringMatching(/could not be stored.*next run will fail with 401.*README/) });
    // This run still goes on with the successor: the old token is revoked already.
    expect(failing.events.at(-1)).toBe('use new');
    const everything = JSON.stringify({ result, logs: failing.logger.lines });
    expect(everything).not.toContain(NEW_TOKEN);
  });

  it('does not rotate when the secret cannot be written: the old token keeps working', async () => {
    const { deps, events } = setup(soon, { writableFails: true });
    const result = await checkGitLabToken(rotating, deps);
    expect(result.error).toMatch(/cannot be written, so the token was not rotated.*PutSecretValue/);
    expect(events).toEqual(['check-writable']);
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
