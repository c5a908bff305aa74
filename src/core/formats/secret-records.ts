import type { SecretsConfig } from '../../config/schema.js';
import { OWN_SECRET_TAGS } from '../../domain/secret-names.js';
import { SecretTooLargeError } from '../../errors.js';
import { encodeAuth, type HostCredential } from './docker-auth.js';

/** Secrets Manager's hard limit for a secret value. */
export const MAX_SECRET_BYTES = 65_536;

/** The tags a secret gets when the refresh creates it (it never changes them later). */
export function secretTags(settings: Pick<SecretsConfig, 'tags'>): Record<string, string> {
  // Own tags listed first and kept over any configured value of the same key.
  return { ...OWN_SECRET_TAGS, ...settings.tags, ...OWN_SECRET_TAGS };
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

/** Throws before anything is written when a value exceeds Secrets Manager's limit; `advice` says how to split. */
export function assertSecretSize(name: string, value: string, advice = 'split registries across prefixes'): void {
  const bytes = Buffer.byteLength(value, 'utf8');
  if (bytes > MAX_SECRET_BYTES) {
    throw new SecretTooLargeError(`${name}: value is ${bytes} bytes, over Secrets Manager's ${MAX_SECRET_BYTES}-byte limit; ${advice}`);
  }
}
