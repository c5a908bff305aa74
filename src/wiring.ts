import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { readGitLabToken, SecretsManagerStore } from './adapters/aws/secrets-manager-store.js';
import { RateLimiter } from './adapters/gitlab/rate-limiter.js';
import { createGitLabTransport, type TransportStats } from './adapters/gitlab/transport.js';
import { GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import type { Config } from './config/schema.js';
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

/** Real adapters for a refresh, from the validated config and the process environment. */
export async function buildRefreshDeps(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<{ deps: RefreshDeps; stats: TransportStats }> {
  const { logger, redactor } = observability;
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
  const deps: RefreshDeps = {
    minter: new EcrTokenMinter(new RoleCredentials()),
    variables: new GitLabVariableStore({ url: config.gitlab.url, token, transport }),
    secretStore,
    clock: { now: Date.now },
    logger,
    onSecret: (secret) => redactor.add(secret),
    deadline: runtime.deadline,
  };
  return { deps, stats };
}
