import { DeleteSecretCommand, RestoreSecretCommand, SecretsManagerClient, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import type { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkAwsInspector } from '../../src/adapters/aws/aws-inspector.js';
import { RoleCredentials } from '../../src/adapters/aws/role-credentials.js';
import { validateConfig } from '../../src/config/parse.js';
import { runDoctor } from '../../src/core/inspect/doctor.js';
import { scopesOverlap } from '../../src/domain/gitlab-wildcards.js';
import { buildObservability } from '../../src/wiring.js';
import { buildDoctorPorts } from '../../src/wiring-inspect.js';
import { runCliProcess } from '../support/cli-process.js';
import { ACCESS } from '../support/gitlab-emulator.js';
import { useMotoEnv } from '../support/moto.js';
import { ECR_TOKEN_LIFETIME_SECONDS, type Sandbox, startSandbox } from '../support/sandbox.js';

const OPS_TOKEN = 'glpat-ops-read-api-only-0001';
let sandbox: Sandbox;
let restoreEnv: () => void;

interface CheckJson {
  check: string;
  subject?: string;
  status: string;
  detail: string;
  fix?: string;
}

beforeAll(async () => {
  // Tokens live 12 hours as on AWS, so states are judged on real expiry times (moto alone says 2015).
  sandbox = await startSandbox({ tokenLifetimeSeconds: ECR_TOKEN_LIFETIME_SECONDS });
  restoreEnv = useMotoEnv(sandbox.moto.url);
  const ops = sandbox.gitlab.addUser('ops');
  sandbox.gitlab.addToken(OPS_TOKEN, ops, ['read_api']);
  sandbox.gitlab.addMember('group', sandbox.ids.platform as number, ops, ACCESS.owner);
  const team = sandbox.gitlab.addGroup('team');
  sandbox.gitlab.addProject('team/svc');
  sandbox.gitlab.addMember('group', team, ops, ACCESS.developer);
});
afterAll(async () => {
  restoreEnv();
  await sandbox.stop();
});
beforeEach(() => sandbox.resetGitLab());

describe('CLI: doctor', () => {
  it('names a missing api scope, a Developer-only role, a hidden and a non-JSON variable, and a shadowing project', async () => {
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) Object.assign(api, { hidden: true, masked: true });
    const web = sandbox.gitlab.getVariable({ project: sandbox.ids.web as number }, 'DOCKER_AUTH_CONFIG', 'production');
    if (web) web.value = 'definitely not json';
    const config = structuredClone(sandbox.config) as { targets: unknown[] };
    config.targets.push({ project: 'team/svc' });
    const path = `${sandbox.configPath}.doctor.json`;
    (await import('node:fs')).writeFileSync(path, JSON.stringify(config));

    const run = await runCliProcess(['doctor', '--config', path, '--json'], { ...sandbox.env, GITLAB_TOKEN: OPS_TOKEN });
    expect(run.code).toBe(2);
    const { exitCode, checks } = JSON.parse(run.stdout) as { exitCode: number; checks: CheckJson[] };
    expect(exitCode).toBe(2);
    const find = (check: string, subject?: string) => checks.find((c) => c.check === check && (subject === undefined || c.subject === subject));
    expect(find('gitlab-scopes')).toMatchObject({ status: 'fail', detail: 'scopes: read_api', fix: expect.stringContaining('api scope') });
    expect(find('role', 'project:team/svc')).toMatchObject({ status: 'fail', detail: 'ops has access level 30', fix: 'give ops the Maintainer role (40)' });
    expect(find('role', 'group:platform')).toMatchObject({ status: 'ok' });
    expect(find('variable', 'project:platform/api DOCKER_AUTH_CONFIG')).toMatchObject({ status: 'fail', fix: expect.stringContaining('ownership: full') });
    expect(find('variable', 'project:platform/web DOCKER_AUTH_CONFIG@production')).toMatchObject({ status: 'fail', detail: expect.stringContaining('not JSON') });
    expect(find('shadowing', 'project:platform/backend/worker')).toMatchObject({ status: 'warn', fix: expect.stringContaining('- { project: platform/backend/worker }') });
    // platform/api's "*" and platform/web's production rows are written by targets: not shadows. platform/web's
    // staging row is not written by any target (that target covers production only), so it hides the group's value.
    expect(checks.filter((c) => c.check === 'shadowing').map((c) => `${c.subject}: ${c.detail.split(',')[0]}`)).toEqual([
      'project:platform/web: defines its own DOCKER_AUTH_CONFIG (scope staging)',
      'project:platform/backend/worker: defines its own DOCKER_AUTH_CONFIG (scope *)',
    ]);
    expect(run.stdout + run.stderr).not.toContain(OPS_TOKEN);
    // Read-only: nothing was written.
    expect(sandbox.gitlab.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('reports a role that cannot be assumed, and still checks the rest', async () => {
    const config = validateConfig(sandbox.config);
    const observability = buildObservability({ env: process.env, writeLog: () => {}, defaultLogLevel: 'silent', correlationId: 't' });
    const ports = await buildDoctorPorts(
      config,
      { env: { ...process.env, GITLAB_TOKEN: undefined }, writeLog: () => {}, defaultLogLevel: 'silent', correlationId: 't' },
      observability,
    );
    const denying = new RoleCredentials(
      () =>
        ({
          send: async () => {
            throw Object.assign(new Error('User: arn:aws:iam::123456789012:user/moto is not authorized to perform: sts:AssumeRole'), { name: 'AccessDenied' });
          },
        }) as unknown as Pick<STSClient, 'send'>,
    );
    ports.aws = new SdkAwsInspector(denying);
    const checks = await runDoctor(config, ports);
    expect(checks.find((c) => c.check === 'assume-role')).toMatchObject({
      status: 'fail',
      subject: 'arn:aws:iam::222222222222:role/ecr-pull',
      detail: expect.stringContaining('not authorized to perform: sts:AssumeRole'),
      fix: expect.stringContaining('trust policy'),
    });
    expect(checks.find((c) => c.check === 'gitlab-token')?.status).toBe('ok');
  });

  it("also reports shadowing of a group target's extra (push) variables", async () => {
    sandbox.gitlab.putVariable({ project: sandbox.ids.worker as number }, { key: 'ECR_PUSH', value: '{"auths":{}}' });
    const path = `${sandbox.configPath}.push-shadow.json`;
    const config = structuredClone(sandbox.config) as { targets: Array<Record<string, unknown>> };
    config.targets = [{ group: 'platform', variables: [{ name: 'ECR_PUSH', variableType: 'file' }] }, { project: 'platform/backend/worker' }];
    (await import('node:fs')).writeFileSync(path, JSON.stringify(config));
    const run = await runCliProcess(['doctor', '--config', path, '--json'], sandbox.env);
    const shadowing = (JSON.parse(run.stdout).checks as CheckJson[]).filter((c) => c.check === 'shadowing' && c.status === 'warn');
    // worker is a target for DOCKER_AUTH_CONFIG (merged, not a shadow) but not for ECR_PUSH; api and web are targets of neither.
    expect(shadowing.map((c) => `${c.subject}: ${c.detail.split(', which')[0]}`).sort()).toEqual([
      'project:platform/api: defines its own DOCKER_AUTH_CONFIG (scope *)',
      'project:platform/backend/worker: defines its own ECR_PUSH (scope *)',
      'project:platform/web: defines its own DOCKER_AUTH_CONFIG (scope production)',
      'project:platform/web: defines its own DOCKER_AUTH_CONFIG (scope staging)',
    ]);
  });

  it('exits 0 when everything is fine: shadowing covered by coverShadowing is ok', async () => {
    const path = `${sandbox.configPath}.clean.json`;
    const config = structuredClone(sandbox.config) as { targets: Array<Record<string, unknown>> };
    config.targets = config.targets.map((target) => (target.group ? { ...target, coverShadowing: true } : target));
    (await import('node:fs')).writeFileSync(path, JSON.stringify(config));
    const run = await runCliProcess(['doctor', '--config', path], sandbox.env);
    expect(run.stdout).toMatch(/\d+ ok, 0 warnings, 0 failures/);
    // The mint line names the configured account's host refresh writes, not moto's own (123456789012).
    expect(run.stdout).toMatch(
      /^ok {4}mint prod@us-east-1: refresh writes 111111111111\.dkr\.ecr\.us-east-1\.amazonaws\.com with the token minted for 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com/m,
    );
    expect(run.stdout).toMatch(/^ok {4}shadowing project:platform\/backend\/worker: defines its own DOCKER_AUTH_CONFIG \(scope \*\); covered: group:platform has coverShadowing/m);
    expect(run.code).toBe(0);
  });

  it('never reports a project merely shared with the group: it inherits none of its variables', async () => {
    const namespace = `elsewhere${Date.now()}`;
    sandbox.gitlab.addGroup(namespace);
    const shared = sandbox.gitlab.addProject(`${namespace}/shared`);
    sandbox.gitlab.shareProject(shared, sandbox.ids.platform as number);
    sandbox.gitlab.putVariable({ project: shared }, { key: 'DOCKER_AUTH_CONFIG', value: '{"auths":{}}' });
    const run = await runCliProcess(['doctor', '--config', sandbox.configPath, '--json'], sandbox.env);
    const subjects = (JSON.parse(run.stdout).checks as CheckJson[]).filter((c) => c.check === 'shadowing').map((c) => c.subject);
    expect(subjects).toContain('project:platform/backend/worker');
    expect(subjects.some((subject) => subject?.includes('shared'))).toBe(false);
  });

  it("reports the GitLab token's expiry, unmasked credentials and values whose helpers override the fresh entries", async () => {
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const expiring = 'glpat-doctor-expiring-token-01';
    const bot = sandbox.gitlab.addUser('doctor-bot', { admin: true });
    sandbox.gitlab.addToken(expiring, bot, ['api'], 'refresher', { expiresAt: soon });
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) {
      api.value = JSON.stringify({
        auths: { '111111111111.dkr.ecr.us-east-1.amazonaws.com': { auth: 'QVdTOng=' } },
        credHelpers: { '111111111111.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' },
        credsStore: 'ecr-login',
        ecrGitlabRefresher: {
          refreshedAt: new Date().toISOString(),
          expiresAt: { '111111111111.dkr.ecr.us-east-1.amazonaws.com': new Date(Date.now() + 6 * 3600_000).toISOString() },
        },
      });
      api.masked = false;
    }
    const run = await runCliProcess(['doctor', '--config', sandbox.configPath], { ...sandbox.env, GITLAB_TOKEN: expiring });
    expect(run.stdout).toMatch(new RegExp(`^WARN  gitlab-token-expiry: expires on ${soon}, in 9 days\n {6}fix: create a new token .*or set gitlab.rotateToken`, 'm'));
    expect(run.stdout).toMatch(/^WARN {2}masking project:platform\/api DOCKER_AUTH_CONFIG: holds ECR credentials UNMASKED/m);
    expect(run.stdout).toMatch(/^WARN {2}runner-overrides project:platform\/api DOCKER_AUTH_CONFIG: the value holds "credsStore": "ecr-login".*\n {6}fix: remove credsStore/m);
    expect(run.stdout).toMatch(
      /^WARN {2}runner-overrides project:platform\/api DOCKER_AUTH_CONFIG: credHelpers sends .*\n {6}fix: delete those credHelpers entries, or set helpers: drop-for-managed-hosts/m,
    );
    expect(run.stdout).not.toContain(expiring);
  });
});

describe('CLI: doctor on the secrets the refresh writes', () => {
  it('fails a secret scheduled for deletion and warns about one that keeps an old key and tags, each with the command that fixes it', async () => {
    expect((await runCliProcess(['refresh', '--config', sandbox.configPath], sandbox.env)).code).toBe(0);
    const secrets = new SecretsManagerClient({});
    const deleted = 'ecr-gitlab-refresher/prod/us-east-1';
    await secrets.send(new DeleteSecretCommand({ SecretId: deleted, RecoveryWindowInDays: 7 }));
    try {
      // The secrets were created before the config named a key and tags.
      const path = `${sandbox.configPath}.secrets.json`;
      const config = structuredClone(sandbox.config) as { secrets: Record<string, unknown> };
      config.secrets = { ...config.secrets, kmsKeyId: 'alias/ecr-refresher', tags: { team: 'platform' } };
      (await import('node:fs')).writeFileSync(path, JSON.stringify(config));

      const run = await runCliProcess(['doctor', '--config', path, '--json'], sandbox.env);
      expect(run.code).toBe(2);
      const checks = JSON.parse(run.stdout).checks as CheckJson[];
      expect(checks.find((c) => c.check === 'secret' && c.subject === deleted)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/^scheduled for deletion on \d{4}-\d\d-\d\dT.*: every refresh fails to write it until it is restored$/),
        fix: `aws secretsmanager restore-secret --secret-id ${deleted}`,
      });
      const combined = 'ecr-gitlab-refresher/docker-config';
      expect(checks.find((c) => c.check === 'secret-key' && c.subject === combined)).toMatchObject({
        status: 'warn',
        fix: `aws secretsmanager update-secret --secret-id ${combined} --kms-key-id alias/ecr-refresher (re-encrypts the current versions; needs kms:Decrypt on the old key and kms:GenerateDataKey on the new)`,
      });
      expect(checks.find((c) => c.check === 'secret-tags' && c.subject === combined)).toMatchObject({
        status: 'warn',
        detail: 'lacks team=platform: the refresh tags a secret only when it creates it',
        fix: `aws secretsmanager tag-resource --secret-id ${combined} --tags 'Key=team,Value=platform'`,
      });

      // The fixes doctor names do fix it.
      await secrets.send(new RestoreSecretCommand({ SecretId: deleted }));
      await secrets.send(new TagResourceCommand({ SecretId: combined, Tags: [{ Key: 'team', Value: 'platform' }] }));
      const after = JSON.parse((await runCliProcess(['doctor', '--config', path, '--json'], sandbox.env)).stdout).checks as CheckJson[];
      expect(after.filter((c) => c.check === 'secret')).toEqual([]);
      expect(after.filter((c) => c.check === 'secret-tags').map((c) => c.subject)).not.toContain(combined);
    } finally {
      await secrets.send(new RestoreSecretCommand({ SecretId: deleted })).catch(() => undefined);
    }
  });
});

