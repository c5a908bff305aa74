import { ECRClient, GetAuthorizationTokenCommand, type GetAuthorizationTokenCommandOutput } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient, GetAuthorizationTokenCommand as GetPublicAuthorizationTokenCommand } from '@aws-sdk/client-ecr-public';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { MintedToken, MintRequest, TokenMinter } from '../../core/ports.js';
import { PUBLIC_HOST } from '../../domain/hosts.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';
import { RoleCredentials } from './role-credentials.js';

const ECR_PUBLIC_REGION = 'us-east-1';

export interface EcrClientFactories {
  ecr: (region: string, credentials?: AwsCredentialIdentity) => Pick<ECRClient, 'send'>;
  ecrPublic: (credentials?: AwsCredentialIdentity) => Pick<ECRPUBLICClient, 'send'>;
}

const defaultFactories: EcrClientFactories = {
  ecr: (region, credentials) => new ECRClient({ region, credentials }),
  ecrPublic: (credentials) => new ECRPUBLICClient({ region: ECR_PUBLIC_REGION, credentials }),
};

/** GetAuthorizationToken for private ECR (one token per credentials and region) and ECR Public. */
export class EcrTokenMinter implements TokenMinter {
  constructor(
    private readonly roles: RoleCredentials = new RoleCredentials(),
    private readonly clients: EcrClientFactories = defaultFactories,
  ) {}

  async mint(request: MintRequest): Promise<MintedToken> {
    const credentials = request.role ? await this.roles.forRole(request.role) : undefined;
    return request.kind === 'public' ? this.mintPublic(credentials) : this.mintPrivate(request.region, credentials);
  }

  /** Without registryIds (deprecated): the token covers every registry in the region the identity may pull from. */
  private async mintPrivate(region: string, credentials?: AwsCredentialIdentity): Promise<MintedToken> {
    let data: GetAuthorizationTokenCommandOutput;
    try {
      data = await this.clients.ecr(region, credentials).send(new GetAuthorizationTokenCommand({}));
    } catch (error) {
      throw new AwsCallError(`ecr:GetAuthorizationToken in ${region}: ${awsErrorMessage(error)}`);
    }
    const entry = data.authorizationData?.[0];
    if (!entry) throw new AwsCallError(`ecr:GetAuthorizationToken in ${region} returned no authorization data`);
    if (!entry.proxyEndpoint) throw new AwsCallError(`ecr:GetAuthorizationToken in ${region} returned no proxyEndpoint`);
    return {
      host: hostOf(entry.proxyEndpoint),
      ...decodeToken(entry.authorizationToken, `ECR ${region}`),
      expiresAt: entry.expiresAt ?? new Date(Date.now() + 12 * 3600_000),
    };
  }

  private async mintPublic(credentials?: AwsCredentialIdentity): Promise<MintedToken> {
    let data: { authorizationData?: { authorizationToken?: string; expiresAt?: Date } };
    try {
      data = await this.clients.ecrPublic(credentials).send(new GetPublicAuthorizationTokenCommand({}));
    } catch (error) {
      throw new AwsCallError(`ecr-public:GetAuthorizationToken: ${awsErrorMessage(error)} (needs ecr-public:GetAuthorizationToken and sts:GetServiceBearerToken)`);
    }
    const entry = data.authorizationData;
    if (!entry) throw new AwsCallError('ecr-public:GetAuthorizationToken returned no authorization data');
    return { host: PUBLIC_HOST, ...decodeToken(entry.authorizationToken, 'ECR Public'), expiresAt: entry.expiresAt ?? new Date(Date.now() + 12 * 3600_000) };
  }
}

/** The token is base64 of `user:password` with exactly one colon; anything else is refused, never guessed. */
export function decodeToken(token: string | undefined, source: string): { username: string; password: string } {
  const decoded = token ? Buffer.from(token, 'base64').toString('utf8') : '';
  const parts = decoded.split(':');
  if (parts.length !== 2 || !parts[0] || !parts[1]) throw new AwsCallError(`${source}: unexpected authorization token format`);
  return { username: parts[0], password: parts[1] };
}

function hostOf(proxyEndpoint: string): string {
  return URL.canParse(proxyEndpoint)
    ? new URL(proxyEndpoint).host.toLowerCase()
    : proxyEndpoint
        .replace(/^[a-z]+:\/\//i, '')
        .replace(/\/.*$/, '')
        .toLowerCase();
}
