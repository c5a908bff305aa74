import { BatchGetImageCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsInspector, AwsRole, PullProbe, PullProbeResult, SecretDescription } from '../../core/ports.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';
import type { RoleCredentials } from './role-credentials.js';

/** A tag no image carries: the pull probe must never fetch anything. */
const PROBE_TAG = 'ecr-gitlab-refresher-doctor-probe';

/** The read-only AWS calls `doctor` makes: nothing here writes. */
export class SdkAwsInspector implements AwsInspector {
  constructor(
    private readonly roles: RoleCredentials,
    private readonly sts: Pick<STSClient, 'send'> = new STSClient({}),
    private readonly secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
    private readonly ecr: (region: string, credentials?: AwsCredentialIdentity) => Pick<ECRClient, 'send'> = (region, credentials) => new ECRClient({ region, credentials }),
  ) {}

  async callerIdentity(): Promise<{ account: string; arn: string }> {
    try {
      const identity = await this.sts.send(new GetCallerIdentityCommand({}));
      return { account: identity.Account ?? '', arn: identity.Arn ?? '' };
    } catch (error) {
      throw new AwsCallError(`sts:GetCallerIdentity: ${awsErrorMessage(error)}`);
    }
  }

  async describeSecret(name: string): Promise<SecretDescription | undefined> {
    try {
      const secret = await this.secrets.send(new DescribeSecretCommand({ SecretId: name }));
      const tags = Object.fromEntries((secret.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? '']));
      return { deletedDate: secret.DeletedDate, kmsKeyId: secret.KmsKeyId || undefined, tags };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw new AwsCallError(`secretsmanager:DescribeSecret ${name}: ${awsErrorMessage(error)}`);
    }
  }

  async assumeRole(role: AwsRole): Promise<void> {
    await this.roles.forRole(role);
  }

  async probePull(probe: PullProbe): Promise<PullProbeResult> {
    const credentials = probe.role ? await this.roles.forRole(probe.role) : undefined;
    const where = `${probe.repository} in ${probe.accountId ?? 'the own account'} (${probe.region})`;
    try {
      const answer = await this.ecr(probe.region, credentials).send(
        new BatchGetImageCommand({ registryId: probe.accountId, repositoryName: probe.repository, imageIds: [{ imageTag: PROBE_TAG }] }),
      );
      return { outcome: 'allowed', detail: `ecr:BatchGetImage on ${where} is allowed${answer.failures?.length ? ' (the probe tag does not exist, as intended)' : ''}` };
    } catch (error) {
      const name = error instanceof Error ? error.name : '';
      if (name === 'AccessDeniedException') return { outcome: 'denied', detail: `ecr:BatchGetImage on ${where}: ${awsErrorMessage(error)}` };
      if (name === 'RepositoryNotFoundException') return { outcome: 'unknown', detail: `repository ${where} does not exist, so the probe proves nothing` };
      throw new AwsCallError(`ecr:BatchGetImage on ${where}: ${awsErrorMessage(error)}`);
    }
  }
}
