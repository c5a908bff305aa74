/**
 * Adversarial review of the write paths (branch `attack`): each block reproduces one finding against the
 * GitLab emulator and moto, and asserts what must NOT happen. The report on the branch lists them by
 * severity with the fix.
 */
import { CreateSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore, SecretsManagerTokenSecret } from '../../src/adapters/aws/secrets-manager-store.js';
import { GitLabDiscoveryApi } from '../../src/adapters/gitlab/discovery.js';
import { GitLabApiInspector } from '../../src/adapters/gitlab/inspector.js';
import { GitLabJobVariables } from '../../src/adapters/gitlab/job-variables.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from '../../src/adapters/gitlab/token-api.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { GitLabVariableStore } from '../../src/adapters/gitlab/variable-store.js';
import { validateConfig } from '../../src/config/parse.js';
import { configWarnings } from '../../src/core/inspect/config-warnings.js';
import { runDoctor } from '../../src/core/inspect/doctor.js';
import { explainPull } from '../../src/core/inspect/explain/explain.js';
import { collectStatus } from '../../src/core/inspect/status.js';
import { runRefresh } from '../../src/core/refresh/refresh.js';
import { checkGitLabToken } from '../../src/core/token/gitlab-token.js';
import { ConfigError } from '../../src/errors.js';
import { CapturingLogger, FakeMinter } from '../support/builders.js';
import { refreshAgainstEmulator } from '../support/emulator-refresh.js';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';
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

