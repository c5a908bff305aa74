// biome-ignore-all lint/suspicious/noExplicitAny: CloudFormation templates are untyped JSON
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AttachRolePolicyCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  IAMClient,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { GetSecretValueCommand, ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { validateConfig } from '../../src/config/parse.js';
import { METADATA_KEY } from '../../src/core/formats/docker-auth.js';
import { runDoctor } from '../../src/core/inspect/doctor.js';
import { buildObservability } from '../../src/wiring.js';
import { buildDoctorPorts } from '../../src/wiring-inspect.js';
import { runCliProcess } from '../support/cli-process.js';
import { type HtpasswdRegistry, startHtpasswdRegistry } from '../support/htpasswd-registry.js';
import { resourceMatches } from '../support/iam-trust.js';
import { motoClientConfig, useMotoEnv } from '../support/moto.js';
import { writeOciImage } from '../support/oci-image.js';
import { checkWebIdentity, LocalOidcIssuer } from '../support/oidc-issuer.js';
import { MOTO_ACCOUNT, PROD_ACCOUNT, type Sandbox, SHARED_ACCOUNT, startSandbox } from '../support/sandbox.js';
import { deriveStack, stackParams } from '../support/stack.js';
import { itWithBinaries } from '../support/system-tools.js';

const ISSUER = 'https://gitlab.example.com';
const PROD_HOSTS = [`${PROD_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`, `${PROD_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`];
const SHARED_HOST = `${SHARED_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`;
const PROVIDER_ARN = `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/gitlab.example.com`;

let sandbox: Sandbox;
let restoreEnv: () => void;
let work: string;
let configPath: string;
let profilesConfig: Record<string, unknown>;
let secrets: SecretsManagerClient;
let iam: IAMClient;

beforeAll(async () => {
  // ECR's real 12-hour lifetime (moto alone dates every token 2015).
  sandbox = await startSandbox({ tokenLifetimeSeconds: 12 * 3600 });
  restoreEnv = useMotoEnv(sandbox.moto.url);
  secrets = new SecretsManagerClient(motoClientConfig(sandbox.moto.url));
  iam = new IAMClient(motoClientConfig(sandbox.moto.url));
  work = mkdtempSync(join(tmpdir(), 'profiles-e2e-'));
  // The gitlab section and its token secret are there, but with no targets nothing may reach GitLab.
  profilesConfig = {
    gitlab: sandbox.config.gitlab,
    registries: sandbox.config.registries,
    profiles: [
      { name: 'prod', registries: ['prod'], projects: ['platform/*'], refs: ['branch:main', 'tag:v*'] },
      { name: 'shared', registries: ['shared'], projects: ['platform/api'] },
    ],
    oidc: { issuer: ISSUER },
  };
  configPath = join(work, 'profiles.yml');
  writeFileSync(configPath, stringify(profilesConfig));
});
afterAll(async () => {
  restoreEnv?.();
  await sandbox?.stop();
});

const secretValue = async (name: string, client = secrets) => (await client.send(new GetSecretValueCommand({ SecretId: name }))).SecretString ?? '';
const authOf = (entry: { auth: string }) => Buffer.from(entry.auth, 'base64').toString();

describe('CLI: refresh with only profiles', () => {
  it('exits 0 with zero GitLab requests, and each profile secret holds fresh entries for exactly its hosts', async () => {
    const started = Date.now();
    sandbox.gitlab.requests.length = 0;
    const run = await runCliProcess(['refresh', '--config', configPath, '--json'], sandbox.env);
    expect(run.code, run.stderr).toBe(0);
    expect(sandbox.gitlab.requests).toEqual([]);
    const summary = JSON.parse(run.stdout);
    expect(summary.targets).toEqual([]);
    expect(summary.profiles.map((p: { profile: string; status: string }) => [p.profile, p.status])).toEqual([
      ['prod', 'created'],
      ['shared', 'created'],
    ]);
    const prod = JSON.parse(await secretValue('ecr-gitlab-refresher/profiles/prod'));
    expect(Object.keys(prod.auths).sort()).toEqual(PROD_HOSTS);
    // moto's regional token is the caller's own; the entry is written for the configured account's host.
    for (const host of PROD_HOSTS) expect(authOf(prod.auths[host])).toBe(`AWS:${MOTO_ACCOUNT}-auth-token`);
    expect(Object.keys(prod[METADATA_KEY].expiresAt).sort()).toEqual(PROD_HOSTS);
    for (const host of PROD_HOSTS) expect(Date.parse(prod[METADATA_KEY].expiresAt[host])).toBeGreaterThan(started + 11 * 3_600_000);
    expect(Date.parse(prod[METADATA_KEY].refreshedAt)).toBeGreaterThanOrEqual(started - 1000);
    const shared = JSON.parse(await secretValue('ecr-gitlab-refresher/profiles/shared'));
    expect(Object.keys(shared.auths)).toEqual([SHARED_HOST]);
    // Footprint: the two profile secrets, and nothing else (no host or combined secrets without a secrets section).
    const names = ((await secrets.send(new ListSecretsCommand({}))).SecretList ?? []).map((secret) => secret.Name).sort();
    expect(names).toEqual(['ecr-gitlab-refresher/gitlab-token', 'ecr-gitlab-refresher/profiles/prod', 'ecr-gitlab-refresher/profiles/shared']);
  });

  it('status reads the profile secrets without GitLab: fresh, exit 0', async () => {
    sandbox.gitlab.requests.length = 0;
    const run = await runCliProcess(['status', '--config', configPath, '--json'], sandbox.env);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.profiles.map((p: { profile: string; state: string; hosts: Array<{ host: string }> }) => [p.profile, p.state, p.hosts.map((h) => h.host).sort()])).toEqual([
      ['prod', 'ok', PROD_HOSTS],
      ['shared', 'ok', [SHARED_HOST]],
    ]);
    expect(sandbox.gitlab.requests).toEqual([]);
  });

  it('with a secrets section also refreshes a registry no target or profile uses, so status finds its host secret', async () => {
    const path = join(work, 'spare.yml');
    const config = {
      ...profilesConfig,
      secrets: { prefix: 'spare/' },
      profiles: [{ name: 'prod', registries: ['prod'], projects: ['platform/*'] }],
    };
    writeFileSync(path, stringify(config));
    expect((await runCliProcess(['refresh', '--config', path], sandbox.env)).code).toBe(0);
    const status = JSON.parse((await runCliProcess(['status', '--config', path, '--json'], sandbox.env)).stdout);
    expect(status.secrets.map((s: { name: string; state: string }) => [s.name, s.state])).toEqual([
      ['spare/prod/us-east-1', 'ok'],
      ['spare/prod/eu-west-1', 'ok'],
      ['spare/shared/eu-west-1', 'ok'],
    ]);
  });
});

