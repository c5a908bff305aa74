/**
 * The Secrets Manager names a config produces, computed in one place: the run writes exactly these
 * (besides the GitLab token secret, which only token rotation writes), status reads them, and the
 * config is refused when two of them, or one of them and the token or CA secret, are the same secret.
 * Pure, with no imports: the config schema uses it too.
 */

export const COMBINED_SECRET_SUFFIX = 'docker-config';

/** The tag on every secret the tool creates; a secret without it is someone else's and is never written. */
export const MANAGED_BY_TAG = { key: 'managed-by', value: 'ecr-gitlab-refresher' } as const;

/** Tags on every secret the refresh creates; the owner tag is the tool's own (validation refuses it in secrets.tags). */
export const OWN_SECRET_TAGS: Readonly<Record<string, string>> = { [MANAGED_BY_TAG.key]: MANAGED_BY_TAG.value };

/** Where profile secrets go when the config has no `secrets` section (the stack grants the same prefix). */
export const DEFAULT_SECRET_PREFIX = 'ecr-gitlab-refresher/';

/** `<prefix><name>/<region>`, or `<prefix><name>` for ECR Public (one region only). */
export function hostSecretName(prefix: string, registry: string, region: string, isPublic: boolean): string {
  return isPublic ? `${prefix}${registry}` : `${prefix}${registry}/${region}`;
}

export function combinedSecretName(prefix: string): string {
  return `${prefix}${COMBINED_SECRET_SUFFIX}`;
}

/** A secret a config names, with the config field that names it (for errors). */
export interface NamedSecret {
  name: string;
  path: Array<string | number>;
  /** What the secret holds, in words. */
  role: string;
}

interface NamingConfig {
  registries: ReadonlyArray<{ name: string; public?: boolean; regions?: string[] }>;
  secrets?: { prefix: string };
  gitlab?: { tokenSecretId?: string; caCertificatesSecretId?: string };
  profiles?: ReadonlyArray<{ name: string }>;
}

/** The host secrets of a config: one per private registry and region, one per public registry. */
export function hostSecretNames(config: NamingConfig): NamedSecret[] {
  if (!config.secrets) return [];
  const { prefix } = config.secrets;
  return config.registries.flatMap((registry, index): NamedSecret[] =>
    registry.public
      ? [{ name: hostSecretName(prefix, registry.name, '', true), path: ['registries', index, 'name'], role: `the host secret of registry "${registry.name}"` }]
      : (registry.regions ?? []).map((region, position) => ({
          name: hostSecretName(prefix, registry.name, region, false),
          path: ['registries', index, 'regions', position],
          role: `the host secret of registry "${registry.name}" in ${region}`,
        })),
  );
}

/** Every secret a run of this config may write: the host secrets, the combined docker-config and the profile secrets. */
export function writtenSecretNames(config: NamingConfig): NamedSecret[] {
  const combined: NamedSecret[] = config.secrets
    ? [{ name: combinedSecretName(config.secrets.prefix), path: ['secrets', 'prefix'], role: 'the combined docker-config secret' }]
    : [];
  return [...hostSecretNames(config), ...combined, ...profileSecretNames(config)];
}

/**
 * Pairs of named secrets that are one secret in Secrets Manager: two writes per run to one secret, or
 * a write over the GitLab token or the CA certificates. Names are compared without case, and the token secret by its name when
 * it is given as an ARN, so a near miss is refused rather than guessed at.
 */
export function secretNameCollisions(config: NamingConfig): Array<[NamedSecret, NamedSecret]> {
  const named = writtenSecretNames(config);
  const token = config.gitlab?.tokenSecretId;
  if (token) named.push({ name: secretNameOf(token), path: ['gitlab', 'tokenSecretId'], role: 'the GitLab token secret' });
  // The CA bundle decides whom the tool trusts as GitLab: a run must never write it either.
  const ca = config.gitlab?.caCertificatesSecretId;
  if (ca) named.push({ name: secretNameOf(ca), path: ['gitlab', 'caCertificatesSecretId'], role: 'the CA certificates secret' });
  const seen = new Map<string, NamedSecret>();
  const collisions: Array<[NamedSecret, NamedSecret]> = [];
  for (const secret of named) {
    const key = secret.name.toLowerCase();
    const earlier = seen.get(key);
    if (earlier) collisions.push([earlier, secret]);
    else seen.set(key, secret);
  }
  return collisions;
}

/** `arn:…:secret:NAME-AbCdEf` → `NAME` (Secrets Manager appends six characters to a full ARN); a name stays itself. */
export function secretNameOf(idOrArn: string): string {
  const match = /^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(.+)$/.exec(idOrArn);
  if (!match) return idOrArn;
  return (match[1] as string).replace(/-[A-Za-z0-9]{6}$/, '');
}

// --- Profiles (pull-time mode) ---------------------------------------------------------------------

/** `<prefix>profiles/<name>`: the Docker config a profile's GitLab jobs read before their image pull. */
export function profileSecretName(prefix: string, profileName: string): string {
  return `${prefix}profiles/${profileName}`;
}

/** The prefix of the secrets a config writes: `secrets.prefix`, or the default when there is no `secrets` section. */
export function secretsPrefix(config: Pick<NamingConfig, 'secrets'>): string {
  return config.secrets?.prefix ?? DEFAULT_SECRET_PREFIX;
}

/** One secret per profile, under the secrets prefix (or the default one). */
export function profileSecretNames(config: NamingConfig): NamedSecret[] {
  const prefix = secretsPrefix(config);
  return (config.profiles ?? []).map((profile, index) => ({
    name: profileSecretName(prefix, profile.name),
    path: ['profiles', index, 'name'],
    role: `the secret of profile "${profile.name}"`,
  }));
}
