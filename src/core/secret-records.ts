import type { RegistryConfig, SecretsConfig } from '../config/schema.js';
import { SecretTooLargeError } from '../errors.js';
import { encodeAuth, type HostCredential } from './docker-auth.js';
import { PUBLIC_REGION } from './plan.js';

/** Secrets Manager's hard limit for a secret value. */
export const MAX_SECRET_BYTES = 65_536;

export const COMBINED_SECRET_SUFFIX = 'docker-config';

/** Tags on every secret the refresh creates; a configured tag of the same key replaces one of them. */
export const OWN_SECRET_TAGS: Readonly<Record<string, string>> = { 'managed-by': 'ecr-gitlab-refresher' };

/** The tags a secret gets when the refresh creates it (it never changes them later). */
export function secretTags(settings: Pick<SecretsConfig, 'tags'>): Record<string, string> {
  return { ...OWN_SECRET_TAGS, ...settings.tags };
}

/** The name of every per-host secret the config's registries get (one per region; ECR Public: one). */
export function hostSecretNames(prefix: string, registries: RegistryConfig[]): string[] {
  return registries.flatMap((registry) =>
    registry.public ? [hostSecretName(prefix, registry.name, PUBLIC_REGION, true)] : (registry.regions ?? []).map((region) => hostSecretName(prefix, registry.name, region, false)),
  );
}

/** `<prefix><name>/<region>`, or `<prefix><name>` for ECR Public (one region only). */
export function hostSecretName(prefix: string, registry: string, region: string, isPublic: boolean): string {
  return isPublic && region === PUBLIC_REGION ? `${prefix}${registry}` : `${prefix}${registry}/${region}`;
}

export function hostSecretValue(credential: HostCredential): string {
  return JSON.stringify({
    registry: credential.host,
    username: credential.username,
    password: credential.password,
    auth: encodeAuth(credential.username, credential.password),
    expiresAt: credential.expiresAt.toISOString(),
  });
}

export function assertSecretSize(name: string, value: string): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SECRET_BYTES) {
    throw new SecretTooLargeError(`${name}: value is ${bytes} bytes, over Secrets Manager's ${MAX_SECRET_BYTES}-byte limit; split registries across prefixes`);
  }
}
