/**
 * Adversarial review of the write paths (branch `attack`): each block reproduces one finding against the
 * GitLab emulator and moto, and asserts what must NOT happen. The report on the branch lists them by
 * severity with the fix.
 */
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore, SecretsManagerTokenSecret } from '../../src/adapters/aws/secrets-manager-store.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from '../../src/adapters/gitlab/token-api.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { validateConfig } from '../../src/config/parse.js';
import { checkGitLabToken } from '../../src/core/gitlab-token.js';
import { ConfigError } from '../../src/errors.js';
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
  gitlab.requests.length = 0;
});

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

describe('token rotation: an answer that arrives after GitLab applied the rotate, but carries no token', () => {
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

  for (const [label, answer] of [
    ['an HTML page (a proxy or WAF answered 200)', { status: 200, contentType: 'text/html', body: '<html><body>ok</body></html>' }],
    ['JSON whose body was cut off', { status: 200, contentType: 'application/json', body: '{"id":7,"name":"refresher","token":"glpat-cut' }],
  ] as const) {
    it(`${label}: the outcome is unknown (GitLab may have revoked the old token), never "refused, unchanged"`, async () => {
      const token = `glpat-rotation-garbled-${label.length}-000`;
      const bot = gitlab.addUser(`bot-${label.length}`, { admin: true });
      gitlab.addToken(token, bot, ['api'], 'refresher', { expiresAt: day(5) });
      await client.send(new CreateSecretCommand({ Name: SECRET, SecretString: JSON.stringify({ token }) }));
      gitlab.garbleAfterApply(isRotate, answer);

      const result = await rotationRun(token);

      // GitLab applied the rotate: the old token no longer works.
      expect(gitlab.tokenInfo(token)?.revoked).toBe(true);
      expect(result.error).not.toMatch(/unchanged/);
      expect(result).toMatchObject({ outcomeUnknown: true, error: expect.stringMatching(/^token rotation outcome unknown: /) });
      // The secret says so to every later run (no run rotates the revoked token again), and the token is not leaked.
      const later = new SecretsManagerTokenSecret(client, SECRET);
      await later.read();
      expect(await later.state()).toMatchObject({ unknownSince: expect.any(Number) });
      expect(JSON.stringify(result)).not.toContain('glpat-cut');
      expect(JSON.parse((await currentSecret(client, SECRET)) ?? '{}')).toEqual({ token });
    });
  }
});

describe('validation: the GitLab CA secret is a secret the run must never write', () => {
  const base = {
    gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'ecr-gitlab-refresher/gitlab-token' },
    secrets: { prefix: 'ecr-gitlab-refresher/' },
    targets: [{ project: 'platform/api' }],
  };

  it('refuses a registry whose host secret is the CA secret, naming both fields', () => {
    const config = {
      ...base,
      gitlab: { ...base.gitlab, caCertificatesSecretId: 'ecr-gitlab-refresher/gitlab-ca' },
      registries: [{ name: 'gitlab-ca', public: true }],
    };
    expect(() => validateConfig(config)).toThrow(ConfigError);
    try {
      validateConfig(config);
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/registries\[0\]\.name: .*the CA certificates secret/);
      expect(problems).toMatch(/gitlab\.caCertificatesSecretId: .*one Secrets Manager secret \(ecr-gitlab-refresher\/gitlab-ca\)/);
    }
  });

  it('refuses the combined docker-config secret as the CA secret', () => {
    const config = {
      ...base,
      gitlab: { ...base.gitlab, caCertificatesSecretId: 'ecr-gitlab-refresher/docker-config' },
      registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
    };
    expect(() => validateConfig(config)).toThrow(/gitlab\.caCertificatesSecretId: the CA certificates secret and the combined docker-config secret are one Secrets Manager secret/);
  });
});
