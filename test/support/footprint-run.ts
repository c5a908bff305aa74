/**
 * Runs one generated footprint case: seeds the world into the GitLab emulator and the token secret into
 * moto, validates the config, then runs the real core (`runRefresh`) with the real GitLab adapters
 * (variable store, discovery, token API over `createGitLabTransport`) and the real token secret two or
 * three times, recording for each run the emulator's variables before and after, every request, every
 * secret written, the summary and the log. The `secrets` section writes to memory (RecordingSecrets).
 */
import { CreateSecretCommand, GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerTokenSecret } from '../../src/adapters/aws/secrets-manager-store.js';
import { GitLabDiscoveryApi } from '../../src/adapters/gitlab/discovery.js';
import { AdaptivePacer, type Sleep } from '../../src/adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from '../../src/adapters/gitlab/token-api.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { GitLabVariableStore } from '../../src/adapters/gitlab/variable-store.js';
import { validateConfig } from '../../src/config/parse.js';
import type { Config } from '../../src/config/schema.js';
import type { MintedToken, MintRequest, SecretStore, TokenMinter } from '../../src/core/ports.js';
import { runRefresh } from '../../src/core/refresh/refresh.js';
import type { RefreshSummary } from '../../src/core/refresh/summary.js';
import { describeError } from '../../src/errors.js';
import { CapturingLogger } from './builders.js';
import type { EmulatedVariable, GitLabEmulator, RequestRecord } from './gitlab-emulator.js';
import type { MotoServer } from './moto.js';
import { CALLER_ACCOUNT, EMULATOR_URL, type FootprintCase, faultMatcher, GITLAB_TOKEN, seedWorld, tokenSecretValue } from './worlds.js';

/** A variable row: `project:ID|KEY|SCOPE` (instance rows have scope "*"). */
export type RowId = string;
export type Rows = Map<RowId, Omit<EmulatedVariable, 'id'>>;

export interface SecretWrite {
  name: string;
  /** `secrets`: the run's secrets section (storeSecrets); `token`: the GitLab token secret (rotation). */
  via: 'secrets' | 'token';
}

export interface RunRecord {
  /** 1 for the first run of a case; each run mints fresh passwords with a later expiry. */
  generation: number;
  dryRun: boolean;
  faulted: boolean;
  before: Rows;
  after: Rows;
  requests: RequestRecord[];
  secretWrites: SecretWrite[];
  /** Undefined when the run could not start (its GitLab token could not be read from the secret). */
  summary?: RefreshSummary;
  startError?: string;
  log: string;
  /** Every password and auth string minted, and every GitLab token known: none may show in summary or log. */
  secrets: string[];
}

export interface CaseResult {
  config?: Config;
  /** validateConfig's refusal; then `requests` and `secretWrites` show that nothing was sent or written. */
  configError?: string;
  refusedRequests?: number;
  refusedSecretWrites?: number;
  runs: RunRecord[];
}

/** Where a case runs: the GitLab emulator, and moto for the GitLab token secret (one of each per test file). */
export interface Bench {
  gitlab: GitLabEmulator;
  moto: MotoServer;
  aws: SecretsManagerClient;
  /** The token secret the last case left in moto, and whether a run wrote to it. */
  tokenSecret?: { name: string; value: string; written: boolean };
}

/** Every secret a case writes: the `secrets` section's in memory, the token secret's in moto (recorded as sent). */
export class RecordingSecrets {
  readonly values = new Map<string, string>();
  readonly writes: SecretWrite[] = [];

  /** The `secrets` section's store. */
  store(): SecretStore {
    return {
      read: async (name) => this.values.get(name),
      write: async (name, value) => {
        this.writes.push({ name, via: 'secrets' });
        const status = this.values.has(name) ? 'updated' : 'created';
        this.values.set(name, value);
        return status;
      },
    };
  }

