import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { SecretsManagerStore, SecretsManagerTokenSecret } from './adapters/aws/secrets-manager-store.js';
import { GitLabDiscoveryApi } from './adapters/gitlab/discovery.js';
import { createGitLabNetwork, type GitLabNetwork } from './adapters/gitlab/gitlab-network.js';
import { AdaptivePacer, sleep } from './adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from './adapters/gitlab/token-api.js';
import { createGitLabTransport, type TransportStats } from './adapters/gitlab/transport.js';
import { type GitLabStoreOptions, GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import { parseCaCertificates } from './config/ca-certificates.js';
import { gitlabOf, usesGitLab } from './config/gitlab-mode.js';
import type { Config } from './config/schema.js';
import type { SecretStore } from './core/ports.js';
import type { RefreshDeps } from './core/refresh/refresh.js';
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
  const { tokenSecretId } = gitlabOf(config);
  if (!tokenSecretId) {
    throw new ConfigError(['gitlab.tokenSecretId: required unless GITLAB_TOKEN is set in the environment']);
  }
  const secret = new SecretsManagerTokenSecret(secrets.client, tokenSecretId);
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
  const network = await connectGitLabNetwork(config, runtime.env, secretStore, redactor);
  const stats: TransportStats = { requests: 0, retries: 0, throttled: 0 };
  let current = resolved.token;
  const options = gitlabOptions(config, async () => current, { network, deadline: runtime.deadline, stats });
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

/** One paced, retrying transport per run, configured from the gitlab section, over the run's GitLab network. */
export function gitlabOptions(config: Config, token: GitLabStoreOptions['token'], run: { network: GitLabNetwork; deadline?: number; stats?: TransportStats }): GitLabStoreOptions {
  const gitlab = gitlabOf(config);
  const transport = createGitLabTransport({
    pacer: new AdaptivePacer({ maxConcurrency: gitlab.concurrency, maxRequestsPerSecond: gitlab.requestsPerSecond }),
    requestTimeoutMs: gitlab.requestTimeoutSeconds * 1000,
    deadline: run.deadline,
    stats: run.stats,
    fetchImpl: run.network.fetch,
    describeFailure: (error) => run.network.describeFailure(error),
  });
  return { url: gitlab.url, token, transport };
}

/**
 * The extra CAs (the bundled file and the secret) and the proxy route of GitLab requests. A proxy
 * password is registered for redaction, though messages only ever show the proxy's host.
 */
export async function connectGitLabNetwork(config: Config, env: NodeJS.ProcessEnv, secrets: SecretStore, redactor?: Redactor): Promise<GitLabNetwork> {
  const network = await createGitLabNetwork({ url: gitlabOf(config).url, caCertificates: await gitlabCaCertificates(config, secrets), env });
  if (network.route.kind === 'proxy' && network.route.proxy.password) redactor?.add(decodeURIComponent(network.route.proxy.password));
  return network;
}

/** The extra CA certificates for GitLab: the file's (read by the config loader) and then the secret's. */
export async function gitlabCaCertificates(config: Config, secrets: SecretStore): Promise<string[]> {
  const { caCertificatesFile, caCertificatesPem, caCertificatesSecretId } = gitlabOf(config);
  if (caCertificatesFile !== undefined && caCertificatesPem === undefined) {
    throw new ConfigError(['gitlab.caCertificatesFile: not read; the config must be loaded from its file (loadConfigFile) or bundled at packaging']);
  }
  const fromFile = caCertificatesPem ? certificatesOf(caCertificatesPem, `gitlab.caCertificatesFile: ${caCertificatesFile}`) : [];
  if (!caCertificatesSecretId) return fromFile;
  const text = await secrets.read(caCertificatesSecretId);
  if (text === undefined) throw new ConfigError([`gitlab.caCertificatesSecretId: secret ${caCertificatesSecretId} does not exist`]);
  return [...fromFile, ...certificatesOf(text, `gitlab.caCertificatesSecretId: secret ${caCertificatesSecretId}`)];
}

/** `source` reads "field: what", so a problem names the field path first. */
function certificatesOf(text: string, source: string): string[] {
  const parsed = parseCaCertificates(text);
  if ('problem' in parsed) throw new ConfigError([`${source} ${parsed.problem}`]);
  return parsed.certificates;
}

/**
 * Real adapters for a refresh, from the validated config and the process environment. A config without
 * targets gets no GitLab connection at all: no token is read and no request can reach GitLab.
 */
export async function buildRefreshDeps(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<{ deps: RefreshDeps; stats?: TransportStats }> {
  const { logger, redactor } = observability;
  const roles = new RoleCredentials();
  const common = {
    minter: new EcrTokenMinter(roles),
    callerAccount: () => roles.callerAccount(),
    clock: { now: Date.now },
    logger,
    onSecret: (secret: string) => redactor.add(secret),
    deadline: runtime.deadline,
  };
  if (!usesGitLab(config)) return { deps: { ...common, secretStore: new SecretsManagerStore() } };
  const connection = await connectGitLab(config, runtime, redactor);
  const deps: RefreshDeps = {
    ...common,
    variables: new GitLabVariableStore(connection.options),
    secretStore: connection.secretStore,
    discovery: new GitLabDiscoveryApi(connection.options),
    gitlabToken: { api: new GitLabSelfTokenApi(connection.options), secret: connection.tokenSecret, use: connection.useToken, wait: sleep },
  };
  return { deps, stats: connection.stats };
}
