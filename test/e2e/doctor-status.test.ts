import type { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkAwsInspector } from '../../src/adapters/aws/aws-inspector.js';
import { RoleCredentials } from '../../src/adapters/aws/role-credentials.js';
import { validateConfig } from '../../src/config/parse.js';
import { runDoctor, scopesOverlap } from '../../src/core/doctor.js';
import { buildObservability } from '../../src/wiring.js';
import { buildDoctorPorts } from '../../src/wiring-inspect.js';
import { runCliProcess } from '../support/cli-process.js';
import { ACCESS } from '../support/gitlab-emulator.js';
import { useMotoEnv } from '../support/moto.js';
import { type Sandbox, startSandbox } from '../support/sandbox.js';

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
  sandbox = await startSandbox();
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
    expect(find('shadowing', 'project:platform/backend/worker')).toMatchObject({ status: 'warn', fix: expect.stringContaining('- project: platform/backend/worker') });
    // platform/api and platform/web define their own value too, but they are targets: not reported.
    expect(checks.filter((c) => c.check === 'shadowing').map((c) => c.subject)).toEqual(['project:platform/backend/worker']);
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

  it('exits 0 when everything is fine', async () => {
    const path = `${sandbox.configPath}.clean.json`;
    const config = structuredClone(sandbox.config) as { targets: Array<Record<string, unknown>> };
    config.targets.push({ project: 'platform/backend/worker' });
    (await import('node:fs')).writeFileSync(path, JSON.stringify(config));
    const run = await runCliProcess(['doctor', '--config', path], sandbox.env);
    expect(run.stdout).toMatch(/\d+ ok, 0 warnings, 0 failures/);
    expect(run.code).toBe(0);
  });
});

describe('CLI: status', () => {
  it('reflects a refresh that just ran', async () => {
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
    // moto's tokens "expire" in 2015: status must flag them, and exit 1.
    expect(api.state).toBe('expired');
    expect(run.code).toBe(1);
    expect(report.secrets.map((s: { name: string; host: string }) => s.name)).toContain('ecr-gitlab-refresher/prod/us-east-1');
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
