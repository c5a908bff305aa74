import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkAwsInspector } from '../../src/adapters/aws/aws-inspector.js';
import { EcrTokenMinter } from '../../src/adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from '../../src/adapters/aws/role-credentials.js';
import { SecretsManagerStore, SecretsManagerTokenSecret } from '../../src/adapters/aws/secrets-manager-store.js';
import { type MotoServer, startMoto, useMotoEnv } from '../support/moto.js';

let moto: MotoServer;
let restoreEnv: () => void;

beforeAll(async () => {
  moto = await startMoto();
  restoreEnv = useMotoEnv(moto.url);
});
afterAll(async () => {
  restoreEnv();
  await moto.stop();
});
beforeEach(() => moto.reset());

describe('Class: EcrTokenMinter (moto)', () => {
  it("mints one token per region for the caller's own registry, host from proxyEndpoint, never sending registryIds", async () => {
    const token = await new EcrTokenMinter().mint({ kind: 'private', region: 'eu-west-1' });
    expect(token).toMatchObject({ host: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', username: 'AWS', password: '123456789012-auth-token' });
    // moto always says 2015; the token must still be used, not skipped.
    expect(token.expiresAt.getUTCFullYear()).toBe(2015);
  });

  it('assumes a cross-account role once for all of its regions', async () => {
    let assumeRoleCalls = 0;
    const roles = new RoleCredentials(() => {
      const sts = new STSClient({});
      const send = (command: Parameters<STSClient['send']>[0]) => {
        assumeRoleCalls++;
        return sts.send(command);
      };
      return { send } as Pick<STSClient, 'send'>;
    });
    const minter = new EcrTokenMinter(roles);
    const role = { arn: 'arn:aws:iam::222222222222:role/ecr-pull', externalId: 'ext-1' };
    const [first, second] = await Promise.all([minter.mint({ kind: 'private', region: 'us-east-1', role }), minter.mint({ kind: 'private', region: 'eu-west-1', role })]);
    expect(first.host).toBe('222222222222.dkr.ecr.us-east-1.amazonaws.com');
    expect(second.host).toBe('222222222222.dkr.ecr.eu-west-1.amazonaws.com');
    expect(assumeRoleCalls).toBe(1);
  });
});

describe('Class: SecretsManagerStore (moto)', () => {
  const client = () => new SecretsManagerClient({});

  it('creates a missing secret with tags and description, then adds versions', async () => {
    const store = new SecretsManagerStore();
    const options = { description: 'ECR creds', tags: { 'managed-by': 'ecr-gitlab-refresher' } };
    await expect(store.write('p/prod/us-east-1', '{"v":1}', options)).resolves.toBe('created');
    await expect(store.write('p/prod/us-east-1', '{"v":2}', options)).resolves.toBe('updated');
    await expect(store.read('p/prod/us-east-1')).resolves.toBe('{"v":2}');
    const current = await client().send(new GetSecretValueCommand({ SecretId: 'p/prod/us-east-1', VersionStage: 'AWSPREVIOUS' }));
    expect(current.SecretString).toBe('{"v":1}');
  });

  it('makes a retried write of the same value a no-op (same ClientRequestToken)', async () => {
    const store = new SecretsManagerStore();
    await store.write('p/idem', '{"same":true}', { description: 'd' });
    await store.write('p/idem', '{"same":true}', { description: 'd' });
    await store.write('p/idem', '{"same":true}', { description: 'd' });
    const versions = await client().send(new ListSecretVersionIdsCommand({ SecretId: 'p/idem' }));
    expect(versions.Versions).toHaveLength(1);
  });

  it('returns undefined for a secret that does not exist', async () => {
    await expect(new SecretsManagerStore().read('p/none')).resolves.toBeUndefined();
  });

  it('reads the GitLab token as a bare string or as {"token": ...}', async () => {
    const store = new SecretsManagerStore();
    await store.write('gl/bare', 'glpat-bare-token-value-1234', { description: 'd' });
    await store.write('gl/json', '{"token":"glpat-json-token-value-1234"}', { description: 'd' });
    await store.write('gl/bad', '{"tok":"x"}', { description: 'd' });
    await expect(new SecretsManagerTokenSecret(store, 'gl/bare').read()).resolves.toBe('glpat-bare-token-value-1234');
    await expect(new SecretsManagerTokenSecret(store, 'gl/json').read()).resolves.toBe('glpat-json-token-value-1234');
    await expect(new SecretsManagerTokenSecret(store, 'gl/bad').read()).rejects.toThrowError('GitLab token secret gl/bad is JSON without a "token" string');
    await expect(new SecretsManagerTokenSecret(store, 'gl/missing').read()).rejects.toThrowError(/does not exist/);
  });
});

describe('Class: SdkAwsInspector (moto)', () => {
  it('probes whether the minting identity may pull: allowed on an existing repository, unknown on a missing one', async () => {
    const { CreateRepositoryCommand, ECRClient } = await import('@aws-sdk/client-ecr');
    await new ECRClient({ region: 'eu-west-1' }).send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
    const inspector = new SdkAwsInspector(new RoleCredentials());
    await expect(inspector.probePull({ region: 'eu-west-1', repository: 'team/app' })).resolves.toMatchObject({ outcome: 'allowed' });
    await expect(inspector.probePull({ region: 'eu-west-1', repository: 'missing' })).resolves.toMatchObject({ outcome: 'unknown' });
  });
});
