import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import { handler, RefreshFailedError } from '../../src/handlers/refresh.js';
import { MOTO_ACCOUNT, SANDBOX_TOKEN, type Sandbox, SHARED_ACCOUNT, startSandbox } from '../support/sandbox.js';

let sandbox: Sandbox;
let logs: string[];
const saved = { ...process.env };
const context = { awsRequestId: 'req-123', getRemainingTimeInMillis: () => 60_000 };
const event = (name: string) => JSON.parse(readFileSync(`events/${name}.json`, 'utf8'));

beforeAll(async () => {
  sandbox = await startSandbox();
  Object.assign(process.env, sandbox.env, { REFRESHER_CONFIG: sandbox.configPath });
  delete process.env.GITLAB_TOKEN;
});
afterAll(async () => {
  process.env = saved;
  await sandbox.stop();
});
beforeEach(() => {
  sandbox.resetGitLab();
  logs = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    logs.push(String(chunk));
    return true;
  });
  return () => vi.restoreAllMocks();
});

describe('Handler: refresh', () => {
  it('runs a full refresh for the EventBridge scheduled event and logs JSON with the request id', async () => {
    const summary = await handler(event('scheduled'), context);
    expect(summary.ok).toBe(true);
    expect(summary.targets.map((target) => target.status)).toEqual(['updated', 'created', 'updated']);
    const lines = logs
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(lines.filter((line) => line.correlationId !== 'req-123')).toEqual([]);
    expect(lines.map((line) => line.message)).toEqual(expect.arrayContaining(['refresh started', 'target done', 'refresh finished']));
  });

  it("emits the run's metrics as valid CloudWatch EMF, but not for a dry run", async () => {
    await handler(event('scheduled'), context);
    const records = logs
      .join('')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
      .filter((line) => line._aws);
    expect(records).toHaveLength(1);
    const record = records[0];
    const directive = record._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('EcrGitlabRefresher');
    expect(typeof record._aws.Timestamp).toBe('number');
    for (const dimensionSet of directive.Dimensions) for (const dimension of dimensionSet) expect(typeof record[dimension]).toBe('string');
    const names = directive.Metrics.map((metric: { Name: string }) => metric.Name);
    expect(names).toEqual(expect.arrayContaining(['TargetsUpdated', 'TargetsFailed', 'RegistriesMinted', 'RegistriesFailed', 'SecondsUntilEarliestExpiry']));
    for (const name of names) expect(typeof record[name], name).toBe('number');
    expect(record).toMatchObject({ TargetsUpdated: 3, TargetsFailed: 0, RegistriesMinted: 3, RegistriesFailed: 0 });
    // moto's tokens say 2015, so the earliest expiry is far in the past.
    expect(record.SecondsUntilEarliestExpiry).toBeLessThan(0);
    logs.length = 0;
    await handler(event('dry-run'), context);
    expect(logs.join('')).not.toContain('"_aws"');
  });

  it('keeps every secret out of its logs', async () => {
    await handler(event('manual'), context);
    const output = logs.join('');
    for (const secret of [SANDBOX_TOKEN, `${MOTO_ACCOUNT}-auth-token`, encodeAuth('AWS', `${SHARED_ACCOUNT}-auth-token`)]) expect(output).not.toContain(secret);
  });

  it('writes nothing for the dry-run event', async () => {
    const before = sandbox.gitlab.snapshot();
    const summary = await handler(event('dry-run'), context);
    expect(summary.dryRun).toBe(true);
    expect(sandbox.gitlab.snapshot()).toEqual(before);
  });

  it('narrows to the targets and registries of a manual event', async () => {
    const summary = await handler(event('narrowed'), context);
    expect(summary.targets.map((target) => target.target)).toEqual(['project:platform/api']);
    expect(new Set(summary.registries.map((registry) => registry.name))).toEqual(new Set(['prod']));
  });

  it('refuses an event with an unknown key before doing anything', async () => {
    const error = await handler({ dryrun: true }, context).catch((caught) => caught);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toBe('invalid input: event.dryrun: unknown key');
    expect(sandbox.gitlab.requests).toEqual([]);
  });

  it('refuses a copy of the scheduled event edited to carry dryRun, writing nothing (not a full run)', async () => {
    const before = sandbox.gitlab.snapshot();
    const error = await handler({ ...event('scheduled'), dryRun: true }, context).catch((caught) => caught);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toMatch(/^invalid input: event\.dryRun: not part of a scheduled event \(EventBridge never sends it\)/);
    expect(sandbox.gitlab.requests).toEqual([]);
    expect(sandbox.gitlab.snapshot()).toEqual(before);
  });

  it('throws after all targets were attempted when one failed, naming it without secrets', async () => {
    const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG');
    if (api) api.value = 'not json';
    const error = await handler(event('scheduled'), context).catch((caught) => caught);
    expect(error).toBeInstanceOf(RefreshFailedError);
    expect(error.message).toMatch(/0 registries, 0 secrets, 1 targets \(project:platform\/api\); see the logs of request req-123/);
    expect(sandbox.gitlab.getVariable({ group: sandbox.ids.platform as number }, 'DOCKER_AUTH_CONFIG')).toBeDefined();
  });
});
