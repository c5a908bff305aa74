import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';

/** The value a secret holds now (AWSCURRENT named explicitly: moto's default pointer ignores stage moves). */
export async function currentSecret(client: SecretsManagerClient, id: string): Promise<string | undefined> {
  return (await client.send(new GetSecretValueCommand({ SecretId: id, VersionStage: 'AWSCURRENT' }))).SecretString;
}

/**
 * `aws secretsmanager put-secret-value` as a person runs it: AWS makes the new version current, wherever
 * AWSCURRENT was. moto 5.2.1 moves the label from its own default-version pointer, which
 * UpdateSecretVersionStage (the token rotation lock) never updates, and would leave two versions
 * labelled AWSCURRENT after a rotation; so the move is made explicitly, with the same end state as AWS.
 */
export async function storeSecretByHand(client: SecretsManagerClient, id: string, value: string): Promise<void> {
  const { VersionId } = await client.send(new GetSecretValueCommand({ SecretId: id, VersionStage: 'AWSCURRENT' }));
  const put = await client.send(new PutSecretValueCommand({ SecretId: id, SecretString: value, VersionStages: ['by-hand'] }));
  await client.send(new UpdateSecretVersionStageCommand({ SecretId: id, VersionStage: 'AWSCURRENT', MoveToVersionId: put.VersionId, RemoveFromVersionId: VersionId }));
}
