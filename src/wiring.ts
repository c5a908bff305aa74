import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { readGitLabToken, SecretsManagerStore } from './adapters/aws/secrets-manager-store.js';
import { RateLimiter } from './adapters/gitlab/rate-limiter.js';
import { createGitLabTransport, type TransportStats } from './adapters/gitlab/transport.js';
import { type GitLabStoreOptions, GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import type { Config } from './config/schema.js';
import type { RefreshDeps } from './core/refresh.js';
import { ConfigError } from './errors.js';
import type { Redactor } from './observability/redactor.js';
import type { Observability, RuntimeOptions } from './observability/setup.js';

export type { Observability, RuntimeOptions } from './observability/setup.js';
export { buildObservability } from './observability/setup.js';

/** GITLAB_TOKEN (local runs) wins over the configured secret; neither is a configuration error. */
export async function resolveGitLabToken(config: Config, env: NodeJS.ProcessEnv, secrets: SecretsManagerStore): Promise<string> {
  if (env.GITLAB_TOKEN) return env.GITLAB_TOKEN;
  if (!config.gitlab.tokenSecretId) {
    throw new ConfigError(['gitlab.tokenSecretId: required unless GITLAB_TOKEN is set in the environment']);
  }
  return readGitLabToken(secrets, config.gitlab.tokenSecretId);
}

export interface GitLabConnection {
  options: GitLabStoreOptions;
  stats: TransportStats;
  secretStore: SecretsManagerStore;
}

/** The GitLab token (registered for redaction first) and one paced, retrying transport for the run. */
export async function connectGitLab(config: Config, runtime: RuntimeOptions, redactor: Redactor): Promise<GitLabConnection> {
  const secretStore = new SecretsManagerStore();
  const token = await resolveGitLabToken(config, runtime.env, secretStore);
  redactor.add(token);
  const stats: TransportStats = { requests: 0, retries: 0, throttled: 0 };
  return { options: gitlabOptions(config, token, runtime.deadline, stats), stats, secretStore };
}

/** One paced, retrying transport per run, configured from the gitlab section. */
export function gitlabOptions(config: Config, token: string, deadline?: number, stats?: TransportStats): GitLabStoreOptions {
  const transport = createGitLabTransport({
    limiter: new RateLimiter(config.gitlab.requestsPerSecond),
    requestTimeoutMs: config.gitlab.requestTimeoutSeconds * 1000,
    deadline,
    stats,
  });
  return { url: config.gitlab.url, token, transport };
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
