/**
 * Adversarial review 2 (branch `attack2`): the owner check reads the secret by name and the write then
 * addresses it by name again, so a secret replaced in between (deleted, then created by someone else)
 * is written although it lacks the owner tag. Red on main before the fixes that landed with it (2026-11-30).
 */
import { CreateSecretCommand, DeleteSecretCommand, DescribeSecretCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretsManagerStore } from '../../src/adapters/aws/secrets-manager-store.js';
import { MANAGED_BY_TAG } from '../../src/domain/secret-names.js';
import { type MotoServer, startMoto, useMotoEnv } from '../support/moto.js';
import { currentSecret } from '../support/secrets.js';

let moto: MotoServer;
let restoreEnv: () => void;
let client: SecretsManagerClient;

beforeAll(async () => {
  moto = await startMoto();
  restoreEnv = useMotoEnv(moto.url);
  client = new SecretsManagerStore().client as SecretsManagerClient;
});
afterAll(async () => {
  restoreEnv();
  await moto.stop();
});
beforeEach(async () => {
  await moto.reset();
});

describe('SecretsManagerStore.write: the secret the owner check saw is the one written', () => {
  const NAME = 'ecr-gitlab-refresher/prod/us-east-1';
  const tags = { [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value };

  it("never writes a same-named secret that replaced the tool's own between DescribeSecret and PutSecretValue", async () => {
    await client.send(new CreateSecretCommand({ Name: NAME, SecretString: '{"old":true}', Tags: [{ Key: MANAGED_BY_TAG.key, Value: MANAGED_BY_TAG.value }] }));
    let replaced = false;
    // Someone deletes the tool's secret and creates their own under the name right after the owner check.
    const racing = {
      send: async (command: unknown) => {
        const answer = await client.send(command as never);
        if (command instanceof DescribeSecretCommand && !replaced) {
          replaced = true;
          await client.send(new DeleteSecretCommand({ SecretId: NAME, ForceDeleteWithoutRecovery: true }));
          await client.send(new CreateSecretCommand({ Name: NAME, SecretString: 'their-db-password', Tags: [{ Key: 'team', Value: 'db' }] }));
        }
        return answer;
      },
    };
    const store = new SecretsManagerStore(racing as unknown as SecretsManagerClient);

    const outcome = await store.write(NAME, '{"new":true}', { description: 'ECR registry credentials', tags, ownerTag: MANAGED_BY_TAG }).then(
      (status) => status,
      (error: Error) => error.message,
    );

    expect(replaced).toBe(true);
    expect(await currentSecret(client, NAME)).toBe('their-db-password');
    expect(outcome).not.toBe('updated');
  });
});
