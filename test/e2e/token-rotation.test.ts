import { writeFileSync } from 'node:fs';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliProcess } from '../support/cli-process.js';
import { motoClientConfig } from '../support/moto.js';
import { type Sandbox, startSandbox } from '../support/sandbox.js';
import { currentSecret, storeSecretByHand } from '../support/secrets.js';

const EXPIRING = 'glpat-expiring-in-five-days-0001';
const SECRET = 'ecr-gitlab-refresher/rotating-token';
let sandbox: Sandbox;
let configPath: string;
let secrets: SecretsManagerClient;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const storedToken = async () => JSON.parse((await currentSecret(secrets, SECRET)) ?? '{}');
const rotateRequests = () => sandbox.gitlab.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/personal_access_tokens/self/rotate'));
/** A fresh token that expires in five days, stored as the refresher's: the next run must rotate it. */
const expiringToken = async (token: string) => {
  const bot = sandbox.gitlab.addUser(`bot-${token.slice(-4)}`, { admin: true });
  sandbox.gitlab.addToken(token, bot, ['api'], 'refresher', { expiresAt: day(5) });
  await storeSecretByHand(secrets, SECRET, JSON.stringify({ token, owner: 'platform-team' }));
};
const refresh = () => runCliProcess(['refresh', '--config', configPath, '--json'], { ...sandbox.env, GITLAB_TOKEN: undefined });
const rotationCheck = async () => {
  const run = await runCliProcess(['doctor', '--config', configPath, '--json'], { ...sandbox.env, GITLAB_TOKEN: undefined });
  return (JSON.parse(run.stdout).checks as Array<{ check: string }>).find((check) => check.check === 'gitlab-token-rotation');
};

beforeAll(async () => {
  sandbox = await startSandbox();
  secrets = new SecretsManagerClient(motoClientConfig(sandbox.moto.url));
  const bot = sandbox.gitlab.addUser('rotating-bot', { admin: true });
  sandbox.gitlab.addToken(EXPIRING, bot, ['api'], 'refresher', { expiresAt: day(5) });
  await secrets.send(new CreateSecretCommand({ Name: SECRET, SecretString: JSON.stringify({ token: EXPIRING, owner: 'platform-team' }) }));
  const config = structuredClone(sandbox.config) as { gitlab: Record<string, unknown> };
  config.gitlab.tokenSecretId = SECRET;
  config.gitlab.rotateToken = { daysBefore: 14, lifetimeDays: 90 };
  configPath = `${sandbox.configPath}.rotation.yml`;
  writeFileSync(configPath, stringify(config));
});
afterAll(() => sandbox.stop());

