import { SdkAwsInspector } from './adapters/aws/aws-inspector.js';
import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { readGitLabToken, SecretsManagerStore } from './adapters/aws/secrets-manager-store.js';
import { GitLabApiInspector } from './adapters/gitlab/inspector.js';
import { RateLimiter } from './adapters/gitlab/rate-limiter.js';
import { createGitLabTransport, type TransportStats } from './adapters/gitlab/transport.js';
import { type GitLabStoreOptions, GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import type { Config } from './config/schema.js';
import type { DoctorPorts } from './core/doctor.js';
import type { Logger } from './core/ports.js';
import type { RefreshDeps } from './core/refresh.js';
import { ConfigError } from './errors.js';
import { createJsonLogger, type LogLevel, parseLogLevel } from './observability/logger.js';
import { Redactor } from './observability/redactor.js';

export interface RuntimeOptions {
  env: NodeJS.ProcessEnv;
  /** Where log lines go. */
  writeLog: (line: string) => void;
  defaultLogLevel: LogLevel;
  correlationId: string;
  deadline?: number;
}

export interface Observability {
  logger: Logger;
  redactor: Redactor;
}

export function buildObservability(runtime: RuntimeOptions): Observability {
  const redactor = new Redactor();
  const logger = createJsonLogger({
    level: parseLogLevel(runtime.env.LOG_LEVEL, runtime.defaultLogLevel),
    redactor,
    write: runtime.writeLog,
    base: { service: 'ecr-gitlab-refresher', correlationId: runtime.correlationId },
  });
  return { logger, redactor };
}

/** GITLAB_TOKEN (local runs) wins over the configured secret; neither is a configuration error. */
export async function resolveGitLabToken(config: Config, env: NodeJS.ProcessEnv, secrets: SecretsManagerStore): Promise<string> {
  if (env.GITLAB_TOKEN) return env.GITLAB_TOKEN;
  if (!config.gitlab.tokenSecretId) {
    throw new ConfigError(['gitlab.tokenSecretId: required unless GITLAB_TOKEN is set in the environment']);
  }
  return readGitLabToken(secrets, config.gitlab.tokenSecretId);
}

interface GitLabConnection {
  options: GitLabStoreOptions;
  stats: TransportStats;
  secretStore: SecretsManagerStore;
}

/** The GitLab token (registered for redaction first) and one paced, retrying transport for the run. */
async function connectGitLab(config: Config, runtime: RuntimeOptions, redactor: Redactor): Promise<GitLabConnection> {
  const secretStore = new SecretsManagerStore();
  const token = await resolveGitLabToken(config, runtime.env, secretStore);
  redactor.add(token);
  const stats: TransportStats = { requests: 0, retries: 0, throttled: 0 };
  const transport = createGitLabTransport({
    limiter: new RateLimiter(config.gitlab.requestsPerSecond),
    requestTimeoutMs: config.gitlab.requestTimeoutSeconds * 1000,
    deadline: runtime.deadline,
    stats,
  });
  return { options: { url: config.gitlab.url, token, transport }, stats, secretStore };
}

/** Real adapters for a refresh, from the validated config and the process environment. */
export async function buildRefreshDeps(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<{ deps: RefreshDeps; stats: TransportStats }> {
  const { logger, redactor } = observability;
  const { options, stats, secretStore } = await connectGitLab(config, runtime, redactor);
  const deps: RefreshDeps = {
    minter: new EcrTokenMinter(new RoleCredentials()),
    variables: new GitLabVariableStore(options),
    secretStore,
    clock: { now: Date.now },
    logger,
    onSecret: (secret) => redactor.add(secret),
    deadline: runtime.deadline,
  };
  return { deps, stats };
}

/** Adapters for `status`: reads only. */
export async function buildStatusDeps(config: Config, runtime: RuntimeOptions, observability: Observability) {
  const { options, secretStore } = await connectGitLab(config, runtime, observability.redactor);
  return { variables: new GitLabVariableStore(options), secrets: config.secrets ? secretStore : undefined };
}

/**
 * Adapters for `doctor`. A missing or unreadable token secret is a check result, not a crash, so the
 * token is resolved lazily and GitLab checks report it.
 */
export async function buildDoctorPorts(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<DoctorPorts> {
  const { redactor } = observability;
  const roles = new RoleCredentials();
  const secretStore = new SecretsManagerStore();
  const readTokenSecret = config.gitlab.tokenSecretId && !runtime.env.GITLAB_TOKEN ? () => readGitLabToken(secretStore, config.gitlab.tokenSecretId as string) : undefined;
  const connection = await connectGitLab(config, runtime, redactor).catch(() => undefined);
  const gitlabOptions = connection?.options ?? {
    url: config.gitlab.url,
    token: '',
    transport: createGitLabTransport({ limiter: new RateLimiter(config.gitlab.requestsPerSecond), requestTimeoutMs: 5_000 }),
  };
  return {
    aws: new SdkAwsInspector(roles),
    minter: new EcrTokenMinter(roles),
    gitlab: new GitLabApiInspector(gitlabOptions),
    variables: new GitLabVariableStore(gitlabOptions),
    readTokenSecret,
    onSecret: (secret) => redactor.add(secret),
    now: Date.now,
  };
}
