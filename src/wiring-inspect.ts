import { SdkAwsInspector } from './adapters/aws/aws-inspector.js';
import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { SecretsManagerStore } from './adapters/aws/secrets-manager-store.js';
import { GitLabDiscoveryApi } from './adapters/gitlab/discovery.js';
import { createGitLabNetwork, type GitLabNetwork } from './adapters/gitlab/gitlab-network.js';
import { GitLabApiInspector } from './adapters/gitlab/inspector.js';
import { GitLabJobVariables } from './adapters/gitlab/job-variables.js';
import { GitLabSelfTokenApi } from './adapters/gitlab/token-api.js';
import { GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import { HttpRegistryProbe } from './adapters/registry/registry-probe.js';
import { summarizeCaCertificates } from './config/ca-certificates.js';
import { gitlabOf, usesGitLab } from './config/gitlab-mode.js';
import type { Config } from './config/schema.js';
import type { AwsDoctorPorts, DoctorPorts } from './core/inspect/doctor.js';
import type { ExplainPorts, JobSecret } from './core/inspect/explain/explain.js';
import type { GitLabRouteReport, TokenSecretState } from './core/ports.js';
import { profileAdmits } from './domain/profile-trust.js';
import { profileSecretName, secretsPrefix } from './domain/secret-names.js';
import { ConfigError, describeError } from './errors.js';
import type { Observability, RuntimeOptions } from './observability/setup.js';
import { connectGitLab, gitlabCaCertificates, gitlabOptions, type ResolvedToken, resolveGitLabToken } from './wiring.js';

// The CLI's read-only commands; kept apart from wiring.ts so the refresh function never bundles them.

/** Adapters for `status`: reads only. A config without targets gets no GitLab connection. */
export async function buildStatusDeps(config: Config, runtime: RuntimeOptions, observability: Observability) {
  const readsSecrets = config.secrets !== undefined || config.profiles.length > 0;
  const roles = new RoleCredentials();
  const callerAccount = () => roles.callerAccount();
  if (!usesGitLab(config)) return { variables: undefined, secrets: readsSecrets ? new SecretsManagerStore() : undefined, callerAccount };
  const { options, secretStore } = await connectGitLab(config, runtime, observability.redactor);
  return { variables: new GitLabVariableStore(options), secrets: readsSecrets ? secretStore : undefined, callerAccount };
}

/**
 * Adapters for `doctor`. The token is resolved once; a missing or unreadable token secret becomes a
 * check result (and GitLab checks then report 401), not a crash. So does an unusable CA secret or proxy
 * variable: GitLab is then reached without them, and its checks show what that gives.
 */
export async function buildDoctorPorts(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<DoctorPorts | AwsDoctorPorts> {
  const { redactor } = observability;
  const roles = new RoleCredentials();
  const onSecret = (secret: string) => redactor.add(secret);
  if (!usesGitLab(config)) return { aws: new SdkAwsInspector(roles), minter: new EcrTokenMinter(roles), onSecret, now: Date.now };
  const secrets = new SecretsManagerStore();
  const token = resolveGitLabToken(config, runtime.env, secrets);
  // Settled here so an early failure is not an unhandled rejection; readTokenSecret re-raises it.
  const resolved = await token.then(
    (value) => value.token,
    () => '',
  );
  redactor.add(resolved);
  const { network, report } = await connectDoctorNetwork(config, runtime.env, secrets);
  if (network.route.kind === 'proxy' && network.route.proxy.password) redactor.add(decodeURIComponent(network.route.proxy.password));
  const options = gitlabOptions(config, resolved, { network });
  return {
    aws: new SdkAwsInspector(roles),
    minter: new EcrTokenMinter(roles),
    gitlab: new GitLabApiInspector(options),
    discovery: new GitLabDiscoveryApi(options),
    variables: new GitLabVariableStore(options),
    readTokenSecret: config.gitlab?.tokenSecretId && !runtime.env.GITLAB_TOKEN ? () => token.then((value) => value.token) : undefined,
    tokenRotationState: config.gitlab?.tokenSecretId && !runtime.env.GITLAB_TOKEN ? () => token.then((value) => rotationState(value)) : undefined,
    token: new GitLabSelfTokenApi(options),
    gitlabRoute: report,
    onSecret,
    now: Date.now,
  };
}

/** What the token secret's version said when it was read; a token that came from no secret carries no markers. */
function rotationState(resolved: ResolvedToken): TokenSecretState {
  return resolved.secret?.startState() ?? { version: '', changed: false };
}

/** Adapters for `explain`: GitLab reads only, and the registry probe (used only with --probe). */
export async function buildExplainPorts(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<ExplainPorts> {
  const { options } = await connectGitLab(config, runtime, observability.redactor);
  return { gitlab: new GitLabJobVariables(options), registry: new HttpRegistryProbe(), now: Date.now };
}

/** The GitLab network for doctor, and the report of it; a failure to set it up is kept for the report. */
async function connectDoctorNetwork(
  config: Config,
  env: NodeJS.ProcessEnv,
  secrets: SecretsManagerStore,
): Promise<{ network: GitLabNetwork; report: () => Promise<GitLabRouteReport> }> {
  try {
    const certificates = await gitlabCaCertificates(config, secrets);
    const network = await createGitLabNetwork({ url: gitlabOf(config).url, caCertificates: certificates, env });
    return { network, report: async () => ({ route: network.describeRoute(), caCertificates: summarizeCaCertificates(certificates, Date.now()) }) };
  } catch (error) {
    const withoutCas = { url: gitlabOf(config).url, caCertificates: [] };
    const fallback = await createGitLabNetwork({ ...withoutCas, env }).catch(() => createGitLabNetwork({ ...withoutCas, env: {} }));
    return { network: fallback, report: () => Promise.reject(error) };
  }
}

/**
 * `explain --profile NAME`: the profile's secret as the job's `secrets: DOCKER_AUTH_CONFIG` reads it,
 * and the trust of the profile's role. An unreadable secret is left for explain to call "cannot tell".
 */
export async function readProfileJobSecret(config: Config, name: string, observability: Observability): Promise<JobSecret> {
  const profile = config.profiles.find((candidate) => candidate.name === name);
  if (!profile) throw new ConfigError([`--profile ${name}: no such profile in the config (known: ${config.profiles.map((p) => p.name).join(', ') || 'none'})`]);
  const secretId = profileSecretName(secretsPrefix(config), name);
  let value: string | undefined;
  try {
    value = await new SecretsManagerStore().read(secretId);
  } catch (error) {
    observability.logger.warn('cannot read the profile secret', { secret: secretId, error: describeError(error) });
  }
  for (const secret of credentialsIn(value)) observability.redactor.add(secret);
  return { source: `profile ${name} (Secrets Manager ${secretId})`, value, admits: (subject) => profileAdmits(profile, subject) };
}

/** The `auth` strings of a Docker config and the passwords inside them, so no output can show them. */
function credentialsIn(value: string | undefined): string[] {
  try {
    const auths = (JSON.parse(value ?? '{}') as { auths?: Record<string, { auth?: unknown }> }).auths ?? {};
    return Object.values(auths).flatMap((entry) => {
      if (typeof entry?.auth !== 'string') return [];
      const password = Buffer.from(entry.auth, 'base64').toString('utf8').split(':').slice(1).join(':');
      return password ? [entry.auth, password] : [entry.auth];
    });
  } catch {
    return [];
  }
}
