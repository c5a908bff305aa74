import type { SecretsConfig } from '../config/schema.js';
import { SecretTooLargeError } from '../errors.js';
import { encodeAuth, type HostCredential } from './docker-auth.js';
import { MANAGED_BY_TAG } from './secret-names.js';

/** Secrets Manager's hard limit for a secret value. */
export const MAX_SECRET_BYTES = 65_536;

/** Tags on every secret the refresh creates; the owner tag is the tool's own (validation refuses it in secrets.tags). */
export const OWN_SECRET_TAGS: Readonly<Record<string, string>> = { [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value };

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
