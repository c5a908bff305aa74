import { GetSecretValueCommand, ListSecretVersionIdsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SdkAwsInspector } from '../../src/adapters/aws/aws-inspector.js';
import { EcrTokenMinter } from '../../src/adapters/aws/ecr-token-minter.js';
import { RoleCredentials } from '../../src/adapters/aws/role-credentials.js';
import { SecretsManagerStore, SecretsManagerTokenSecret } from '../../src/adapters/aws/secrets-manager-store.js';
import { type MotoServer, startMoto, useMotoEnv } from '../support/moto.js';
import { currentSecret, storeSecretByHand } from '../support/secrets.js';

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
    await expect(new SecretsManagerTokenSecret(store.client, 'gl/bare').read()).resolves.toBe('glpat-bare-token-value-1234');
    await expect(new SecretsManagerTokenSecret(store.client, 'gl/json').read()).resolves.toBe('glpat-json-token-value-1234');
    await expect(new SecretsManagerTokenSecret(store.client, 'gl/bad').read()).rejects.toThrowError('GitLab token secret gl/bad is JSON without a "token" string');
    await expect(new SecretsManagerTokenSecret(store.client, 'gl/missing').read()).rejects.toThrowError(/does not exist/);
  });
});

describe('Class: SecretsManagerTokenSecret, the rotation lock (moto)', () => {
  const NAME = 'gl/rotating';
  const client = new SecretsManagerStore().client as SecretsManagerClient;
  const current = () => currentSecret(client, NAME);
  const storeByHand = (secretValue: string) => storeSecretByHand(client, NAME, secretValue);
  const value = async () => JSON.parse((await current()) ?? '{}');
  const opened = async () => {
    const secret = new SecretsManagerTokenSecret(new SecretsManagerStore().client, NAME);
    await secret.read();
    return secret;
  };

  it('lets one run take the lock, shows it to every other run, and stores the successor keeping the other keys', async () => {
    await new SecretsManagerStore().write(NAME, JSON.stringify({ token: 'glpat-old-token-value-000001', owner: 'platform' }), { description: 'd' });
    const first = await opened();
    const second = await opened();
    const seen = await first.state();
    expect(seen).toEqual({ version: expect.any(String), changed: false });
    expect(await second.state()).toEqual(seen);

    const lock = await first.lock(seen.version, 1_700_000_000_000);
    expect(lock).toMatchObject({ taken: true });
    // The lock is a real write that keeps the token, and every reader sees it.
    expect(await value()).toEqual({ token: 'glpat-old-token-value-000001', owner: 'platform' });
    expect(await second.state()).toMatchObject({ changed: false, lockedAt: 1_700_000_000_000 });
    // The other run saw the version before the lock: its compare-and-swap fails.
    await expect(second.lock(seen.version, 1_700_000_000_001)).resolves.toEqual({ taken: false });

    const taken = lock as { taken: true; lock: string };
    await expect(first.store('glpat-new-token-value-000002', taken.lock)).resolves.toBe('stored');
    // Repeating the store (an answer lost) neither fails nor writes again.
    await expect(first.store('glpat-new-token-value-000002', taken.lock)).resolves.toBe('stored');
    expect(await value()).toEqual({ token: 'glpat-new-token-value-000002', owner: 'platform' });
    expect(await (await opened()).state()).toEqual({ version: expect.any(String), changed: false });
    expect(await second.state()).toMatchObject({ changed: true });
  });

  it('gives the lock back after a refusal, and never overwrites a value someone stored during the rotation', async () => {
    await new SecretsManagerStore().write(NAME, 'glpat-bare-token-value-00003', { description: 'd' });
    const run = await opened();
    const before = await run.state();
    const lock = (await run.lock(before.version, Date.now())) as { taken: true; lock: string };
    await run.unlock(lock.lock, before.version);
    expect(await run.state()).toEqual({ version: before.version, changed: false });

    const again = (await run.lock(before.version, Date.now())) as { taken: true; lock: string };
    await storeByHand('glpat-stored-by-hand-value-04');
    await expect(run.store('glpat-successor-value-000005', again.lock)).resolves.toBe('changed');
    expect(await current()).toBe('glpat-stored-by-hand-value-04');
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