  /** The token secret's client: moto's, with every write it sends recorded. */
  tokenClient(aws: SecretsManagerClient): Pick<SecretsManagerClient, 'send'> {
    const send = (command: { input: { SecretId?: string; Name?: string } }) => {
      if (!(command instanceof GetSecretValueCommand)) this.writes.push({ name: command.input.SecretId ?? command.input.Name ?? '(unnamed)', via: 'token' });
      return aws.send(command as never);
    };
    return { send: send as unknown as SecretsManagerClient['send'] };
  }
}

/** The caller is account 999999999999 (a role's account when a role is assumed); generation n mints `…-gn` passwords. */
export class GenerationMinter implements TokenMinter {
  readonly minted: string[] = [];
  constructor(private readonly generation: number) {}

  async mint(request: MintRequest): Promise<MintedToken> {
    const expiresAt = new Date(Date.UTC(2030, 0, 1) + this.generation * 3_600_000);
    const password = `minted-${request.kind === 'public' ? 'public' : request.region}-g${this.generation}-${this.minted.length}`;
    this.minted.push(password, Buffer.from(`AWS:${password}`).toString('base64'));
    if (request.kind === 'public') return { host: 'public.ecr.aws', username: 'AWS', password, expiresAt };
    const account = /::(\d{12}):/.exec(request.role?.arn ?? '')?.[1] ?? CALLER_ACCOUNT;
    return { host: `${account}.dkr.ecr.${request.region}.amazonaws.com`, username: 'AWS', password, expiresAt };
  }
}

/** Retries and 429 pauses without the real waits: a case must take milliseconds, and no timing is asserted. */
const briefly: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 2)));

export function rowsOf(gitlab: GitLabEmulator): Rows {
  const rows: Rows = new Map();
  for (const [owner, list] of Object.entries(gitlab.snapshot())) {
    for (const { id: _id, ...variable } of list) rows.set(`${owner}|${variable.key}|${owner === 'instance' ? '*' : variable.environment_scope}`, variable);
  }
  return rows;
}

/** The case's config with the emulator's address, as validateConfig sees it. */
export function configFor(testCase: FootprintCase, url: string): Record<string, unknown> {
  const config = structuredClone(testCase.config) as { gitlab: Record<string, unknown> };
  if (config.gitlab?.url === EMULATOR_URL) config.gitlab.url = url;
  return config;
}

export async function runCase(bench: Bench, testCase: FootprintCase): Promise<CaseResult> {
  const { gitlab } = bench;
  seedWorld(gitlab, testCase.world);
  const secrets = new RecordingSecrets();
  let config: Config;
  try {
    config = validateConfig(configFor(testCase, gitlab.url));
  } catch (error) {
    return { configError: describeError(error), refusedRequests: gitlab.requests.length, refusedSecretWrites: secrets.writes.length, runs: [] };
  }
  const settings = config.gitlab;
  if (!settings) throw new Error('a footprint case always configures gitlab (its targets need it)');
  // Without rotateToken a run only reads the token secret as it starts: the run is handed its token instead (no moto round trips).
  const tokenSecretId = settings.rotateToken ? settings.tokenSecretId : undefined;
  if (tokenSecretId) await seedTokenSecret(bench, tokenSecretId, tokenSecretValue(testCase.world));
  const runs: RunRecord[] = [];
  const steps = [
    { faults: testCase.faults, dryRun: testCase.dryRun },
    { faults: [] as FootprintCase['faults'], dryRun: false },
  ];
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index] as (typeof steps)[number];
    for (const fault of step.faults) gitlab.script({ match: faultMatcher(fault.on), effect: fault.effect, skip: fault.skip });
    const run = await runOnce(bench, config, settings, tokenSecretId, secrets, { generation: index + 1, dryRun: step.dryRun, faulted: step.faults.length > 0 });
    // Every world starts with a working token: a refusal here is state an earlier case left behind, not a finding.
    if (index === 0 && !run.faulted && /401/.test(run.summary?.gitlabToken?.note ?? run.startError ?? '')) {
      throw new Error(`footprint harness: the token was refused on the case's first run (${run.summary?.gitlabToken?.note ?? run.startError})`);
    }
    runs.push(run);
    gitlab.resetFaults();
    // The second-run rule compares two runs that ended as a clean run would: after a dry run, or faults that left
    // something undone, one more run is needed.
    if (index === 0 && (step.dryRun || (run.faulted && !endedClean(run)))) steps.push({ faults: [], dryRun: false });
  }
  if (tokenSecretId && bench.tokenSecret) bench.tokenSecret.written = secrets.writes.some((write) => write.via === 'token');
  return { config, runs };
}

