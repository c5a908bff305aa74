import { UnsafeMergeError } from '../../errors.js';

/** The key under which the tool records what it manages inside the value; Docker and the Runner ignore it. */
export const METADATA_KEY = 'ecrGitlabRefresher';

export interface HostCredential {
  host: string;
  username: string;
  password: string;
  expiresAt: Date;
}

export interface ManagedMetadata {
  refreshedAt: string;
  expiresAt: Record<string, string>;
}

export type DockerConfig = Record<string, unknown> & { auths?: Record<string, unknown> };

/** What a merge did to the hosts of a Docker config. */
export interface HostChanges {
  replaced: string[];
  added: string[];
  kept: string[];
}

/** Something a person should act on although the variable was written. */
export type WarningCode = 'unmasked' | 'raw-left-off' | 'creds-store' | 'cred-helpers';

export interface TargetWarning {
  code: WarningCode;
  message: string;
}

export interface MergeResult {
  config: DockerConfig;
  replaced: string[];
  added: string[];
  kept: string[];
}

/**
 * What JSON.parse said, without the part of the text it quotes (V8 quotes the characters around an
 * unexpected token, which in a stored value may be a password): the position when it names one.
 */
export function jsonSyntaxDetail(error: unknown): string {
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  return position === undefined ? 'invalid JSON' : `invalid JSON at position ${position}`;
}

/** JSON.parse for a stored value; text that is not JSON is refused, never overwritten. */
export function parseStoredJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new UnsafeMergeError('existing value is not JSON; left unchanged (fix or delete it, or set ownership: full)');
  }
}

/** Parses a stored value. Anything but a JSON object (with an object `auths`, if present) is refused. */
export function parseDockerConfig(value: string): DockerConfig {
  const parsed = parseStoredJson(value);
  if (!isPlainObject(parsed)) {
    throw new UnsafeMergeError('existing value is JSON but not an object; left unchanged (fix or delete it, or set ownership: full)');
  }
  if (parsed.auths !== undefined && !isPlainObject(parsed.auths)) {
    throw new UnsafeMergeError('existing value has "auths" that is not an object; left unchanged');
  }
  return parsed as DockerConfig;
}

/**
 * The GitLab Runner's key normalisation (`convertToRegistryPath` in its `helpers/docker/auth/auth.go`):
 * a key with an `http://` or `https://` scheme (any case) is reduced to its host, and
 * `index.docker.io` becomes `docker.io`; a key without one keeps its path (`HOST/team` stays distinct
 * from HOST) less one trailing `/` and a `:tag` after its last `/`. The host part is lower-cased;
 * ports are kept. Other schemes are not recognised: such a key matches nothing the Runner looks up.
 */
export function normaliseRegistryKey(key: string): string {
  const scheme = /^https?:\/\//i.exec(key);
  if (scheme) {
    const host = key.slice(scheme[0].length).split('/')[0]?.toLowerCase() ?? '';
    return host === 'index.docker.io' ? 'docker.io' : host;
  }
  let path = key.endsWith('/') ? key.slice(0, -1) : key;
  const lastColon = path.lastIndexOf(':');
  const lastSlash = path.lastIndexOf('/');
  if (lastSlash !== -1 && lastColon > lastSlash) path = path.slice(0, lastColon);
  return lowerCaseHostname(path);
}

/** The first path component is a host name, which compares case-insensitively; the rest is kept. */
export function lowerCaseHostname(path: string): string {
  const slash = path.indexOf('/');
  return slash === -1 ? path.toLowerCase() : path.slice(0, slash).toLowerCase() + path.slice(slash);
}

export function encodeAuth(username: string, password: string): string {
  return Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
}

export interface MergeOptions {
  /** `drop-for-managed-hosts`: remove the `credHelpers` entries that would override the fresh entries. */
  helpers?: 'keep' | 'drop-for-managed-hosts';
  /**
   * Whether this variable's configured registries still cover a host. Expiry records of other hosts
   * are dropped (their entries stay): a registry removed from the config must not keep alarming.
   */
  managesHost?: (host: string) => boolean;
}

/**
 * Replaces only the `auths` entries for the given hosts (whatever spelling of the same host the value
 * used) and records their expiry; every other `auths` entry, `credHelpers`, `credsStore` and unknown key
 * is kept as it was. The input is not modified.
 */