describe('CLI: status', () => {
  it('reflects a refresh that just ran: every entry ok and exit 0', async () => {
    const before = Date.now();
    expect((await runCliProcess(['refresh', '--config', sandbox.configPath], sandbox.env)).code).toBe(0);
    const run = await runCliProcess(['status', '--config', sandbox.configPath, '--json'], sandbox.env);
    const report = JSON.parse(run.stdout);
    const api = report.targets.find((t: { target: string }) => t.target === 'project:platform/api');
    expect(Date.parse(api.refreshedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(api.hosts.map((h: { host: string }) => h.host).sort()).toEqual([
      '111111111111.dkr.ecr.eu-west-1.amazonaws.com',
      '111111111111.dkr.ecr.us-east-1.amazonaws.com',
      '222222222222.dkr.ecr.eu-west-1.amazonaws.com',
    ]);
    expect(report.targets.map((t: { state: string }) => t.state)).toEqual(['ok', 'ok', 'ok']);
    expect(report.secrets.map((s: { name: string; state: string }) => `${s.name} ${s.state}`)).toEqual([
      'ecr-gitlab-refresher/prod/us-east-1 ok',
      'ecr-gitlab-refresher/prod/eu-west-1 ok',
      'ecr-gitlab-refresher/shared/eu-west-1 ok',
    ]);
    expect(run.code, run.stdout).toBe(0);
  });

  it('flags entries whose tokens have expired, and exits 1', async () => {
    sandbox.setTokenLifetime(-60);
    try {
      expect((await runCliProcess(['refresh', '--config', sandbox.configPath], sandbox.env)).code).toBe(0);
    } finally {
      sandbox.setTokenLifetime(ECR_TOKEN_LIFETIME_SECONDS);
    }
    const run = await runCliProcess(['status', '--config', sandbox.configPath, '--json'], sandbox.env);
    const report = JSON.parse(run.stdout);
    expect(report.targets.map((t: { state: string }) => t.state)).toEqual(['expired', 'expired', 'expired']);
    expect(report.secrets.map((s: { state: string }) => s.state)).toEqual(['expired', 'expired', 'expired']);
    expect(run.code).toBe(1);
  });

  it('marks fresh entries the Runner will not use (credsStore) as overridden, with the fix', async () => {
    expect((await runCliProcess(['refresh', '--config', sandbox.configPath], sandbox.env)).code).toBe(0);
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) api.value = JSON.stringify({ ...JSON.parse(api.value), credsStore: 'ecr-login' });
    const report = JSON.parse((await runCliProcess(['status', '--config', sandbox.configPath, '--json'], sandbox.env)).stdout);
    const entry = report.targets.find((t: { target: string }) => t.target === 'project:platform/api');
    expect(entry.state).toBe('overridden');
    expect(entry.warnings.map((w: { code: string }) => w.code)).toEqual(['creds-store']);
    const table = await runCliProcess(['status', '--config', sandbox.configPath], sandbox.env);
    expect(table.stdout).toMatch(/^warning: project:platform\/api DOCKER_AUTH_CONFIG@\*: the value holds "credsStore"/m);
  });

  it('says a target that was never refreshed is missing', async () => {
    const path = `${sandbox.configPath}.status.json`;
    const config = structuredClone(sandbox.config) as { targets: Array<Record<string, unknown>> };
    config.targets = [{ group: 'platform/backend' }];
    (await import('node:fs')).writeFileSync(path, JSON.stringify(config));
    const run = await runCliProcess(['status', '--config', path], sandbox.env);
    expect(run.stdout).toMatch(/group:platform\/backend\s+DOCKER_AUTH_CONFIG\s+\*\s+missing/);
  });
});

describe('Function: scopesOverlap', () => {
  it.each([
    ['*', 'production', true],
    ['production', 'production', true],
    ['review/*', 'review/feature-1', true],
    ['production', 'staging', false],
    ['review/*', 'production', false],
  ])('%s ~ %s → %s', (a, b, expected) => {
    expect(scopesOverlap(a, b)).toBe(expected);
  });
});