/** A faulted run whose faults changed nothing in the end: every part succeeded, as in a clean run. */
function endedClean(run: RunRecord): boolean {
  return run.summary?.ok === true && run.summary.gitlabToken?.note === undefined;
}

/**
 * The token secret a case starts from, holding only `value`. Moto's CreateSecret is slow (about 70 ms), so
 * a secret the last case only read is kept, its value put again when it differs; one a run wrote to (a
 * rotation's lock and versions) is made anew.
 */
async function seedTokenSecret(bench: Bench, name: string, value: string): Promise<void> {
  const kept = bench.tokenSecret;
  if (kept?.name === name && !kept.written) {
    if (kept.value !== value) await bench.aws.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  } else {
    await bench.moto.reset();
    await bench.aws.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  }
  bench.tokenSecret = { name, value, written: false };
}

async function runOnce(
  { gitlab, aws }: Bench,
  config: Config,
  settings: NonNullable<Config['gitlab']>,
  tokenSecretId: string | undefined,
  secrets: RecordingSecrets,
  run: { generation: number; dryRun: boolean; faulted: boolean },
): Promise<RunRecord> {
  const before = rowsOf(gitlab);
  const tokens = [GITLAB_TOKEN];
  const firstRequest = gitlab.requests.length;
  const firstWrite = secrets.writes.length;
  const minter = new GenerationMinter(run.generation);
  const logger = new CapturingLogger();
  const record = (summary: RefreshSummary | undefined, startError?: string): RunRecord => ({
    ...run,
    before,
    after: rowsOf(gitlab),
    requests: gitlab.requests.slice(firstRequest),
    secretWrites: secrets.writes.slice(firstWrite),
    summary,
    startError,
    log: JSON.stringify(logger.lines),
    secrets: [...minter.minted, ...tokens],
  });

  const tokenSecret = tokenSecretId ? new SecretsManagerTokenSecret(secrets.tokenClient(aws), tokenSecretId) : undefined;
  let token = GITLAB_TOKEN;
  try {
    if (tokenSecret) token = await tokenSecret.read();
  } catch (error) {
    return record(undefined, describeError(error));
  }
  const transport = createGitLabTransport({
    pacer: new AdaptivePacer({ maxConcurrency: settings.concurrency, maxRequestsPerSecond: settings.requestsPerSecond, wait: briefly }),
    // Generous: an attempt that times out on a loaded machine would be an ambiguous answer nobody injected.
    requestTimeoutMs: 20_000,
    wait: briefly,
  });
  const options = { url: gitlab.url, token: async () => token, transport };
  const summary = await runRefresh(
    config,
    { dryRun: run.dryRun },
    {
      minter,
      variables: new GitLabVariableStore(options),
      secretStore: secrets.store(),
      clock: { now: Date.now },
      logger,
      onSecret: () => {},
      discovery: new GitLabDiscoveryApi(options),
      gitlabToken: {
        api: new GitLabSelfTokenApi(options),
        secret: tokenSecret,
        use: (next) => {
          tokens.push(next);
          token = next;
        },
        wait: briefly,
      },
    },
  );
  return record(summary);
}
