import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { type Sandbox, startSandbox } from '../support/sandbox.js';
import { runServerless } from '../support/serverless.js';

describe('serverless (osls) offline', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.stop());

  it('packages with the config validated and bundled, on a 6-hour schedule', async () => {
    const out = mkdtempSync(join(tmpdir(), 'sls-package-'));
    const run = await runServerless(['package', '--stage', 'dev', '--package', out]);
    expect(run.code, run.output).toBe(0);
    const template = JSON.parse(readFileSync(join(out, 'cloudformation-template-update-stack.json'), 'utf8'));
    const rule = Object.values(template.Resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).find(
      (resource) => resource.Type === 'AWS::Events::Rule',
    );
    expect(rule?.Properties.ScheduleExpression).toBe('rate(6 hours)');
    const bundle = execFileSync('unzip', ['-p', join(out, 'refresh.zip')], { maxBuffer: 64 * 1024 * 1024 }).toString('utf8');
    expect(bundle).toContain('gitlab.example.com');
  });

  it('fails packaging with the field path when the config is invalid', async () => {
    const bad = join(mkdtempSync(join(tmpdir(), 'sls-bad-')), 'bad.yml');
    writeFileSync(bad, stringify({ gitlab: { url: 'https://g.example.com' }, registries: [{ name: 'p', accountId: '1', regions: ['us-east-1'] }], targets: [{ group: 'g' }] }));
    const run = await runServerless(['package', '--stage', 'dev', '--package', mkdtempSync(join(tmpdir(), 'sls-out-')), `--param=config=${bad}`]);
    expect(run.code).not.toBe(0);
    expect(run.output).toContain('registries[0].accountId: expected a 12-digit account id');
  });

  it('invokes the bundled handler locally with the dry-run event', async () => {
    const run = await runServerless(['invoke', 'local', '-f', 'refresh', '--path', 'events/dry-run.json', `--param=config=${sandbox.configPath}`], sandbox.env);
    expect(run.code, run.output).toBe(0);
    const summary = JSON.parse(run.output.slice(run.output.indexOf('{\n')));
    expect(summary).toMatchObject({ ok: true, dryRun: true });
    expect(summary.targets.map((target: { status: string }) => target.status)).toEqual(['would-update', 'would-create', 'would-update']);
    expect(sandbox.gitlab.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});
