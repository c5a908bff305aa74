import { createPublicKey, generateKeyPairSync, type KeyObject, randomUUID, sign, verify } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetOpenIDConnectProviderCommand, GetRoleCommand, type IAMClient, ListOpenIDConnectProvidersCommand } from '@aws-sdk/client-iam';
import { trustAdmits } from './iam-trust.js';

/** The claims GitLab puts in a job's ID token (docs: ci/secrets/id_token_authentication), for one job. */
export interface GitLabJob {
  projectPath: string;
  refType: 'branch' | 'tag';
  ref: string;
  refProtected?: boolean;
  aud: string;
}

const b64url = (data: Buffer | string) => Buffer.from(data).toString('base64url');

/**
 * A GitLab-shaped OIDC issuer on loopback: an RSA key, the discovery document and JWKS at GitLab's paths
 * (`/.well-known/openid-configuration`, `/oauth/discovery/keys`), and RS256 ID tokens with GitLab's claims.
 * `issuer` is the URL the tokens name (https, as AWS requires); `base` is where it really listens.
 */
export class LocalOidcIssuer {
  readonly kid = randomUUID();
  private readonly privateKey: KeyObject;
  private readonly publicJwk: Record<string, unknown>;
  private server?: Server;
  base = '';

  constructor(readonly issuer: string) {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.privateKey = privateKey;
    this.publicJwk = { ...publicKey.export({ format: 'jwk' }), kid: this.kid, use: 'sig', alg: 'RS256' };
  }

  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const body =
        request.url === '/.well-known/openid-configuration'
          ? { issuer: this.issuer, jwks_uri: `${this.issuer}/oauth/discovery/keys`, id_token_signing_alg_values_supported: ['RS256'], subject_types_supported: ['public'] }
          : request.url === '/oauth/discovery/keys'
            ? { keys: [this.publicJwk] }
            : undefined;
      response.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body ?? { error: 'not found' }));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** An ID token as GitLab issues it for a job with `id_tokens: { X: { aud } }`. */
  idToken(job: GitLabJob, now = Math.floor(Date.now() / 1000)): string {
    const namespace = job.projectPath.split('/').slice(0, -1).join('/');
    const claims = {
      namespace_id: '42',
      namespace_path: namespace,
      project_id: '4242',
      project_path: job.projectPath,
      user_id: '7',
      user_login: 'dev',
      user_email: 'dev@example.com',
      user_access_level: 'developer',
      pipeline_id: '1001',
      pipeline_source: 'push',
      job_id: '2002',
      ref: job.ref,
      ref_type: job.refType,
      ref_path: `refs/${job.refType === 'branch' ? 'heads' : 'tags'}/${job.ref}`,
      ref_protected: String(job.refProtected ?? false),
      runner_id: 1,
      runner_environment: 'self-hosted',
      sha: 'a'.repeat(40),
      project_visibility: 'private',
      ci_config_ref_uri: `${new URL(this.issuer).host}/${job.projectPath}//.gitlab-ci.yml@refs/heads/${job.ref}`,
      ci_config_sha: 'a'.repeat(40),
      jti: randomUUID(),
      iss: this.issuer,
      iat: now,
      nbf: now - 5,
      exp: now + 300,
      sub: `project_path:${job.projectPath}:ref_type:${job.refType}:ref:${job.ref}`,
      aud: job.aud,
    };
    const signingInput = `${b64url(JSON.stringify({ alg: 'RS256', kid: this.kid, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
    return `${signingInput}.${b64url(sign('sha256', Buffer.from(signingInput), this.privateKey))}`;
  }
}

/**
 * What AWS STS does with AssumeRoleWithWebIdentity before it issues credentials, and moto does not
 * (moto returns credentials for any token and any role): find the IAM OIDC provider named by the token's
 * `iss`, fetch the issuer's discovery document and JWKS (through `fetchIssuer`, which maps the issuer's
 * https URL to where the test issuer listens, as DNS would), verify the RS256 signature and lifetime,
 * require `aud` among the provider's audiences, and evaluate the role's trust policy on `aud` and `sub`.
 * Throws with AWS's reason when any of it fails.
 */
export async function checkWebIdentity(token: string, roleArn: string, iam: Pick<IAMClient, 'send'>, fetchIssuer: (url: string) => Promise<unknown>): Promise<void> {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iss: string; sub: string; aud: string; exp: number; nbf: number };
  const providerUrl = claims.iss.replace(/^https:\/\//, '');
  const providers = (await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? [];
  const providerArn = providers.map((provider) => provider.Arn ?? '').find((arn) => arn.endsWith(`:oidc-provider/${providerUrl}`));
  if (!providerArn) throw new Error(`InvalidIdentityToken: no OpenIDConnect provider found in your account for ${claims.iss}`);
  const provider = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: providerArn }));
  const discovery = (await fetchIssuer(`${claims.iss}/.well-known/openid-configuration`)) as { jwks_uri: string };
  const jwks = (await fetchIssuer(discovery.jwks_uri)) as { keys: Array<Record<string, unknown>> };
  const jwk = jwks.keys.find((key) => key.kid === kid);
  if (!jwk) throw new Error('InvalidIdentityToken: no key with the token kid');
  const key = createPublicKey({ key: jwk, format: 'jwk' } as Parameters<typeof createPublicKey>[0]);
  if (!verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))) throw new Error('InvalidIdentityToken: signature');
  const now = Math.floor(Date.now() / 1000);
  if (claims.exp <= now || claims.nbf > now) throw new Error('ExpiredTokenException: token expired or not yet valid');
  if (!(provider.ClientIDList ?? []).includes(claims.aud)) throw new Error(`InvalidIdentityToken: Incorrect token audience ${claims.aud}`);
  const role = (await iam.send(new GetRoleCommand({ RoleName: roleArn.split('/').pop() }))).Role;
  const trust = JSON.parse(decodeURIComponent(role?.AssumeRolePolicyDocument ?? '%7B%7D'));
  const admitted = trustAdmits(trust, { providerArn, claims: { [`${providerUrl}:sub`]: claims.sub, [`${providerUrl}:aud`]: claims.aud } });
  if (!admitted) throw new Error(`AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity (sub ${claims.sub})`);
}
