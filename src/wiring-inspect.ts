import { SdkAwsInspector } from './adapters/aws/aws-inspector.js';
import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { SecretsManagerStore } from './adapters/aws/secrets-manager-store.js';
import { GitLabDiscoveryApi } from './adapters/gitlab/discovery.js';
import { GitLabApiInspector } from './adapters/gitlab/inspector.js';
import { GitLabJobVariables } from './adapters/gitlab/job-variables.js';
import { GitLabSelfTokenApi } from './adapters/gitlab/token-api.js';
import { GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import { HttpRegistryProbe } from './adapters/registry/registry-probe.js';
import type { Config } from './config/schema.js';
import type { DoctorPorts } from './core/doctor.js';
import type { ExplainPorts } from './core/explain/explain.js';
import type { Observability, RuntimeOptions } from './observability/setup.js';
import { connectGitLab, gitlabOptions, resolveGitLabToken } from './wiring.js';

// The CLI's read-only commands; kept apart from wiring.ts so the refresh function never bundles them.

/** Adapters for `status`: reads only. */
export async function buildStatusDeps(config: Config, runtime: RuntimeOptions, observability: Observability) {
  const { options, secretStore } = await connectGitLab(config, runtime, observability.redactor);
  const roles = new RoleCredentials();
  return { variables: new GitLabVariableStore(options), secrets: config.secrets ? secretStore : undefined, callerAccount: () => roles.callerAccount() };
}

/**
 * Adapters for `doctor`. The token is resolved once; a missing or unreadable token secret becomes a
 * check result (and GitLab checks then report 401), not a crash.
 */
export async function buildDoctorPorts(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<DoctorPorts> {
  const { redactor } = observability;
  const roles = new RoleCredentials();
  const token = resolveGitLabToken(config, runtime.env, new SecretsManagerStore());
  // Settled here so an early failure is not an unhandled rejection; readTokenSecret re-raises it.
  const resolved = await token.then(
    (value) => value.token,
    () => '',
  );
  redactor.add(resolved);
  const options = gitlabOptions(config, resolved);
  return {
    aws: new SdkAwsInspector(roles),
    minter: new EcrTokenMinter(roles),
    gitlab: new GitLabApiInspector(options),
    discovery: new GitLabDiscoveryApi(options),
    variables: new GitLabVariableStore(options),
    readTokenSecret: config.gitlab.tokenSecretId && !runtime.env.GITLAB_TOKEN ? () => token.then((value) => value.token) : undefined,
    token: new GitLabSelfTokenApi(options),
    onSecret: (secret) => redactor.add(secret),
    now: Date.now,
  };
}

/** Adapters for `explain`: GitLab reads only, and the registry probe (used only with --probe). */
export async function buildExplainPorts(config: Config, runtime: RuntimeOptions, observability: Observability): Promise<ExplainPorts> {
  const { options } = await connectGitLab(config, runtime, observability.redactor);
  return { gitlab: new GitLabJobVariables(options), registry: new HttpRegistryProbe(), now: Date.now };
}
