import { writeFileSync } from 'node:fs';
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliProcess } from '../support/cli-process.js';
import { motoClientConfig } from '../support/moto.js';
import { type Sandbox, startSandbox } from '../support/sandbox.js';

const EXPIRING = 'glpat-expiring-in-five-days-0001';
const SECRET = 'ecr-gitlab-refresher/rotating-token';
let sandbox: Sandbox;
let configPath: string;
let secrets: SecretsManagerClient;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
const storedToken = async () => JSON.parse((await secrets.send(new GetSecretValueCommand({ SecretId: SECRET }))).SecretString ?? '{}');
const refresh = () => runCliProcess(['refresh', '--config', configPath, '--json'], { ...sandbox.env, GITLAB_TOKEN: undefined });

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
    await secrets.send(new PutSecretValueCommand({ SecretId: SECRET, SecretString: JSON.stringify({ token: EXPIRING }) }));
    try {
      const run = await refresh();
      expect(run.code).toBe(1);
      const summary = JSON.parse(run.stdout);
      expect(summary.gitlabToken.note).toMatch(/could not read the GitLab token's expiry: .*401/);
      expect(summary.targets).toHaveLength(3);
      for (const target of summary.targets) expect(target.error).toMatch(/401 Unauthorized — the GitLab token is invalid, expired or revoked/);
    } finally {
      await secrets.send(new PutSecretValueCommand({ SecretId: SECRET, SecretString: JSON.stringify(revoked) }));
    }
  });
});
