import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsRole } from '../../core/ports.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';

export type StsClientFactory = () => Pick<STSClient, 'send'>;

/**
 * Assumes each role once per run and hands out the same temporary credentials to every call that
 * needs them (all regions of a cross-account registry share one AssumeRole).
 */
export class RoleCredentials {
  private readonly cache = new Map<string, Promise<AwsCredentialIdentity>>();

  constructor(
    private readonly createSts: StsClientFactory = () => new STSClient({}),
    private readonly sessionName = 'ecr-gitlab-refresher',
  ) {}

  /** The account of the identity the function itself runs as (no permission needed). */
  async callerAccount(): Promise<string> {
    try {
      const identity = await this.createSts().send(new GetCallerIdentityCommand({}));
      if (!identity.Account) throw new AwsCallError('GetCallerIdentity returned no account');
      return identity.Account;
    } catch (error) {
      throw new AwsCallError(`sts:GetCallerIdentity: ${awsErrorMessage(error)}`);
    }
  }

  forRole(role: AwsRole): Promise<AwsCredentialIdentity> {
    const key = `${role.arn}|${role.externalId ?? ''}`;
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.assume(role);
      this.cache.set(key, pending);
    }
    return pending;
  }

  private async assume(role: AwsRole): Promise<AwsCredentialIdentity> {
    try {
      const response = await this.createSts().send(
        new AssumeRoleCommand({ RoleArn: role.arn, ExternalId: role.externalId, RoleSessionName: this.sessionName, DurationSeconds: 900 }),
      );
      const credentials = response.Credentials;
      if (!credentials?.AccessKeyId || !credentials.SecretAccessKey) throw new AwsCallError('AssumeRole returned no credentials');
      return { accessKeyId: credentials.AccessKeyId, secretAccessKey: credentials.SecretAccessKey, sessionToken: credentials.SessionToken, expiration: credentials.Expiration };
    } catch (error) {
      throw new AwsCallError(
        `sts:AssumeRole ${role.arn}: ${awsErrorMessage(error)}; check the role's trust policy allows this function's role${role.externalId ? ' with this externalId' : ''}`,
      );
    }
  }
}
