import { writeFileSync } from 'node:fs';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { encodeAuth, METADATA_KEY } from '../../src/core/formats/docker-auth.js';
import { runCliProcess } from '../support/cli-process.js';
import { motoClientConfig } from '../support/moto.js';
import { DOCKER_HUB_AUTH, MOTO_ACCOUNT, PROD_ACCOUNT, SANDBOX_TOKEN, type Sandbox, SHARED_ACCOUNT, startSandbox } from '../support/sandbox.js';

let sandbox: Sandbox;
const US = `${PROD_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const EU = `${PROD_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const SHARED = `${SHARED_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;

beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());
beforeEach(() => sandbox.resetGitLab());

const refresh = (...args: string[]) => runCliProcess(['refresh', '--config', sandbox.configPath, ...args], sandbox.env);
const variableJson = (owner: { project: number } | { group: number }, scope = '*') => JSON.parse(sandbox.gitlab.getVariable(owner, 'DOCKER_AUTH_CONFIG', scope)?.value ?? 'null');

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary parts of the config
type Editable = Record<string, any>;

function writeConfig(change: (config: Editable) => void): string {
  const config = structuredClone(sandbox.config) as Editable;
  change(config);
  const path = `${sandbox.configPath}.${Math.random().toString(36).slice(2)}.yml`;
  writeFileSync(path, stringify(config));
  return path;
}

describe('CLI: ecr-gitlab-refresher refresh', () => {
  it('refreshes a project, a group and a scoped project: ok, new hosts in, foreign entries kept', async () => {
    const run = await refresh('--json');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.ok).toBe(true);
    expect(summary.targets.map((t: { target: string; status: string; environmentScope: string }) => `${t.target}@${t.environmentScope}=${t.status}`)).toEqual([
      'project:platform/api@*=updated',
      'group:platform@*=created',
      'project:platform/web@production=updated',
    ]);
    const api = variableJson({ project: sandbox.ids.api as number });
    expect(api.auths['https://index.docker.io/v1/']).toEqual({ auth: DOCKER_HUB_AUTH });
    expect(api.credHelpers).toEqual({ 'gcr.io': 'gcloud' });
    expect(api.auths[US]).toEqual({ auth: encodeAuth('AWS', `${MOTO_ACCOUNT}-auth-token`) });
    expect(Object.keys(api.auths).sort()).toEqual(['https://index.docker.io/v1/', EU, US, SHARED].sort());
    expect(Object.keys(variableJson({ group: sandbox.ids.platform as number }).auths).sort()).toEqual([EU, US].sort());
    const web = variableJson({ project: sandbox.ids.web as number }, 'production');
    expect(web.auths['registry.example.com']).toEqual({ auth: DOCKER_HUB_AUTH });
    expect(web[METADATA_KEY].expiresAt[US]).toBe('2015-01-01T00:00:00.000Z');
    // The staging-scoped variable of the same key and the other variables were not touched.
    expect(variableJson({ project: sandbox.ids.web as number }, 'staging')).toEqual({ auths: {} });
    expect(sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DEPLOY_ENV')?.value).toBe('staging');
    const created = sandbox.gitlab.getVariable({ group: sandbox.ids.platform as number }, 'DOCKER_AUTH_CONFIG');
    expect(created).toMatchObject({ raw: true, masked: true, protected: false, description: expect.stringContaining('ecr-gitlab-refresher') });
  });

  it('leaves an existing unmasked, non-raw, pretty-printed value masked, raw and compact', async () => {
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) Object.assign(api, { value: JSON.stringify({ auths: { 'https://index.docker.io/v1/': { auth: DOCKER_HUB_AUTH } } }, null, 2), masked: false, raw: false });
    const run = await refresh('--json', '--target', 'project:platform/api');
    expect(JSON.parse(run.stdout).targets[0].changes).toEqual(['raw: false → true', 'masked: false → true']);
    const after = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    expect(after).toMatchObject({ masked: true, raw: true });
    expect(after?.value).not.toMatch(/\s/);
    expect(JSON.parse(after?.value ?? '{}').auths['https://index.docker.io/v1/']).toEqual({ auth: DOCKER_HUB_AUTH });
  });

  it('prints a readable table by default', async () => {
    const run = await refresh();
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^REGISTRY\s+REGION\s+HOST/m);
    expect(run.stdout).toMatch(/project:platform\/api\s+DOCKER_AUTH_CONFIG\s+\*\s+updated\s+replaced 0, added 3, kept 1/);
    expect(run.stdout).toMatch(/^OK in \d+ ms$/m);
  });

  it('never prints a token, password or auth string, even with verbose logs', async () => {
    const run = await refresh('--json', '--verbose');
    const output = run.stdout + run.stderr;
    expect(run.stderr).toContain('"message":"target done"');
    const forbidden = [SANDBOX_TOKEN, DOCKER_HUB_AUTH];
    for (const account of [MOTO_ACCOUNT, SHARED_ACCOUNT]) forbidden.push(`${account}-auth-token`, encodeAuth('AWS', `${account}-auth-token`));
    for (const secret of forbidden) expect(output).not.toContain(secret);
  });

  it('dry run mints but writes nothing, and says what would change', async () => {
    const before = sandbox.gitlab.snapshot();
    const run = await refresh('--dry-run', '--json');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.dryRun).toBe(true);
    expect(summary.targets.map((t: { status: string }) => t.status)).toEqual(['would-update', 'would-create', 'would-update']);
    expect(summary.targets[0].hosts).toEqual({ replaced: [], added: [EU, US, SHARED].sort(), kept: ['https://index.docker.io/v1/'] });
    expect(sandbox.gitlab.snapshot()).toEqual(before);
    expect(sandbox.gitlab.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });

  it('narrows to one target and one registry', async () => {
    const run = await refresh('--target', 'project:platform/api', '--registry', 'shared', '--json');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.targets).toHaveLength(1);
    expect(summary.registries.map((r: { name: string }) => r.name)).toEqual(['shared']);
    expect(Object.keys(variableJson({ project: sandbox.ids.api as number }).auths)).toEqual(['https://index.docker.io/v1/', SHARED]);
    expect(sandbox.gitlab.getVariable({ group: sandbox.ids.platform as number }, 'DOCKER_AUTH_CONFIG')).toBeUndefined();
  });

  it('fails a target with a non-JSON value alone, leaving that value exactly as it was (exit 1)', async () => {
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) api.value = 'user:password-not-json';
    const run = await refresh('--json');
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.ok).toBe(false);
    expect(summary.targets[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('not JSON') });
    expect(summary.targets.slice(1).map((t: { status: string }) => t.status)).toEqual(['created', 'updated']);
    expect(sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG')?.value).toBe('user:password-not-json');
  });

  it('reports a bad GitLab token per target with the fix', async () => {
    const run = await runCliProcess(['refresh', '--config', sandbox.configPath, '--json'], { ...sandbox.env, GITLAB_TOKEN: 'glpat-wrong-token-000000000' });
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.stdout);
    expect(summary.targets).toHaveLength(3);
    for (const target of summary.targets) expect(target.error).toMatch(/401 Unauthorized — the GitLab token is invalid/);
    expect(run.stdout + run.stderr).not.toContain('glpat-wrong-token-000000000');
  });

  it('exits 2 on a bad config before any AWS or GitLab call', async () => {
    const path = writeConfig((config) => {
      config.targets[1].project = 'not a path';
      config.registries[0].regions = ['moon-1'];
    });
    const secretsBefore = await new SecretsManagerClient(motoClientConfig(sandbox.moto.url)).send(new ListSecretsCommand({}));
    const run = await runCliProcess(['refresh', '--config', path], sandbox.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('error: registries[0].regions[0]: expected an AWS region such as eu-west-1');
    expect(run.stderr).toContain('error: targets[1]: needs exactly one of project, group or instance');
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(sandbox.gitlab.requests).toEqual([]);
    const secretsAfter = await new SecretsManagerClient(motoClientConfig(sandbox.moto.url)).send(new ListSecretsCommand({}));
    expect(secretsAfter.SecretList?.length).toBe(secretsBefore.SecretList?.length);
  });

  it('exits 2 for an unknown --target or argument', async () => {
    expect((await refresh('--target', 'project:nope/nope')).code).toBe(2);
    const run = await refresh('--frobnicate');
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/error: arguments: Unknown option '--frobnicate'/);
    expect(sandbox.gitlab.requests).toEqual([]);
  });

  it('exits 1 with the fix when the token secret does not exist', async () => {
    const path = writeConfig((config) => {
      config.gitlab.tokenSecretId = 'does/not/exist';
    });
    const run = await runCliProcess(['refresh', '--config', path], sandbox.env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GitLab token secret does/not/exist does not exist');
  });
});

describe('CLI: ecr-gitlab-refresher validate-config', () => {
  it('says valid for the sandbox config and exits 2 for a broken one', async () => {
    const ok = await runCliProcess(['validate-config', '--config', sandbox.configPath], sandbox.env);
    expect(ok).toMatchObject({ code: 0, stdout: expect.stringContaining('valid (2 registries, 3 targets)') });
    const missing = await runCliProcess(['validate-config', '--config', '/nonexistent.yml'], sandbox.env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('/nonexistent.yml: cannot read config file (ENOENT)');
  });
});

describe('CLI: refresh with credsStore / credHelpers in the value (the Runner would not use the fresh entries)', () => {
  const seedHelpers = () => {
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) {
      api.value = JSON.stringify({
        auths: { 'https://index.docker.io/v1/': { auth: DOCKER_HUB_AUTH } },
        credHelpers: { [`https://${US.toUpperCase()}/`]: 'ecr-login', 'gcr.io': 'gcloud' },
        credsStore: 'ecr-login',
      });
    }
  };

  it('writes, and warns per target in the summary and the table, with the fix', async () => {
    seedHelpers();
    const json = JSON.parse((await refresh('--json', '--target', 'project:platform/api')).stdout);
    expect(json.targets[0].status).toBe('updated');
    expect(json.targets[0].warnings.map((w: { code: string }) => w.code)).toEqual(['creds-store', 'cred-helpers']);
    expect(json.targets[0].warnings[1].message).toContain(`https://${US.toUpperCase()}/ → docker-credential-ecr-login`);
    // Without the opt-in nothing but the ECR entries changes.
    expect(variableJson({ project: sandbox.ids.api as number }).credHelpers).toEqual({ [`https://${US.toUpperCase()}/`]: 'ecr-login', 'gcr.io': 'gcloud' });
    seedHelpers();
    const table = await refresh('--target', 'project:platform/api');
    expect(table.stdout).toMatch(/WARNING creds-store; WARNING cred-helpers/);
    expect(table.stdout).toMatch(/^warning: project:platform\/api DOCKER_AUTH_CONFIG@\*: credHelpers sends/m);
  });

  it('with helpers: drop-for-managed-hosts removes only the credHelpers entries of managed hosts, never credsStore', async () => {
    seedHelpers();
    const path = writeConfig((config) => {
      config.targets[0].helpers = 'drop-for-managed-hosts';
    });
    const run = await runCliProcess(['refresh', '--config', path, '--json', '--target', 'project:platform/api'], sandbox.env);
    const target = JSON.parse(run.stdout).targets[0];
    // The seeded value was unmasked: the same write masks it.
    expect(target.changes).toEqual([`credHelpers entry removed: https://${US.toUpperCase()}/ → ecr-login`, 'masked: false → true']);
    expect(target.warnings.map((w: { code: string }) => w.code)).toEqual(['creds-store']);
    const value = variableJson({ project: sandbox.ids.api as number });
    expect(value.credHelpers).toEqual({ 'gcr.io': 'gcloud' });
    expect(value.credsStore).toBe('ecr-login');
    expect(value.auths['https://index.docker.io/v1/']).toEqual({ auth: DOCKER_HUB_AUTH });
  });
});
