import { BatchGetImageCommand, ECRClient } from '@aws-sdk/client-ecr';
import { GetOpenIDConnectProviderCommand, GetRoleCommand, IAMClient, ListRolesCommand, NoSuchEntityException } from '@aws-sdk/client-iam';
import { DescribeSecretCommand, ResourceNotFoundException, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { AwsInspector, AwsRole, OidcProviderInfo, ProfileRoleInfo, PullProbe, PullProbeResult, SecretDescription } from '../../core/ports.js';
import { PROFILE_IAM_PATH, PROFILE_SECRET_TAG } from '../../domain/profile-trust.js';
import { AwsCallError } from '../../errors.js';
import { awsErrorMessage } from './aws-errors.js';
import type { RoleCredentials } from './role-credentials.js';
import { SecretsManagerStore } from './secrets-manager-store.js';

/** A tag no image carries: the pull probe must never fetch anything. */
const PROBE_TAG = 'ecr-gitlab-refresher-doctor-probe';

/** The read-only AWS calls `doctor` makes: nothing here writes. */
export class SdkAwsInspector implements AwsInspector {
  constructor(
    private readonly roles: RoleCredentials,
    private readonly sts: Pick<STSClient, 'send'> = new STSClient({}),
    private readonly secrets: Pick<SecretsManagerClient, 'send'> = new SecretsManagerClient({}),
    private readonly ecr: (region: string, credentials?: AwsCredentialIdentity) => Pick<ECRClient, 'send'> = (region, credentials) => new ECRClient({ region, credentials }),
    private readonly iam: Pick<IAMClient, 'send'> = new IAMClient({}),
    /** The region whose profile secrets doctor checks (the secrets client's). */
    private readonly region: () => Promise<string> = () => new SecretsManagerClient({}).config.region(),
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

  // --- Profiles (pull-time mode) -------------------------------------------------------------------

  async oidcProvider(arn: string): Promise<OidcProviderInfo | undefined> {
    try {
      const provider = await this.iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn }));
      return { url: provider.Url ?? '', clientIds: provider.ClientIDList ?? [] };
    } catch (error) {
      if (error instanceof NoSuchEntityException) return undefined;
      throw new AwsCallError(`iam:GetOpenIDConnectProvider ${arn}: ${awsErrorMessage(error)}`);
    }
  }

  async profileRoles(secretName: string): Promise<ProfileRoleInfo[]> {
    const region = await this.region();
    const wanted = (value: string | undefined) => {
      const match = /^arn:[^:]+:secretsmanager:([^:]+):\d*:secret:(.+)$/.exec(value ?? '');
      return match?.[1] === region && match[2] === secretName;
    };
    const found: ProfileRoleInfo[] = [];
    let marker: string | undefined;
    try {
      do {
        const page = await this.iam.send(new ListRolesCommand({ PathPrefix: PROFILE_IAM_PATH, Marker: marker }));
        for (const listed of page.Roles ?? []) {
          // ListRoles leaves tags out: GetRole has them.
          const { Role: role } = await this.iam.send(new GetRoleCommand({ RoleName: listed.RoleName }));
          if (!role?.Arn || !wanted(role.Tags?.find((tag) => tag.Key === PROFILE_SECRET_TAG)?.Value)) continue;
          found.push({ arn: role.Arn, trustPolicy: JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument ?? '%7B%7D')) });
        }
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
    } catch (error) {
      throw new AwsCallError(`iam:ListRoles/GetRole under ${PROFILE_IAM_PATH}: ${awsErrorMessage(error)}`);
    }
    return found;
  }

  secretValue(name: string): Promise<string | undefined> {
    return new SecretsManagerStore(this.secrets).read(name);
  }
}