export function mergeDockerAuth(current: DockerConfig, credentials: HostCredential[], refreshedAt: Date, options: MergeOptions = {}): MergeResult {
  const managedHosts = new Set(credentials.map((credential) => credential.host.toLowerCase()));
  const currentAuths = (current.auths ?? {}) as Record<string, unknown>;
  const auths: Record<string, unknown> = {};
  const replaced = new Set<string>();
  const kept: string[] = [];
  for (const [key, entry] of Object.entries(currentAuths)) {
    const host = normaliseRegistryKey(key);
    if (managedHosts.has(host)) replaced.add(host);
    else {
      auths[key] = entry;
      kept.push(key);
    }
  }
  for (const credential of credentials) auths[credential.host.toLowerCase()] = { auth: encodeAuth(credential.username, credential.password) };
  // Expiry records only for hosts the value still holds and the config still manages.
  const present = new Set(Object.keys(auths).map(normaliseRegistryKey));
  const keepRecord = (host: string) => present.has(host) && (options.managesHost?.(host) ?? true);
  const expiresAt: Record<string, string> = Object.fromEntries(Object.entries(readMetadata(current)?.expiresAt ?? {}).filter(([host]) => keepRecord(host)));
  for (const credential of credentials) expiresAt[credential.host.toLowerCase()] = credential.expiresAt.toISOString();
  const metadata: ManagedMetadata = { refreshedAt: refreshedAt.toISOString(), expiresAt };
  const added = [...managedHosts].filter((host) => !replaced.has(host));
  return {
    config: { ...current, auths, [METADATA_KEY]: metadata },
    replaced: [...replaced].sort(),
    added: added.sort(),
    kept: kept.sort(),
  };
}

/** What makes the Runner ignore fresh `auths` entries: it reads `auths`, then `credsStore`, then `credHelpers`. */
export interface HelperOverrides {
  /** A helper asked for every host; when it fails the Runner drops the whole value. */
  credsStore?: string;
  /** `credHelpers` keys (as spelled in the value) for hosts this tool manages, with their helper. */
  credHelpers: Array<{ key: string; helper: string }>;
}

export function findHelperOverrides(config: DockerConfig, isManaged: (host: string) => boolean): HelperOverrides {
  const credsStore = typeof config.credsStore === 'string' && config.credsStore !== '' ? config.credsStore : undefined;
  const helpers = isPlainObject(config.credHelpers) ? config.credHelpers : {};
  const credHelpers = Object.entries(helpers)
    .filter(([key]) => isManaged(normaliseRegistryKey(key)))
    .map(([key, helper]) => ({ key, helper: String(helper) }));
  return { credsStore, credHelpers };
}

/** What the Runner will do instead of using the fresh entries, and the fix; empty when nothing overrides them. */
export function helperWarnings(overrides: HelperOverrides): TargetWarning[] {
  const warnings: TargetWarning[] = [];
  if (overrides.credsStore) {
    warnings.push({
      code: 'creds-store',
      message: `the value holds "credsStore": "${overrides.credsStore}": the Runner asks docker-credential-${overrides.credsStore} on the runner manager for every registry, and if that helper is missing or fails it drops the whole value, these fresh entries included; remove credsStore from the value (the fresh auths entries need no helper), or install the helper on every runner manager`,
    });
  }
  if (overrides.credHelpers.length > 0) {
    const list = overrides.credHelpers.map(({ key, helper }) => `${key} → docker-credential-${helper}`).join(', ');
    warnings.push({
      code: 'cred-helpers',
      message: `credHelpers sends ${list} instead of using the fresh entries (the Runner takes credHelpers over auths for the same host); delete those credHelpers entries, or set helpers: drop-for-managed-hosts on this target`,
    });
  }
  return warnings;
}

/** A copy without the `credHelpers` entries for managed hosts (and without `credHelpers` if that empties it). */
export function dropManagedCredHelpers(config: DockerConfig, isManaged: (host: string) => boolean): DockerConfig {
  if (!isPlainObject(config.credHelpers)) return config;
  const remaining = Object.fromEntries(Object.entries(config.credHelpers).filter(([key]) => !isManaged(normaliseRegistryKey(key))));
  const { credHelpers: _dropped, ...rest } = config;
  return Object.keys(remaining).length > 0 ? { ...rest, credHelpers: remaining } : rest;
}

/** The tool's own record inside a value, if present and well-formed. */
export function readMetadata(config: DockerConfig): ManagedMetadata | undefined {
  const metadata = config[METADATA_KEY];
  if (!isPlainObject(metadata) || typeof metadata.refreshedAt !== 'string' || !isPlainObject(metadata.expiresAt)) return undefined;
  const expiresAt = Object.fromEntries(Object.entries(metadata.expiresAt).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return { refreshedAt: metadata.refreshedAt, expiresAt };
}

/** Compact JSON: GitLab can mask a raw value only when it has no whitespace. */
export function serialiseDockerConfig(config: DockerConfig): string {
  return JSON.stringify(config);
}

/** A copy safe to print: every credential-looking field replaced. */
export function redactDockerConfig(config: DockerConfig): DockerConfig {
  return JSON.parse(JSON.stringify(config), (key, value) =>
    ['auth', 'password', 'identitytoken', 'registrytoken'].includes(key.toLowerCase()) && typeof value === 'string' ? '[REDACTED]' : value,
  );
}

/** A JSON object (not null, not an array). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
