import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import { runCliProcess } from '../support/cli-process.js';
import { MOTO_ACCOUNT, PROD_ACCOUNT, type Sandbox, SHARED_ACCOUNT, startSandbox } from '../support/sandbox.js';

const US = `${PROD_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const EU = `${PROD_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const SHARED = `${SHARED_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
let sandbox: Sandbox;
let configPath: string;

beforeAll(async () => {
  sandbox = await startSandbox();
  const config = structuredClone(sandbox.config) as Record<string, unknown>;
  config.targets = [
    {
      group: 'platform',
      registries: ['prod'],
      variables: [
        { name: 'ECR_DOCKER_CONFIG', variableType: 'file', registries: ['shared'] },
        { name: 'ECR_LOGIN', format: 'registry-login', protected: false },
      ],
    },
    { project: 'platform/api' },
  ];
  configPath = `${sandbox.configPath}.push.yml`;
  writeFileSync(configPath, stringify(config));
});
afterAll(() => sandbox.stop());

describe('CLI: several variables per target (push credentials)', () => {
  it('writes file and env variables with their own format, registries and protection', async () => {
    const run = await runCliProcess(['refresh', '--config', configPath, '--json'], sandbox.env);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout);
    expect(summary.targets.map((t: { target: string; variable: string; status: string }) => `${t.target} ${t.variable} ${t.status}`)).toEqual([
      'group:platform DOCKER_AUTH_CONFIG created',
      'group:platform ECR_DOCKER_CONFIG created',
      'group:platform ECR_LOGIN created',
      'project:platform/api DOCKER_AUTH_CONFIG updated',
    ]);
    const group = { group: sandbox.ids.platform as number };
    const pull = sandbox.gitlab.getVariable(group, 'DOCKER_AUTH_CONFIG');
    expect(pull).toMatchObject({ variable_type: 'env_var', protected: false, masked: true, raw: true });
    expect(Object.keys(JSON.parse(pull?.value ?? '{}').auths).sort()).toEqual([EU, US].sort());

    const push = sandbox.gitlab.getVariable(group, 'ECR_DOCKER_CONFIG');
    expect(push).toMatchObject({ variable_type: 'file', protected: true, masked: true, raw: true });
    expect(JSON.parse(push?.value ?? '{}').auths).toEqual({ [SHARED]: { auth: encodeAuth('AWS', `${SHARED_ACCOUNT}-auth-token`) } });

    const login = sandbox.gitlab.getVariable(group, 'ECR_LOGIN');
    expect(login).toMatchObject({ variable_type: 'env_var', protected: false, masked: true });
    expect(JSON.parse(login?.value ?? '{}')).toEqual({
      // Created by the tool: its entries carry the mark that lets a later run remove them when their registry goes.
      [US]: { username: 'AWS', password: `${MOTO_ACCOUNT}-auth-token`, expiresAt: '2015-01-01T00:00:00.000Z', managedBy: 'ecr-gitlab-refresher' },
      [EU]: { username: 'AWS', password: `${MOTO_ACCOUNT}-auth-token`, expiresAt: '2015-01-01T00:00:00.000Z', managedBy: 'ecr-gitlab-refresher' },
    });
    // The pull variable of the project still merges as before.
    expect(JSON.parse(sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG')?.value ?? '{}').credHelpers).toEqual({ 'gcr.io': 'gcloud' });
  });

  it('keeps the variable type and protection on update', async () => {
    const run = await runCliProcess(['refresh', '--config', configPath, '--json', '--target', 'group:platform'], sandbox.env);
    expect(JSON.parse(run.stdout).targets.map((t: { status: string }) => t.status)).toEqual(['updated', 'updated', 'updated']);
    expect(sandbox.gitlab.getVariable({ group: sandbox.ids.platform as number }, 'ECR_DOCKER_CONFIG')).toMatchObject({ variable_type: 'file', protected: true });
  });

  it('refuses a variable that names an unknown registry, or one written twice', async () => {
    const bad = `${configPath}.bad.yml`;
    writeFileSync(bad, stringify({ ...sandbox.config, targets: [{ group: 'platform', variables: [{ name: 'X', registries: ['nope'] }, { name: 'DOCKER_AUTH_CONFIG' }] }] }));
    const run = await runCliProcess(['validate-config', '--config', bad], sandbox.env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('targets[0].variables[0].registries[0]: unknown registry "nope"');
    expect(run.stderr).toContain('targets[0].variables[1].name: variable "DOCKER_AUTH_CONFIG" is written twice by this target');
  });
});
