import type { SecretsConfig } from '../../config/schema.js';
import { combinedSecretName, hostSecretName, MANAGED_BY_TAG } from '../../domain/secret-names.js';
import { describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import { type HostCredential, mergeDockerAuth, parseDockerConfig, serialiseDockerConfig } from '../formats/docker-auth.js';
import { assertSecretSize, hostSecretValue, secretTags } from '../formats/secret-records.js';
import type { Logger, SecretStore, SecretWriteOptions } from '../ports.js';
import type { MintedSlot } from './mint.js';
import type { SecretResult } from './summary.js';

/** Secrets Manager shares 50 writes/s per region across all write APIs: stay far below it. */
const SECRET_WRITE_CONCURRENCY = 4;

export interface StoreSecretsInput {
  settings: SecretsConfig;
  slots: MintedSlot[];
  publicRegistries: Set<string>;
  dryRun: boolean;
  now: Date;
  /** Whether the config still manages a host: the combined secret drops expiry records of the others. */
  managesHost?: (host: string) => boolean;
}

/**
 * One secret per minted host plus the combined `docker-config` secret, merged like a GitLab variable so
 * that hosts not minted in this run (failed or not selected) keep their last good entry.
 */
export async function storeSecrets(input: StoreSecretsInput, store: SecretStore, logger: Logger): Promise<SecretResult[]> {
  const { settings, slots, publicRegistries, dryRun } = input;
  const minted = slots.filter((slot): slot is MintedSlot & { credential: HostCredential } => slot.credential !== undefined);
  if (minted.length === 0) return [];
  const options: SecretWriteOptions = {
    description: 'ECR registry credentials, managed by ecr-gitlab-refresher; do not edit',
    kmsKeyId: settings.kmsKeyId,
    tags: secretTags(settings),
    ownerTag: MANAGED_BY_TAG,
  };
  const writes = minted.map((slot) => ({
    name: hostSecretName(settings.prefix, slot.registry, slot.region, publicRegistries.has(slot.registry)),
    value: async () => hostSecretValue(slot.credential),
  }));
  const combined = combinedSecretName(settings.prefix);
  writes.push({
    name: combined,
    value: async () => {
      const current = await store.read(combined);
      const base = current === undefined ? {} : parseDockerConfig(current);
      return serialiseDockerConfig(
        mergeDockerAuth(
          base,
          minted.map((slot) => slot.credential),
          input.now,
          { managesHost: input.managesHost },
        ).config,
      );
    },
  });
  return mapWithConcurrency(writes, SECRET_WRITE_CONCURRENCY, async function writeOneSecret({ name, value }): Promise<SecretResult> {
    if (dryRun) return { name, status: 'would-write' };
    try {
      const text = await value();
      assertSecretSize(name, text);
      const status = await store.write(name, text, options);
      logger.info('secret stored', { secret: name, status });
      return { name, status };
    } catch (error) {
      const message = describeError(error);
      logger.error('secret failed', { secret: name, error: message });
      return { name, status: 'failed', error: message };
    }
  });
}
