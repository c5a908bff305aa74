/**
 * Adversarial review 2 (branch `attack2`): a rotate answered with a 5xx outside the transport's retry set
 * (a CDN's "origin timed out" 524, its 520 "unknown error") after GitLab applied it. Red on main before the fixes that landed with it (2026-11-30).
 */
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore, SecretsManagerTokenSecret } from '../../src/adapters/aws/secrets-manager-store.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from '../../src/adapters/gitlab/token-api.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { validateConfig } from '../../src/config/parse.js';
import { checkGitLabToken } from '../../src/core/token/gitlab-token.js';
import { CapturingLogger } from '../support/builders.js';
import { GitLabEmulator } from '../support/gitlab-emulator.js';
import { type MotoServer, startMoto, useMotoEnv } from '../support/moto.js';
import { currentSecret } from '../support/secrets.js';

let moto: MotoServer;
let restoreEnv: () => void;
let gitlab: GitLabEmulator;
let client: SecretsManagerClient;

beforeAll(async () => {
  moto = await startMoto();
  restoreEnv = useMotoEnv(moto.url);
  client = new SecretsManagerStore().client as SecretsManagerClient;
  gitlab = new GitLabEmulator();
  await gitlab.start();
});
afterAll(async () => {
  await gitlab.stop();
  restoreEnv();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
  gitlab.resetFaults();
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('token rotation: a 5xx outside the retry set, sent after GitLab applied the rotate', () => {
  const SECRET = 'ecr-gitlab-refresher/gitlab-token';
  const isRotate = (method: string, path: string) => method === 'POST' && path.endsWith('/personal_access_tokens/self/rotate');

  async function rotationRun(token: string) {
    const transport = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 2 }), requestTimeoutMs: 2_000 });
    const secret = new SecretsManagerTokenSecret(client, SECRET);
    await secret.read();
    let current = token;
    const api = new GitLabSelfTokenApi({ url: gitlab.url, token: async () => current, transport });
    const config = validateConfig({
      gitlab: { url: gitlab.url, allowInsecureHttp: true, tokenSecretId: SECRET, rotateToken: { daysBefore: 14, lifetimeDays: 90 } },
      registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
      targets: [{ project: 'platform/api' }],
    });
    return checkGitLabToken(config.gitlab as NonNullable<typeof config.gitlab>, {
      api,
      secret,
      use: (next) => {
        current = next;
      },
      onSecret: () => {},
      clock: { now: Date.now },
      logger: new CapturingLogger(),
      wait: async () => {},
    });
  }

  for (const status of [524, 520]) {
    it(`${status}: the outcome is unknown (GitLab revoked the old token), never "refused, so the current token is unchanged"`, async () => {
      const token = `glpat-attack2-rotation-${status}-0000`;
      const bot = gitlab.addUser(`attack2-bot-${status}`, { admin: true });
      gitlab.addToken(token, bot, ['api'], 'refresher', { expiresAt: day(5) });
      await client.send(new CreateSecretCommand({ Name: SECRET, SecretString: JSON.stringify({ token }) }));
      gitlab.garbleAfterApply(isRotate, { status, contentType: 'text/html', body: '<html><body>A timeout occurred</body></html>' });

      const result = await rotationRun(token);

      expect(gitlab.tokenInfo(token)?.revoked).toBe(true);
      expect(result.error).not.toMatch(/unchanged/);
      expect(result).toMatchObject({ outcomeUnknown: true });
      // The lock was given back: the next run sees a plain current version and rotates the revoked token's family again.
      const later = new SecretsManagerTokenSecret(client, SECRET);
      await later.read();
      expect(await later.state()).toMatchObject({ unknownSince: expect.any(Number) });
      expect(JSON.parse((await currentSecret(client, SECRET)) ?? '{}')).toEqual({ token });
    });
  }
});