/** The stack's template for the profiles config, with CloudFormation's pseudo parameters filled in as moto has them. */
function stackTemplate(config: Record<string, unknown>): { resources: Record<string, any> } {
  const derived = deriveStack(validateConfig(config), stackParams('e2e'));
  const resolve = (value: any): any => {
    if (Array.isArray(value)) return value.map(resolve);
    if (value && typeof value === 'object') {
      if (typeof value['Fn::Sub'] === 'string') {
        const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': MOTO_ACCOUNT, 'AWS::Region': 'us-east-1' };
        return value['Fn::Sub'].replace(/\$\{(AWS::\w+)\}/g, (whole: string, name: string) => pseudo[name] ?? whole);
      }
      return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, resolve(inner)]));
    }
    return value;
  };
  return { resources: resolve(derived.resources.Resources) };
}

/** Creates the provider, read policies and roles exactly as the stack templates them (moto's CloudFormation skips the provider). */
async function createStackIam(config: Record<string, unknown>): Promise<Record<string, string>> {
  const { resources } = stackTemplate(config);
  const provider = resources.OidcProvider.Properties;
  await iam.send(new CreateOpenIDConnectProviderCommand({ Url: provider.Url, ClientIDList: provider.ClientIdList }));
  const roles: Record<string, string> = {};
  for (const name of ['Prod', 'Shared']) {
    const policy = resources[`Profile${name}ReadPolicy`].Properties;
    const created = await iam.send(new CreatePolicyCommand({ PolicyName: `profile-${name}-read`, Path: policy.Path, PolicyDocument: JSON.stringify(policy.PolicyDocument) }));
    const role = resources[`Profile${name}Role`].Properties;
    const made = await iam.send(
      new CreateRoleCommand({ RoleName: `profile-${name}`, Path: role.Path, AssumeRolePolicyDocument: JSON.stringify(role.AssumeRolePolicyDocument), Tags: role.Tags }),
    );
    await iam.send(new AttachRolePolicyCommand({ RoleName: `profile-${name}`, PolicyArn: created.Policy?.Arn }));
    roles[name.toLowerCase()] = made.Role?.Arn ?? '';
  }
  return roles;
}