describe('token rotation: an answer that arrives after GitLab applied the rotate, but carries no token or is not a clear refusal', () => {
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
    // A 5xx outside the transport's retry set: a CDN's "origin timed out" and "unknown error" (review 2, red before its fix).
    ["a CDN's 524", { status: 524, contentType: 'text/html', body: '<html><body>A timeout occurred</body></html>' }],
    ["a CDN's 520", { status: 520, contentType: 'text/html', body: '<html><body>Unknown error</body></html>' }],
  ] as const) {
    it(`${label}: the outcome is unknown (GitLab may have revoked the old token), never "refused, unchanged"`, async () => {
      const token = `glpat-rotation-garbled-${label.length}-${answer.status}`;
      const bot = gitlab.addUser(`bot-${label.length}-${answer.status}`, { admin: true });
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

describe('coverShadowing with a nested group target: the nearest group decides what a project below it receives', () => {
  const TOKEN = 'glpat-attack-nested-cover-01';
  const KEY = 'DOCKER_AUTH_CONFIG';
  const DEV = '222222222222.dkr.ecr.us-east-1.amazonaws.com';
  const ids: Record<string, number> = {};

  beforeAll(() => {
    const bot = gitlab.addUser('nested-bot');
    gitlab.addToken(TOKEN, bot);
    for (const group of ['nest', 'nest/dev-team']) ids[group] = gitlab.addGroup(group);
    ids.app = gitlab.addProject('nest/dev-team/app');
    gitlab.addMember('group', ids.nest as number, bot, ACCESS.owner);
  });

  const nestConfig = (targets: Array<Record<string, unknown>>) =>
    validateConfig({
      gitlab: { url: gitlab.url, allowInsecureHttp: true },
      registries: [
        { name: 'prod', accountId: '111111111111', regions: ['us-east-1'] },
        { name: 'dev', accountId: '222222222222', regions: ['us-east-1'] },
      ],
      targets,
    });

  async function run(targets: Array<Record<string, unknown>>) {
    gitlab.clearVariables();
    gitlab.putVariable({ project: ids.app as number }, { key: KEY, value: JSON.stringify({ auths: { 'quay.io': { auth: 'cXVheTpxdWF5' } } }), raw: true });
    const config = nestConfig(targets);
    const { summary } = await refreshAgainstEmulator(config, gitlab.url, TOKEN, { discovery: true });
    const app = JSON.parse(gitlab.getVariable({ project: ids.app as number }, KEY)?.value ?? '{}');
    return { summary, hosts: Object.keys(app.auths ?? {}).sort() };
  }

  const outer = { group: 'nest', coverShadowing: true };
  const inner = { group: 'nest/dev-team', registries: ['dev'], coverShadowing: true };

  it("gives the project below the inner group only the inner group's hosts, whatever the order of the targets", async () => {
    const innerFirst = await run([inner, outer]);
    expect(innerFirst.hosts).toEqual([DEV, 'quay.io']);
    const outerFirst = await run([outer, inner]);
    // Without the project's own variable its jobs get nest/dev-team's value (dev only), never nest's prod credentials.
    expect(outerFirst.hosts).toEqual([DEV, 'quay.io']);
    expect(outerFirst.summary.targets.find((t) => t.target === 'project:nest/dev-team/app')).toMatchObject({ via: 'group:nest/dev-team', status: 'updated' });
  });

  async function doctorShadowing(targets: Array<Record<string, unknown>>) {
    const config = nestConfig(targets);
    const transport = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 4 }), requestTimeoutMs: 2_000 });
    const options = { url: gitlab.url, token: TOKEN, transport };
    const checks = await runDoctor(config, {
      aws: {
        callerIdentity: async () => ({ account: '999999999999', arn: 'arn:aws:sts::999999999999:assumed-role/ops/me' }),
        describeSecret: async () => ({ tags: { 'managed-by': 'ecr-gitlab-refresher' } }),
        assumeRole: async () => {},
        probePull: async () => ({ outcome: 'allowed', detail: 'allowed' }),
        oidcProvider: async () => undefined,
        profileRoles: async () => [],
        secretValue: async () => undefined,
      },
      minter: new FakeMinter(),
      gitlab: new GitLabApiInspector(options),
      discovery: new GitLabDiscoveryApi(options),
      token: new GitLabSelfTokenApi(options),
      variables: new GitLabVariableStore(options),
      onSecret: () => {},
      now: Date.now,
    });
    return checks.filter((check) => check.check === 'shadowing' && check.subject === 'project:nest/dev-team/app');
  }

  it('doctor agrees: the nearer covering group reports the project once, as covered by it', async () => {
    await run([outer, inner]);
    const checks = await doctorShadowing([outer, inner]);
    expect(checks).toEqual([expect.objectContaining({ status: 'ok', detail: expect.stringContaining('covered: group:nest/dev-team has coverShadowing') })]);
  });

  it('doctor agrees: below a nearer group target without coverShadowing the outer group does not cover it (warn with the fix)', async () => {
    await run([outer, { group: 'nest/dev-team', registries: ['dev'] }]);
    const checks = await doctorShadowing([outer, { group: 'nest/dev-team', registries: ['dev'] }]);
    expect(checks.map((check) => check.status)).toEqual(['warn', 'warn']);
    expect(checks.map((check) => check.detail).join('\n')).toMatch(/which hides group:nest's value; not covered: below group:nest\/dev-team/);
    expect(checks.map((check) => check.detail).join('\n')).toMatch(/which hides group:nest\/dev-team's value in its jobs/);
  });

  it("leaves the project alone (reported) when the inner group target does not cover, rather than handing it the outer group's credentials", async () => {
    const { summary, hosts } = await run([outer, { group: 'nest/dev-team', registries: ['dev'] }]);
    expect(hosts).toEqual(['quay.io']);
    expect(summary.targets.find((t) => t.target === 'project:nest/dev-team/app')).toMatchObject({
      status: 'skipped',
      via: 'group:nest',
      note: expect.stringMatching(/^not covered: below group:nest\/dev-team, which has its own DOCKER_AUTH_CONFIG target/),
    });
  });
});

describe('Secrets Manager: a secret of the same name that the tool did not create is never written', () => {
  const PREFIX = 'ecr-gitlab-refresher/';
  const raw = {
    registries: [
      { name: 'prod', accountId: '111111111111', regions: ['us-east-1'] },
      { name: 'dev', accountId: '222222222222', regions: ['us-east-1'] },
    ],
    secrets: { prefix: PREFIX },
    profiles: [{ name: 'dev', registries: ['dev'], projects: ['platform/*'] }],
    oidc: { issuer: 'https://gitlab.example.com' },
  };
  const config = () => validateConfig(raw);
  const refresh = () =>
    runRefresh(
      config(),
      { dryRun: false },
      { minter: new FakeMinter(), secretStore: new SecretsManagerStore(), clock: { now: Date.now }, logger: new CapturingLogger(), onSecret: () => {} },
    );
  const foreign = {
    [`${PREFIX}prod/us-east-1`]: 'db-password-of-another-team',
    [`${PREFIX}profiles/dev`]: 'another-teams-value',
    [`${PREFIX}docker-config`]: '{"auths":{},"owner":"them"}',
  };

  it('leaves host, combined and profile secrets it did not create exactly as they are, and says so; its own secrets are written', async () => {
    for (const [Name, SecretString] of Object.entries(foreign)) await client.send(new CreateSecretCommand({ Name, SecretString, Tags: [{ Key: 'team', Value: 'db' }] }));
    const summary = await refresh();
    for (const [name, value] of Object.entries(foreign)) expect(await currentSecret(client, name), name).toBe(value);
    const results = [...summary.secrets.map((s) => [s.name, s] as const), ...summary.profiles.map((p) => [p.secret, p] as const)];
    const byName = Object.fromEntries(results);
    for (const name of Object.keys(foreign)) {
      expect(byName[name], name).toMatchObject({ status: 'failed', error: expect.stringContaining('was not created by ecr-gitlab-refresher') });
    }
    // The secret nobody else had is created, tagged as the tool's, and the next run updates it.
    expect(byName[`${PREFIX}dev/us-east-1`]).toMatchObject({ status: 'created' });
    const again = await refresh();
    expect(again.secrets.find((s) => s.name === `${PREFIX}dev/us-east-1`)).toMatchObject({ status: 'updated' });
    expect(JSON.parse((await currentSecret(client, `${PREFIX}dev/us-east-1`)) ?? '{}')).toMatchObject({ registry: '222222222222.dkr.ecr.us-east-1.amazonaws.com' });
  });

  it("refuses secrets.tags that would take the managed-by tag, which marks the secrets as the tool's own", () => {
    expect(() => validateConfig({ ...raw, secrets: { prefix: PREFIX, tags: { 'managed-by': 'platform' } } })).toThrow(
      /secrets\.tags\.managed-by: reserved: the tool tags the secrets it creates managed-by=ecr-gitlab-refresher/,
    );
  });
});

describe('read-only commands never print what a value holds, even when it is not valid JSON', () => {
  const TOKEN = 'glpat-attack-readonly-000001';
  const AUTH = Buffer.from('deploy:S3cr3t-registry-password').toString('base64');

  it('explain: a DOCKER_AUTH_CONFIG with a JSON typo is "dropped" without quoting the value around the typo', async () => {
    const admin = gitlab.addUser('readonly-admin', { admin: true });
    gitlab.addToken(TOKEN, admin);
    gitlab.addGroup('leaky');
    const project = gitlab.addProject('leaky/app');
    // An unquoted auth string: JSON.parse's message quotes the characters around it.
    gitlab.putVariable({ project }, { key: 'DOCKER_AUTH_CONFIG', value: `{"auths":{"registry.example.com":{"auth":${AUTH}}}}`, raw: true });
    const transport = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 4 }), requestTimeoutMs: 2_000 });
    const report = await explainPull(
      { project: 'leaky/app', image: 'registry.example.com/team/app:1' },
      { gitlab: new GitLabJobVariables({ url: gitlab.url, token: TOKEN, transport }), now: Date.now },
    );
    expect(report.runner).toMatchObject({ outcome: 'dropped', detail: expect.stringMatching(/^not JSON \(invalid JSON( at position \d+)?\)$/) });
    expect(JSON.stringify(report)).not.toContain(AUTH.slice(0, 8));
  });

  it("status: a host secret someone else stored is reported as not the tool's record, without quoting it", async () => {
    await client.send(new CreateSecretCommand({ Name: 'ecr-gitlab-refresher/prod/us-east-1', SecretString: 'hunter2-db-password' }));
    const config = validateConfig({
      registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
      secrets: { prefix: 'ecr-gitlab-refresher/' },
      profiles: [{ name: 'p', registries: ['prod'], projects: ['g/*'] }],
      oidc: { issuer: 'https://gitlab.example.com' },
    });
    const report = await collectStatus(config, undefined, new SecretsManagerStore(), Date.now());
    expect(report.secrets.find((secret) => secret.name === 'ecr-gitlab-refresher/prod/us-east-1')).toMatchObject({ state: 'error' });
    expect(JSON.stringify(report)).not.toContain('hunter2');
  });
});

describe('validation: a secrets prefix that reaches other secrets', () => {
  it('warns when the prefix does not end in "/": the stack grants secret:<prefix>*, which reaches secrets that merely start with it', () => {
    const config = (prefix: string) =>
      validateConfig({
        registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
        secrets: { prefix },
        targets: [{ project: 'g/p' }],
        gitlab: { url: 'https://gitlab.example.com' },
      });
    expect(configWarnings(config('team'))).toEqual([
      {
        path: 'secrets.prefix',
        detail: expect.stringContaining('"team" does not end with "/": the deployed function may read and write every secret'),
        fix: expect.stringContaining('"team/"'),
      },
    ]);
    expect(configWarnings(config('team/'))).toEqual([]);
  });
});
