import { UnsafeMergeError } from '../errors.js';
import {
  dropManagedCredHelpers,
  findHelperOverrides,
  type HostCredential,
  helperWarnings,
  type MergeOptions,
  mergeDockerAuth,
  parseDockerConfig,
  parseStoredJson,
  readMetadata,
  serialiseDockerConfig,
} from './docker-auth.js';
import type { HostChanges, TargetWarning } from './summary.js';
import type { VariableFormat } from './variables.js';

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
  [host: string]: { username: string; password: string; expiresAt: string };
}

/**
 * The new value of a variable in its format, from its current value (undefined when missing or owned
 * fully). Entries for hosts not minted in this run are kept in both formats; in the tool's own
 * registry-login format, entries of hosts the config no longer manages are dropped.
 */
export function renderValue(format: VariableFormat, current: string | undefined, credentials: HostCredential[], now: Date, options: MergeOptions = {}): FormattedValue {
  if (format === 'docker-config') {
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
  const existing = current === undefined ? {} : parseRegistryLogin(current);
  const managed = new Set(credentials.map((credential) => credential.host.toLowerCase()));
  const stillManaged = options.managesHost ?? (() => true);
  const kept = Object.keys(existing).filter((host) => !managed.has(host) && stillManaged(host));
  const next: RegistryLogin = Object.fromEntries(kept.map((host) => [host, existing[host] as RegistryLogin[string]]));
  for (const credential of credentials) {
    next[credential.host.toLowerCase()] = { username: credential.username, password: credential.password, expiresAt: credential.expiresAt.toISOString() };
  }
  const expiresAt = Object.values(next)
    .map((entry) => entry.expiresAt)
    .sort()[0];
  return {
    value: JSON.stringify(next),
    hosts: {
      replaced: [...managed].filter((host) => host in existing).sort(),
      added: [...managed].filter((host) => !(host in existing)).sort(),
      kept: kept.sort(),
    },
    expiresAt,
    changes: [],
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
  return { expiresAt: Object.fromEntries(Object.entries(login).map(([host, entry]) => [host, entry.expiresAt])) };
}

/** The earliest expiry the tool recorded in a stored value, if any. */
export function recordedEarliestExpiry(format: VariableFormat, value: string): string | undefined {
  return Object.values(recordedExpiry(format, value)?.expiresAt ?? {}).sort()[0];
}
