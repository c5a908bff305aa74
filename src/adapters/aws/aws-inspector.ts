import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsInspector, AwsRole } from '../../core/ports.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';
import type { RoleCredentials } from './role-credentials.js';

/** The read-only AWS calls `doctor` makes: nothing here writes. */
export class SdkAwsInspector implements AwsInspector {
  constructor(
    private readonly roles: RoleCredentials,
    private readonly sts: Pick<STSClient, 'send'> = new STSClient({}),
    private readonly secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
  ) {}

  async callerIdentity(): Promise<{ account: string; arn: string }> {
    try {
      const identity = await this.sts.send(new GetCallerIdentityCommand({}));
      return { account: identity.Account ?? '', arn: identity.Arn ?? '' };
    } catch (error) {
      throw new AwsCallError(`sts:GetCallerIdentity: ${awsErrorMessage(error)}`);
    }
  }

  async secretExists(name: string): Promise<boolean> {
    try {
      await this.secrets.send(new DescribeSecretCommand({ SecretId: name }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw new AwsCallError(`secretsmanager:DescribeSecret ${name}: ${awsErrorMessage(error)}`);
    }
  }

  async assumeRole(role: AwsRole): Promise<void> {
    await this.roles.forRole(role);
  }
}
