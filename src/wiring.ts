import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { SecretsManagerStore, SecretsManagerTokenSecret } from './adapters/aws/secrets-manager-store.js';
import { GitLabDiscoveryApi } from './adapters/gitlab/discovery.js';
import { AdaptivePacer, sleep } from './adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from './adapters/gitlab/token-api.js';
import { createGitLabTransport, type TransportStats } from './adapters/gitlab/transport.js';
import { type GitLabStoreOptions, GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import type { Config } from './config/schema.js';
import type { RefreshDeps } from './core/refresh.js';
import { ConfigError } from './errors.js';
import type { Redactor } from './observability/redactor.js';
import type { Observability, RuntimeOptions } from './observability/setup.js';

export type { Observability, RuntimeOptions } from './observability/setup.js';
export { buildObservability } from './observability/setup.js';

/** Where the run's GitLab token came from: GITLAB_TOKEN (local runs) wins over the configured secret. */
export interface ResolvedToken {
  token: string;
  /** The secret it was read from; absent for GITLAB_TOKEN. */
  secret?: SecretsManagerTokenSecret;
}

export async function resolveGitLabToken(config: Config, env: NodeJS.ProcessEnv, secrets: SecretsManagerStore): Promise<ResolvedToken> {
  if (env.GITLAB_TOKEN) return { token: env.GITLAB_TOKEN };
  if (!config.gitlab.tokenSecretId) {
    throw new ConfigError(['gitlab.tokenSecretId: required unless GITLAB_TOKEN is set in the environment']);
  }
  const secret = new SecretsManagerTokenSecret(secrets.client, config.gitlab.tokenSecretId);
  return { token: await secret.read(), secret };
}

export interface GitLabConnection {
  options: GitLabStoreOptions;
  stats: TransportStats;
  secretStore: SecretsManagerStore;
  tokenSecret?: SecretsManagerTokenSecret;
  /** Switches every later request of this connection to another token (after a rotation). */
  useToken(token: string): void;
}

/** The GitLab token (registered for redaction first) and one paced, retrying transport for the run. */
export async function connectGitLab(config: Config, runtime: RuntimeOptions, redactor: Redactor): Promise<GitLabConnection> {
  const secretStore = new SecretsManagerStore();
  const resolved = await resolveGitLabToken(config, runtime.env, secretStore);
  redactor.add(resolved.token);
  const stats: TransportStats = { requests: 0, retries: 0, throttled: 0 };
  let current = resolved.token;
  const options = gitlabOptions(config, async () => current, runtime.deadline, stats);
  return {
    options,
    stats,
    secretStore,
    tokenSecret: resolved.secret,
    useToken: (token) => {
      redactor.add(token);
      current = token;
    },
  };
}

/** One paced, retrying transport per run, configured from the gitlab section. */
export function gitlabOptions(config: Config, token: GitLabStoreOptions['token'], deadline?: number, stats?: TransportStats): GitLabStoreOptions {
  const transport = createGitLabTransport({
    pacer: new AdaptivePacer({ maxConcurrency: config.gitlab.concurrency, maxRequestsPerSecond: config.gitlab.requestsPerSecond }),
    requestTimeoutMs: config.gitlab.requestTimeoutSeconds * 1000,
    deadline,
    stats,
  });
  return { url: config.gitlab.url, token, transport };
}

/** Real adapters for a refresh, from the validated config and the process environment. */
export async function buildRefreshDeps(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<{ deps: RefreshDeps; stats: TransportStats }> {
  const { logger, redactor } = observability;
  const connection = await connectGitLab(config, runtime, redactor);
  const roles = new RoleCredentials();
  const deps: RefreshDeps = {
    minter: new EcrTokenMinter(roles),
    callerAccount: () => roles.callerAccount(),
    variables: new GitLabVariableStore(connection.options),
    secretStore: connection.secretStore,
    clock: { now: Date.now },
    logger,
    onSecret: (secret) => redactor.add(secret),
    deadline: runtime.deadline,
    discovery: new GitLabDiscoveryApi(connection.options),
    gitlabToken: { api: new GitLabSelfTokenApi(connection.options), secret: connection.tokenSecret, use: connection.useToken, wait: sleep },
  };
  return { deps, stats: connection.stats };
}
