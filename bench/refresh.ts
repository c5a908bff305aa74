/**
 * `npm run bench:refresh [-- --targets N]`: the real CLI against moto and the GitLab emulator with N
 * targets (default 2,000: three projects to one group), under (a) 20 ms of latency per request and no
 * server limit, and (b) a server-side rate limit answered with text/plain 429s, plus the same work done
 * one request at a time and without client-side pacing. Prints elapsed time, requests, requests per
 * target, 429s, peak RSS and the ratio to the ideal bound.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { stringify } from 'yaml';
import { runCliProcess } from '../test/support/cli-process.js';
import { ACCESS, GitLabEmulator } from '../test/support/gitlab-emulator.js';
import { motoClientConfig, motoEnv, startMoto } from '../test/support/moto.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { values } = parseArgs({ options: { targets: { type: 'string', default: '2000' }, 'skip-serial': { type: 'boolean', default: false } } });
const TARGETS = Number(values.targets);
const TOKEN = 'glpat-benchmark-token-000000';
const LATENCY_MS = 20;
/** Server limit for (b): 2,000 requests per 10 s window — gitlab.com's per-minute budget, six times faster. */
const LIMIT = { perWindow: 2_000, windowMs: 10_000 };
const ALLOWED_RPS = (LIMIT.perWindow * 1000) / LIMIT.windowMs;

interface Scenario {
  name: string;
  concurrency: number;
  requestsPerSecond: number;
  latencyMs: number;
  serverLimit: boolean;
  bound: 'latency' | 'rate';
}

interface Result {
  scenario: Scenario;
  ok: boolean;
  elapsedMs: number;
  requests: number;
  throttled: number;
  peakRssBytes: number;
  boundMs: number;
}

function seed(gitlab: GitLabEmulator): Array<Record<string, string>> {
  const bot = gitlab.addUser('bot');
  gitlab.addToken(TOKEN, bot);
  gitlab.addMember('group', gitlab.addGroup('fleet'), bot, ACCESS.owner);
  const targets: Array<Record<string, string>> = [];
  const groups = Math.ceil(TARGETS / 4);
  for (let g = 0; g < groups; g++) {
    const id = gitlab.addGroup(`fleet/g${g}`);
    targets.push({ group: `fleet/g${g}` });
    if (g % 2 === 0) gitlab.putVariable({ group: id }, { key: 'DOCKER_AUTH_CONFIG', value: '{"auths":{"quay.io":{"auth":"cTpx"}}}', raw: true });
  }
  for (let p = 0; targets.length < TARGETS; p++) {
    const id = gitlab.addProject(`fleet/g${p % groups}/p${p}`);
    targets.push({ project: `fleet/g${p % groups}/p${p}` });
    if (p % 2 === 0) gitlab.putVariable({ project: id }, { key: 'DOCKER_AUTH_CONFIG', value: '{"auths":{"https://index.docker.io/v1/":{"auth":"aDpo"}}}', raw: true, masked: true });
  }
  return targets;
}

async function runScenario(scenario: Scenario, motoUrl: string): Promise<Result> {
  const gitlab = new GitLabEmulator();
  await gitlab.start();
  try {
    const targets = seed(gitlab);
    Object.assign(gitlab.faults, { latencyMs: scenario.latencyMs });
    if (scenario.serverLimit) Object.assign(gitlab.faults, { limitPerWindow: LIMIT.perWindow, windowMs: LIMIT.windowMs });
    const dir = mkdtempSync(join(tmpdir(), 'bench-refresh-'));
    const configPath = join(dir, 'config.yml');
    writeFileSync(
      configPath,
      stringify({
        gitlab: { url: gitlab.url, allowInsecureHttp: true, tokenSecretId: 'bench/gitlab-token', concurrency: scenario.concurrency, requestsPerSecond: scenario.requestsPerSecond },
        registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] }],
        targets,
      }),
    );
    const run = await runCliProcess(['refresh', '--config', configPath, '--json'], { ...motoEnv(motoUrl), RSS_PROBE_FILE: join(dir, 'rss') }, ['--import', './bench/rss-probe.mjs']);
    if (!run.stdout.startsWith('{')) throw new Error(`CLI failed (${run.code}): ${run.stderr.slice(0, 500)}`);
    const summary = JSON.parse(run.stdout);
    const requests = gitlab.requests.length;
    const boundMs = scenario.bound === 'latency' ? (requests * scenario.latencyMs) / scenario.concurrency : (requests / ALLOWED_RPS) * 1000;
    return {
      scenario,
      ok: summary.ok,
      elapsedMs: summary.durationMs,
      requests,
      throttled: gitlab.requests.filter((request) => request.status === 429).length,
      peakRssBytes: Number(readFileSync(join(dir, 'rss'), 'utf8')),
      boundMs,
    };
  } finally {
    await gitlab.stop();
  }
}

const scenarios: Scenario[] = [
  { name: '(a) 20 ms latency, no limit, concurrency 8 (default)', concurrency: 8, requestsPerSecond: 1000, latencyMs: LATENCY_MS, serverLimit: false, bound: 'latency' },
  { name: `(b) server limit ${ALLOWED_RPS}/s, client paced at 98%`, concurrency: 8, requestsPerSecond: ALLOWED_RPS * 0.98, latencyMs: LATENCY_MS, serverLimit: true, bound: 'rate' },
  { name: '(b) same limit, no client pacing (bounces off 429s)', concurrency: 8, requestsPerSecond: 1000, latencyMs: LATENCY_MS, serverLimit: true, bound: 'rate' },
];
if (!values['skip-serial']) {
  scenarios.push({ name: '(a) one request at a time (concurrency 1)', concurrency: 1, requestsPerSecond: 1000, latencyMs: LATENCY_MS, serverLimit: false, bound: 'latency' });
}

const moto = await startMoto();
try {
  const client = new SecretsManagerClient(motoClientConfig(moto.url));
  await client.send(new CreateSecretCommand({ Name: 'bench/gitlab-token', SecretString: TOKEN }));
  console.log(`Benchmark: ${TARGETS} targets, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
  const rows = [['scenario', 'ok', 'elapsed', 'requests', 'req/target', '429s', 'peak RSS', 'ideal bound', 'ratio']];
  for (const scenario of scenarios) {
    const r = await runScenario(scenario, moto.url);
    rows.push([
      scenario.name,
      String(r.ok),
      `${(r.elapsedMs / 1000).toFixed(1)} s`,
      String(r.requests),
      (r.requests / TARGETS).toFixed(2),
      `${r.throttled} (${((100 * r.throttled) / r.requests).toFixed(1)}%)`,
      `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB`,
      `${(r.boundMs / 1000).toFixed(1)} s (${scenario.bound})`,
      (r.elapsedMs / r.boundMs).toFixed(2),
    ]);
    console.error(`done: ${scenario.name}`);
  }
  console.log(rows.map((row) => `| ${row.join(' | ')} |`).join('\n').replace(/\n/, `\n|${' --- |'.repeat(rows[0]?.length ?? 0)}\n`));
} finally {
  await moto.stop();
}
