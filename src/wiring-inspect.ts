import { SdkAwsInspector } from './adapters/aws/aws-inspector.js';
import { EcrTokenMinter } from './adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from './adapters/aws/role-credentials.js';
import { readGitLabToken, SecretsManagerStore } from './adapters/aws/secrets-manager-store.js';
import { GitLabApiInspector } from './adapters/gitlab/inspector.js';
import { RateLimiter } from './adapters/gitlab/rate-limiter.js';
import { createGitLabTransport } from './adapters/gitlab/transport.js';
import { GitLabVariableStore } from './adapters/gitlab/variable-store.js';
import type { Config } from './config/schema.js';
import type { DoctorPorts } from './core/doctor.js';
import type { Observability, RuntimeOptions } from './observability/setup.js';
import { connectGitLab } from './wiring.js';

// The CLI's read-only commands; kept apart from wiring.ts so the refresh function never bundles them.

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