describe('GitLab token rotation (gitlab.rotateToken)', () => {
  it('rotates a token within the window, stores the successor in the same format, and finishes the run with it', async () => {
    const run = await refresh();
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.gitlabToken).toEqual({ expiresAt: day(90), rotated: true });
    expect(summary.targets.map((t: { status: string }) => t.status)).toEqual(['updated', 'created', 'updated']);
    // GitLab revoked the old token at once; the targets were still written, so the new one was used.
    expect(sandbox.gitlab.tokenInfo(EXPIRING)?.revoked).toBe(true);
    const stored = await storedToken();
    expect(stored.owner).toBe('platform-team');
    expect(stored.token).toMatch(/^glpat-/);
    expect(stored.token).not.toBe(EXPIRING);
    expect(sandbox.gitlab.tokenInfo(stored.token)).toMatchObject({ revoked: false, expiresAt: day(90) });
    expect(run.stdout + run.stderr).not.toContain(stored.token);
  });

  it('the next run reads the successor from the secret and leaves it alone', async () => {
    const before = await storedToken();
    const run = await refresh();
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).gitlabToken).toEqual({ expiresAt: day(90) });
    expect((await storedToken()).token).toBe(before.token);
  });

  it('fails every target with the fix when the token in the secret was revoked', async () => {
    const revoked = await storedToken();
    await storeSecretByHand(secrets, SECRET, JSON.stringify({ token: EXPIRING }));
    try {
      const run = await refresh();
      expect(run.code).toBe(1);
      const summary = JSON.parse(run.stdout);
      expect(summary.gitlabToken.note).toMatch(/could not read the GitLab token's expiry: .*401/);
      expect(summary.targets).toHaveLength(3);
      for (const target of summary.targets) expect(target.error).toMatch(/401 Unauthorized — the GitLab token is invalid, expired or revoked/);
    } finally {
      await storeSecretByHand(secrets, SECRET, JSON.stringify(revoked));
    }
  });

  it('two overlapping runs in the rotation window rotate once and leave exactly one working token stored, and both finish with it', async () => {
    const token = 'glpat-overlapping-runs-token-0003';
    await expiringToken(token);
    const before = rotateRequests().length;
    const [first, second] = await Promise.all([refresh(), refresh()]);
    expect(first.code, first.stderr).toBe(0);
    expect(second.code, second.stderr).toBe(0);
    expect(rotateRequests().length - before).toBe(1);
    const stored = (await storedToken()).token;
    expect(stored).not.toBe(token);
    expect(sandbox.gitlab.activeTokensOfFamily(token)).toEqual([stored]);
    const notes = [first, second].map((run) => JSON.parse(run.stdout).gitlabToken);
    expect(notes.filter((note) => note.rotated === true)).toHaveLength(1);
    // The other run went on with the successor: it adopted it mid-run, or (started late on a busy machine) read it at start.
    const other = notes.find((note) => note.rotated !== true);
    expect(other).toMatchObject({ expiresAt: day(90) });
    expect(other.error).toBeUndefined();
  });

  it('reports a rotate whose answer was lost as unknown, never sends it again, and keeps the old token stored for a person to replace', async () => {
    const token = 'glpat-lost-rotation-answer-0004';
    await expiringToken(token);
    const before = rotateRequests().length;
    sandbox.gitlab.dropAfterApply((method, path) => method === 'POST' && path.endsWith('/personal_access_tokens/self/rotate'));
    const run = await refresh();
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.gitlabToken).toMatchObject({
      outcomeUnknown: true,
      error: expect.stringMatching(/^token rotation outcome unknown: .*create a new token and store it in ecr-gitlab-refresher\/rotating-token/),
    });
    expect(summary.gitlabToken.error).not.toMatch(/unchanged/);
    expect(rotateRequests().length - before).toBe(1);
    // GitLab applied it: the old token is revoked, and its successor reached nobody.
    expect(sandbox.gitlab.tokenInfo(token)?.revoked).toBe(true);
    expect((await storedToken()).token).toBe(token);

    // The next run cannot use the old token, says why, and above all never rotates it again (that would revoke the family).
    const next = await refresh();
    expect(next.code).toBe(1);
    expect(JSON.parse(next.stdout).gitlabToken).toMatchObject({
      outcomeUnknown: true,
      error: expect.stringMatching(/^token rotation outcome unknown: a rotation at .* got no answer/),
    });
    expect(rotateRequests().length - before).toBe(1);
    expect(sandbox.gitlab.activeTokensOfFamily(token)).toHaveLength(1);
    expect(await rotationCheck()).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^a rotation at .* got no answer: the token the secret holds may be revoked/),
      fix: expect.stringContaining(`store it in ${SECRET}`),
    });

    // A person stores a new token: the marker is gone with the old version, and runs are healthy again.
    const fresh = 'glpat-stored-by-a-person-0005';
    sandbox.gitlab.addToken(fresh, sandbox.gitlab.addUser('person-bot', { admin: true }), ['api'], 'refresher', { expiresAt: day(200) });
    await storeSecretByHand(secrets, SECRET, JSON.stringify({ token: fresh }));
    const healed = await refresh();
    expect(healed.code, healed.stderr).toBe(0);
    expect(JSON.parse(healed.stdout).gitlabToken).toEqual({ expiresAt: day(200) });
    expect(await rotationCheck()).toMatchObject({ status: 'ok', detail: 'no rotation running or left unfinished' });
  });
});