describe('Pull-time profiles: doctor, and a job end to end without GitLab', () => {
  let roles: Record<string, string>;
  let issuer: LocalOidcIssuer;
  const fetchIssuer = async (url: string) => (await fetch(url.replace(ISSUER, issuer.base))).json();

  beforeAll(async () => {
    roles = await createStackIam(profilesConfig);
    issuer = new LocalOidcIssuer(ISSUER);
    await issuer.start();
  });
  afterAll(() => issuer?.stop());

  const doctor = async (config: Record<string, unknown>) => {
    const validated = validateConfig(config);
    const observability = buildObservability({ env: process.env, writeLog: () => {}, defaultLogLevel: 'error', correlationId: 'doctor' });
    return runDoctor(validated, await buildDoctorPorts(validated, { env: {}, writeLog: () => {}, defaultLogLevel: 'error', correlationId: 'doctor' }, observability));
  };

  it('doctor: provider with the audience, both secrets present, both roles with the expected trust; no GitLab request', async () => {
    sandbox.gitlab.requests.length = 0;
    const checks = await doctor(profilesConfig);
    const profileChecks = checks.filter((check) => ['oidc-provider', 'profile-secret', 'profile-role'].includes(check.check));
    expect(profileChecks.map((check) => [check.check, check.status, check.subject])).toEqual([
      ['oidc-provider', 'ok', PROVIDER_ARN],
      ['profile-secret', 'ok', 'prod ecr-gitlab-refresher/profiles/prod'],
      ['profile-role', 'ok', `prod ${roles.prod}`],
      ['profile-secret', 'ok', 'shared ecr-gitlab-refresher/profiles/shared'],
      ['profile-role', 'ok', `shared ${roles.shared}`],
    ]);
    expect(profileChecks[1]?.detail).toMatch(/^present; earliest expiry \d{4}-/);
    expect(sandbox.gitlab.requests).toEqual([]);
  });

  it('doctor warns about a profile secret whose tokens have expired, with the fix', async () => {
    sandbox.setTokenLifetime(-60);
    try {
      expect((await runCliProcess(['refresh', '--config', configPath], sandbox.env)).code).toBe(0);
      const secret = (await doctor(profilesConfig)).find((check) => check.check === 'profile-secret');
      expect(secret).toMatchObject({ status: 'warn', detail: expect.stringMatching(/: expired$/), fix: expect.stringContaining('run a refresh now') });
    } finally {
      sandbox.setTokenLifetime(12 * 3600);
      expect((await runCliProcess(['refresh', '--config', configPath], sandbox.env)).code).toBe(0);
    }
  });

  it('doctor names a drifted trust, a missing role and secret, and a provider without the audience, each with its fix', async () => {
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: 'profile-Shared',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Federated: PROVIDER_ARN },
              Action: 'sts:AssumeRoleWithWebIdentity',
              Condition: { StringEquals: { 'gitlab.example.com:aud': 'sts.amazonaws.com' } },
            },
          ],
        }),
      }),
    );
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER_ARN }));
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: ISSUER, ClientIDList: ['https://gitlab.example.com'] }));
    const config = { ...profilesConfig, profiles: [...(profilesConfig.profiles as unknown[]), { name: 'new', registries: ['prod'], projects: ['tools/*'] }] };
    const checks = await doctor(config);
    const find = (check: string, subject: string) => checks.find((c) => c.check === check && c.subject?.startsWith(subject));
    expect(find('oidc-provider', PROVIDER_ARN)).toMatchObject({
      status: 'fail',
      detail: "accepts the audiences https://gitlab.example.com, not sts.amazonaws.com: AWS refuses the jobs' ID tokens",
      fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${PROVIDER_ARN} --client-id sts.amazonaws.com (or redeploy the stack)`,
    });
    expect(find('profile-role', 'shared')).toMatchObject({
      status: 'fail',
      detail: 'has no gitlab.example.com:sub condition: every project of the issuer could read the secret',
      fix: 'redeploy the stack (serverless deploy) so the role trusts what the config says',
    });
    expect(find('profile-role', 'new')).toMatchObject({ status: 'fail', fix: 'deploy the stack (serverless deploy): it creates one role per profile' });
    expect(find('profile-secret', 'new')).toMatchObject({ status: 'fail', detail: 'does not exist yet: jobs of this profile fail before their image pull' });
    // Put back what the next tests rely on.
    await iam.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: PROVIDER_ARN }));
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: ISSUER, ClientIDList: ['sts.amazonaws.com'] }));
  });

  const job = (projectPath: string, refType: 'branch' | 'tag', ref: string, aud = 'sts.amazonaws.com') => issuer.idToken({ projectPath, refType, ref, aud });

  it.each([
    ['a project outside the pattern', () => job('other/api', 'branch', 'main'), 'AccessDenied'],
    ['a lookalike group', () => job('platform-evil/x', 'branch', 'main'), 'AccessDenied'],
    ['a ref outside the pattern', () => job('platform/api', 'branch', 'feature'), 'AccessDenied'],
    ['a wrong audience', () => job('platform/api', 'branch', 'main', 'https://gitlab.example.com'), 'Incorrect token audience'],
  ])('refuses the prod role to %s, as AWS would (moto alone would not)', async (_, token, reason) => {
    await expect(checkWebIdentity(token(), roles.prod as string, iam, fetchIssuer)).rejects.toThrow(reason);
    // moto issues credentials for any token: the check above is the only thing that refuses it here.
    const sts = new STSClient(motoClientConfig(sandbox.moto.url));
    const loose = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roles.prod, RoleSessionName: 'job', WebIdentityToken: token() }));
    expect(loose.Credentials?.AccessKeyId).toBeTruthy();
  });

  itWithBinaries(
    "a job's ID token assumes the prod role, reads only its secret, and the value authenticates skopeo and the Docker CLI at a real registry",
    ['skopeo', 'docker-registry', 'htpasswd', 'docker'],
    async () => {
      const token = job('platform/backend/worker', 'tag', 'v1.4.0');
      await checkWebIdentity(token, roles.prod as string, iam, fetchIssuer);
      const sts = new STSClient(motoClientConfig(sandbox.moto.url));
      const assumed = await sts.send(new AssumeRoleWithWebIdentityCommand({ RoleArn: roles.prod, RoleSessionName: 'gitlab-job-2002', WebIdentityToken: token }));
      const credentials = assumed.Credentials;
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) throw new Error('no credentials from AssumeRoleWithWebIdentity');
      const asJob = new SecretsManagerClient({
        ...motoClientConfig(sandbox.moto.url),
        credentials: { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken },
      });
      const read = await asJob.send(new GetSecretValueCommand({ SecretId: 'ecr-gitlab-refresher/profiles/prod' }));
      // moto does not enforce the role's policy; the policy as written names this secret and not the other profile's.
      const [statement] = stackTemplate(profilesConfig).resources.ProfileProdReadPolicy.Properties.PolicyDocument.Statement;
      const shared = await secrets.send(new GetSecretValueCommand({ SecretId: 'ecr-gitlab-refresher/profiles/shared' }));
      expect(statement.Action).toEqual(['secretsmanager:GetSecretValue']);
      expect(resourceMatches(statement.Resource, read.ARN ?? '')).toBe(true);
      expect(resourceMatches(statement.Resource, shared.ARN ?? '')).toBe(false);

      const value = JSON.parse(read.SecretString ?? '{}');
      expect(Object.keys(value.auths).sort()).toEqual(PROD_HOSTS);
      expect(JSON.stringify(value)).not.toContain(SHARED_ACCOUNT);
      const host = PROD_HOSTS[1] as string;
      const password = authOf(value.auths[host]).split(':')[1] as string;

      const dir = mkdtempSync(join(tmpdir(), 'profile-job-'));
      let registry: HtpasswdRegistry | undefined;
      try {
        registry = await startHtpasswdRegistry(dir, password);
        // The entry re-keyed to the loopback registry: what is proven is the value's format and its auth.
        const rekeyed = { ...value, auths: { [registry.address]: value.auths[host] } };
        const authfile = join(dir, 'auth.json');
        writeFileSync(authfile, JSON.stringify(rekeyed));
        const image = writeOciImage(join(dir, 'image'));
        const skopeo = (...args: string[]) => spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8' });
        const push = skopeo('copy', '--dest-tls-verify=false', '--authfile', authfile, image, `docker://${registry.address}/platform/app:v1`);
        expect(push.status, push.stderr).toBe(0);
        const refused = skopeo('inspect', '--tls-verify=false', '--authfile', join(dir, 'none.json'), `docker://${registry.address}/platform/app:v1`);
        expect(refused.status).not.toBe(0);
        // `docker manifest inspect` needs no daemon and authenticates from config.json like a pull.
        const dockerConfig = join(dir, 'docker');
        mkdirSync(dockerConfig);
        writeFileSync(join(dockerConfig, 'config.json'), JSON.stringify(rekeyed));
        const inspect = spawnSync('docker', ['manifest', 'inspect', '--insecure', `${registry.address}/platform/app:v1`], {
          encoding: 'utf8',
          env: { PATH: process.env.PATH, HOME: dir, DOCKER_CONFIG: dockerConfig },
        });
        expect(inspect.status, inspect.stderr).toBe(0);
        expect(JSON.parse(inspect.stdout).schemaVersion).toBe(2);
      } finally {
        registry?.stop();
      }
    },
  );
});
