import { UnsafeMergeError } from '../../errors.js';
import {
  dropManagedCredHelpers,
  findHelperOverrides,
  type HostChanges,
  type HostCredential,
  helperWarnings,
  type MergeOptions,
  mergeDockerAuth,
  parseDockerConfig,
  parseStoredJson,
  readMetadata,
  serialiseDockerConfig,
  type TargetWarning,
} from './docker-auth.js';

/** How a variable holds registry credentials: a Docker config (the Runner's DOCKER_AUTH_CONFIG), or one registry login. */
export type VariableFormat = 'docker-config' | 'registry-login';

export interface FormattedValue {
  value: string;
  hosts: HostChanges;
  /** Earliest expiry among the ECR entries the value holds. */
  expiresAt?: string;
  /** Changes to the value besides the ECR entries (credHelpers entries removed on request). */
  changes: string[];
  /** What will keep the Runner from using the fresh entries. */
  warnings: TargetWarning[];
}

/** `registry-login`: compact JSON keyed by host, for scripts (`jq`) and tools that take a username and password. */
export interface RegistryLogin {
  [host: string]: { username: string; password: string; expiresAt: string; managedBy?: string };
}

/**
 * The new value of a variable in its format, from its current value (undefined when missing or owned
 * fully). In both formats every entry is kept except those for hosts minted in this run; the only
 * removal is, in a registry-login value the tool created itself, of its own entries for hosts the
 * variable's registries no longer reach (listed in `changes`).
 */
export function renderValue(format: VariableFormat, current: string | undefined, credentials: HostCredential[], now: Date, options: MergeOptions = {}): FormattedValue {
  return format === 'docker-config' ? renderDockerConfig(current, credentials, now, options) : renderRegistryLogin(current, credentials, options);
}

function renderDockerConfig(current: string | undefined, credentials: HostCredential[], now: Date, options: MergeOptions): FormattedValue {
  const parsed = current === undefined ? {} : parseDockerConfig(current);
  const minted = new Set(credentials.map((credential) => credential.host.toLowerCase()));
  const isManaged = (host: string) => minted.has(host) || (options.managesHost?.(host) ?? false);
  const dropping = options.helpers === 'drop-for-managed-hosts';
  const dropped = dropping ? findHelperOverrides(parsed, isManaged).credHelpers : [];
  const merge = mergeDockerAuth(dropping ? dropManagedCredHelpers(parsed, isManaged) : parsed, credentials, now, options);
  const expiresAt = Object.values(readMetadata(merge.config)?.expiresAt ?? {}).sort()[0];
  return {
    value: serialiseDockerConfig(merge.config),
    hosts: { replaced: merge.replaced, added: merge.added, kept: merge.kept },
    expiresAt,
    changes: dropped.map(({ key, helper }) => `credHelpers entry removed: ${key} → ${helper}`),
    warnings: helperWarnings(findHelperOverrides(merge.config, isManaged)),
  };
}

/** Marks the entries of a registry-login value the tool created: it may later remove them, and only them. */
export const REGISTRY_LOGIN_MARK = { managedBy: 'ecr-gitlab-refresher' } as const;

function isMarked(entry: RegistryLogin[string]): boolean {
  return entry.managedBy === REGISTRY_LOGIN_MARK.managedBy;
}

function renderRegistryLogin(current: string | undefined, credentials: HostCredential[], options: MergeOptions): FormattedValue {
  const existing = current === undefined ? {} : parseRegistryLogin(current);
  const minted = new Set(credentials.map((credential) => credential.host.toLowerCase()));
  // The tool's own value: created now, or by an earlier run (only then are its entries marked).
  const own = current === undefined || Object.values(existing).some(isMarked);
  const next: RegistryLogin = {};
  const hosts: HostChanges = { replaced: [], added: [], kept: [] };
  const removed: string[] = [];
  for (const [key, entry] of Object.entries(existing)) {
    const host = key.toLowerCase();
    if (minted.has(host)) hosts.replaced.push(host);
    else if (own && isMarked(entry) && options.managesHost?.(host) === false) removed.push(key);
    else {
      next[key] = entry;
      hosts.kept.push(key);
    }
  }
  for (const credential of credentials) {
    const host = credential.host.toLowerCase();
    if (!hosts.replaced.includes(host)) hosts.added.push(host);
    next[host] = { username: credential.username, password: credential.password, expiresAt: credential.expiresAt.toISOString(), ...(own ? REGISTRY_LOGIN_MARK : {}) };
  }
  // The expiry that matters is that of entries this variable manages, not of someone else's.
  const counts = (host: string) => minted.has(host) || (options.managesHost?.(host) ?? true);
  const expiresAt = Object.entries(next)
    .filter(([host, entry]) => counts(host.toLowerCase()) && typeof entry.expiresAt === 'string')
    .map(([, entry]) => entry.expiresAt)
    .sort()[0];
  return {
    value: JSON.stringify(next),
    hosts: { replaced: hosts.replaced.sort(), added: hosts.added.sort(), kept: hosts.kept.sort() },
    expiresAt,
    changes: removed.sort().map((host) => `registry-login entry removed: ${host} (this tool wrote it, and no registry of this variable reaches it any more)`),
    warnings: [],
  };
}

export function parseRegistryLogin(value: string): RegistryLogin {
  const parsed = parseStoredJson(value);
  const valid =
    parsed !== null &&
    typeof parsed === 'object' &&
    !Array.isArray(parsed) &&
    Object.values(parsed).every((entry) => entry !== null && typeof entry === 'object' && typeof (entry as Record<string, unknown>).password === 'string');
  if (!valid) throw new UnsafeMergeError('existing value is not in registry-login format ({"host": {"username", "password", "expiresAt"}}); left unchanged');
  return parsed as RegistryLogin;
}

/** The expiry record of a stored value in either format, for status and doctor. */
export function recordedExpiry(format: VariableFormat, value: string): { refreshedAt?: string; expiresAt: Record<string, string> } | undefined {
  if (format === 'docker-config') return readMetadata(parseDockerConfig(value));
  const login = parseRegistryLogin(value);
  return {
    expiresAt: Object.fromEntries(
      Object.entries(login)
        .filter((entry) => typeof entry[1].expiresAt === 'string')
        .map(([host, entry]) => [host, entry.expiresAt]),
    ),
  };
}

/** The earliest expiry the tool recorded in a stored value, if any. */
export function recordedEarliestExpiry(format: VariableFormat, value: string): string | undefined {
  return Object.values(recordedExpiry(format, value)?.expiresAt ?? {}).sort()[0];
}
