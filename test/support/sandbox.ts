import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { stringify } from 'yaml';
import { startEcrExpiryProxy } from './ecr-expiry-proxy.js';
import { ACCESS, GitLabEmulator, type Serving } from './gitlab-emulator.js';
import { type MotoServer, motoClientConfig, motoEnv, startMoto } from './moto.js';

export const SANDBOX_TOKEN = 'glpat-sandboxTokenValue0123456789';
export const DOCKER_HUB_AUTH = Buffer.from('demo-user:docker-hub-password-kept').toString('base64');
export const PROD_ACCOUNT = '111111111111';
export const SHARED_ACCOUNT = '222222222222';
/** moto's own account: the token minted without a role is the caller's, valid for every account of its region. */
export const MOTO_ACCOUNT = '123456789012';

export interface Sandbox {
  moto: MotoServer;
  gitlab: GitLabEmulator;
  ids: Record<string, number>;
  env: Record<string, string>;
  configPath: string;
  config: Record<string, unknown>;
  /** Puts the GitLab variables back as seeded and clears the request log (AWS state is kept). */
  resetGitLab(): void;
  /** With `tokenLifetimeSeconds`: the lifetime of ECR tokens minted from now on (negative: already expired). */
  setTokenLifetime(seconds: number): void;
  stop(): Promise<void>;
}

export interface SandboxOptions {
  configOverrides?: (config: Record<string, unknown>) => void;
  /**
   * ECR tokens that expire this many seconds after they are minted, as on AWS (12 hours), instead of
   * moto's fixed 2015-01-01: moto is reached through a proxy that rewrites only that field.
   */
  tokenLifetimeSeconds?: number;
  /** How the GitLab emulator is served: over TLS, under a path prefix. */
  serving?: Serving;
}

/** AWS's lifetime of an ECR token. */
export const ECR_TOKEN_LIFETIME_SECONDS = 12 * 3600;

interface SandboxMoto extends MotoServer {
  setTokenLifetime(seconds: number): void;
}

async function withTokenExpiry(moto: MotoServer, lifetime: number | undefined): Promise<SandboxMoto> {
  if (lifetime === undefined) {
    return {
      ...moto,
      setTokenLifetime: () => {
        throw new Error('setTokenLifetime needs startSandbox({ tokenLifetimeSeconds })');
      },
    };
  }
  const proxy = await startEcrExpiryProxy(moto.url, lifetime);
  return {
    url: proxy.url,
    reset: moto.reset,
    setTokenLifetime: proxy.setTokenLifetime,
    stop: async () => {
      await proxy.stop();
      await moto.stop();
    },
  };
}

/**
 * moto + the GitLab emulator, seeded like a small real installation: a group with projects and a
 * subgroup, existing DOCKER_AUTH_CONFIG values with a Docker Hub entry and a credential helper that
 * must survive, a scoped variable, and the GitLab token stored in Secrets Manager.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const moto = await withTokenExpiry(await startMoto(), options.tokenLifetimeSeconds);
  const gitlab = new GitLabEmulator();
  await gitlab.start(options.serving);
  const env = motoEnv(moto.url);

  const refresher = gitlab.addUser('refresher-bot', { admin: true });
  // Access tokens expire (GitLab enforces a maximum lifetime): doctor and the expiry metric report it.
  gitlab.addToken(SANDBOX_TOKEN, refresher, ['api'], 'refresher', { expiresAt: new Date(Date.now() + 200 * 86_400_000).toISOString().slice(0, 10) });
  const ids: Record<string, number> = {};
  ids.platform = gitlab.addGroup('platform');
  ids.backend = gitlab.addGroup('platform/backend');
  ids.api = gitlab.addProject('platform/api');
  ids.web = gitlab.addProject('platform/web');
  ids.worker = gitlab.addProject('platform/backend/worker');
  gitlab.addMember('group', ids.platform, refresher, ACCESS.owner);

  const seedVariables = () => {
    gitlab.clearVariables();
    const existing = { auths: { 'https://index.docker.io/v1/': { auth: DOCKER_HUB_AUTH } }, credHelpers: { 'gcr.io': 'gcloud' } };
    gitlab.putVariable({ project: ids.api as number }, { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify(existing), raw: true });
    gitlab.putVariable({ project: ids.api as number }, { key: 'DEPLOY_ENV', value: 'staging' });
    const web = { auths: { 'registry.example.com': { auth: DOCKER_HUB_AUTH } } };
    gitlab.putVariable({ project: ids.web as number }, { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify(web), environment_scope: 'production', raw: true });
    gitlab.putVariable({ project: ids.web as number }, { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify({ auths: {} }), environment_scope: 'staging', raw: true });
    // Not a target: its own value hides the platform group's in every job (doctor reports it).
    gitlab.putVariable({ project: ids.worker as number }, { key: 'DOCKER_AUTH_CONFIG', value: JSON.stringify({ auths: { 'quay.io': { auth: DOCKER_HUB_AUTH } } }), raw: true });
  };
  seedVariables();

  const client = new SecretsManagerClient(motoClientConfig(moto.url));
  await client.send(new CreateSecretCommand({ Name: 'ecr-gitlab-refresher/gitlab-token', SecretString: JSON.stringify({ token: SANDBOX_TOKEN }) }));
  // A repository for doctor's pull probe of the cross-account registry (moto keeps one registry per region).
  for (const region of ['us-east-1', 'eu-west-1']) {
    await new ECRClient({ ...motoClientConfig(moto.url), region }).send(new CreateRepositoryCommand({ repositoryName: 'platform/app' }));
  }

  const config: Record<string, unknown> = {
    gitlab: { url: gitlab.url, allowInsecureHttp: true, tokenSecretId: 'ecr-gitlab-refresher/gitlab-token', concurrency: 4 },
    registries: [
      { name: 'prod', accountId: PROD_ACCOUNT, regions: ['us-east-1', 'eu-west-1'], repositories: ['platform/app'] },
      { name: 'shared', accountId: SHARED_ACCOUNT, regions: ['eu-west-1'], roleArn: `arn:aws:iam::${SHARED_ACCOUNT}:role/ecr-pull` },
    ],
    secrets: { prefix: 'ecr-gitlab-refresher/' },
    targets: [{ project: 'platform/api' }, { group: 'platform', registries: ['prod'] }, { project: 'platform/web', environmentScope: 'production' }],
  };
  options.configOverrides?.(config);
  const dir = mkdtempSync(join(tmpdir(), 'refresher-sandbox-'));
  const configPath = join(dir, 'refresher.config.yml');
  writeFileSync(configPath, stringify(config));

  return {
    moto,
    gitlab,
    ids,
    env,
    configPath,
    config,
    resetGitLab: () => {
      seedVariables();
      gitlab.resetFaults();
      gitlab.requests.length = 0;
    },
    setTokenLifetime: (seconds) => moto.setTokenLifetime(seconds),
    stop: async () => {
      await gitlab.stop();
      await moto.stop();
    },
  };
}
