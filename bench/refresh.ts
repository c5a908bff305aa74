/**
 * `npm run bench:refresh [-- --targets N] [-- --concurrency C]`: the real CLI against moto and the GitLab
 * emulator with N targets (default 2,000: three projects to one group), with the DEFAULT config (no
 * concurrency, no requestsPerSecond: nothing tuned to the server), against three servers:
 *   (a) no limit (self-managed GitLab's default), 20 ms per request;
 *   (b) a rate limit with RateLimit-* headers on every answer (gitlab.com);
 *   (c) the same limit with the headers only on the 429 itself;
 * plus the one-request-at-a-time baseline (concurrency 1, what a simple script does).
 * `--concurrency C` overrides the default for every scenario, to measure candidates for the default.
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
const { values } = parseArgs({
  options: { targets: { type: 'string', default: '2000' }, concurrency: { type: 'string' }, only: { type: 'string' }, 'skip-serial': { type: 'boolean', default: false } },
});
const TARGETS = Number(values.targets);
const TOKEN = 'glpat-benchmark-token-000000';
const LATENCY_MS = 20;
/** Server limit for (b) and (c): 2,000 requests per 10 s window — gitlab.com's per-minute budget, six times faster. */
const LIMIT = { perWindow: 2_000, windowMs: 10_000 };
const ALLOWED_RPS = (LIMIT.perWindow * 1000) / LIMIT.windowMs;

interface Scenario {
  id: string;
  name: string;
  /** Undefined: the config's default. */
  concurrency?: number;
  limit?: 'always' | 'on429';
  bound: 'latency' | 'rate';
  /** The target ratio to the bound, and the share of 429s allowed. */
  target: { ratio: number; throttled: number };
}

interface Result {
  scenario: Scenario;
  ok: boolean;
  elapsedMs: number;
  requests: number;
  throttled: number;
  peakRssBytes: number;
  boundMs: number;
  concurrency: number;
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

async function runScenario(scenario: Scenario, motoUrl: string, defaultConcurrency: number): Promise<Result> {
  const gitlab = new GitLabEmulator();
  await gitlab.start();
  try {
    const targets = seed(gitlab);
    Object.assign(gitlab.faults, { latencyMs: LATENCY_MS });
    if (scenario.limit) Object.assign(gitlab.faults, { limitPerWindow: LIMIT.perWindow, windowMs: LIMIT.windowMs, rateLimitHeaders: scenario.limit });
    const dir = mkdtempSync(join(tmpdir(), 'bench-refresh-'));
    const configPath = join(dir, 'config.yml');
    const concurrency = scenario.concurrency ?? (values.concurrency ? Number(values.concurrency) : undefined);
    writeFileSync(
      configPath,
      stringify({
        gitlab: { url: gitlab.url, allowInsecureHttp: true, tokenSecretId: 'bench/gitlab-token', ...(concurrency ? { concurrency } : {}) },
        registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] }],
        targets,
      }),
    );
    const run = await runCliProcess(['refresh', '--config', configPath, '--json'], { ...motoEnv(motoUrl), RSS_PROBE_FILE: join(dir, 'rss') }, ['--import', './bench/rss-probe.mjs']);
    if (!run.stdout.startsWith('{')) throw new Error(`CLI failed (${run.code}): ${run.stderr.slice(0, 500)}`);
    const summary = JSON.parse(run.stdout);
    const requests = gitlab.requests.length;
    const used = concurrency ?? defaultConcurrency;
    const boundMs = scenario.bound === 'latency' ? (requests * LATENCY_MS) / used : (requests / ALLOWED_RPS) * 1000;
    return {
      scenario,
      ok: summary.ok,
      elapsedMs: summary.durationMs,
      requests,
      throttled: gitlab.requests.filter((request) => request.status === 429).length,
      peakRssBytes: Number(readFileSync(join(dir, 'rss'), 'utf8')),
      boundMs,
      concurrency: used,
    };
  } finally {
    await gitlab.stop();
  }
}

const scenarios: Scenario[] = [
  { id: 'a', name: '(a) no limit, 20 ms per request', bound: 'latency', target: { ratio: 1.3, throttled: 0 } },
  { id: 'b', name: `(b) limit ${ALLOWED_RPS}/s, RateLimit headers on every answer`, limit: 'always', bound: 'rate', target: { ratio: 1.1, throttled: 0.01 } },
  { id: 'c', name: `(c) limit ${ALLOWED_RPS}/s, headers only on the 429`, limit: 'on429', bound: 'rate', target: { ratio: 1.3, throttled: 0.05 } },
  { id: 'serial', name: 'baseline: one request at a time (concurrency 1)', concurrency: 1, bound: 'latency', target: { ratio: 1.3, throttled: 0 } },
].filter((scenario) => (values.only ? values.only.split(',').includes(scenario.id) : !(values['skip-serial'] && scenario.id === 'serial')));

// The default, read from the schema itself so the benchmark measures what users get.
const { validateConfig } = await import('../src/config/parse.js');
const defaultConcurrency = validateConfig({ gitlab: { url: 'https://g.example.com' }, registries: [{ name: 'p', regions: ['us-east-1'] }], targets: [{ group: 'g' }] }).gitlab.concurrency;

const moto = await startMoto();
try {
  const client = new SecretsManagerClient(motoClientConfig(moto.url));
  await client.send(new CreateSecretCommand({ Name: 'bench/gitlab-token', SecretString: TOKEN }));
  console.log(`Benchmark: ${TARGETS} targets, default config (concurrency ${values.concurrency ?? defaultConcurrency}), ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}\n`);
  const rows = [['scenario', 'ok', 'elapsed', 'requests', 'req/target', '429s', 'peak RSS', 'ideal bound', 'ratio', 'target']];
  for (const scenario of scenarios) {
    const r = await runScenario(scenario, moto.url, defaultConcurrency);
    const ratio = r.elapsedMs / r.boundMs;
    const share = r.throttled / r.requests;
    const met = ratio <= scenario.target.ratio && share <= scenario.target.throttled + 1e-9;
    rows.push([
      scenario.name,
      String(r.ok),
      `${(r.elapsedMs / 1000).toFixed(1)} s`,
      String(r.requests),
      (r.requests / TARGETS).toFixed(2),
      `${r.throttled} (${(100 * share).toFixed(1)}%)`,
      `${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB`,
      `${(r.boundMs / 1000).toFixed(1)} s (${scenario.bound}${scenario.bound === 'latency' ? `, ÷${r.concurrency}` : ''})`,
      ratio.toFixed(2),
      scenario.id === 'serial' ? '-' : `≤ ${scenario.target.ratio}${scenario.target.throttled ? `, ≤ ${scenario.target.throttled * 100}% 429s` : ''}: ${met ? 'met' : 'MISSED'}`,
    ]);
    console.error(`done: ${scenario.name}`);
  }
  console.log(
    rows
      .map((row) => `| ${row.join(' | ')} |`)
      .join('\n')
      .replace(/\n/, `\n|${' --- |'.repeat(rows[0]?.length ?? 0)}\n`),
  );
} finally {
  await moto.stop();
}
