import { gitlabPort } from '../../config/gitlab-mode.js';
import type { Config } from '../../config/schema.js';
import { registryHostMatcher } from '../../domain/hosts.js';
import { hostSecretNames, MANAGED_BY_TAG, profileSecretName, secretsPrefix } from '../../domain/secret-names.js';
import { describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import type { TargetWarning } from '../formats/docker-auth.js';
import { findHelperOverrides, helperWarnings, parseDockerConfig, readMetadata } from '../formats/docker-auth.js';
import { recordedExpiry } from '../formats/variable-formats.js';
import type { CiVariableStore, SecretStore, StoredVariable } from '../ports.js';
import { configuredRegistries, targetSelector, variableRef } from '../refresh/plan.js';
import { type VariableSpec, variableSpecs } from '../refresh/variables.js';

/** Entries closer to expiry than this are highlighted: a 6-hour schedule has failed twice by then. */
export const EXPIRING_SOON_SECONDS = 2 * 3600;

export type HealthState = 'ok' | 'expiring' | 'expired' | 'overridden' | 'missing' | 'unmanaged' | 'unreadable' | 'error';

export interface HostExpiry {
  host: string;
  expiresAt: string;
  expiresInSeconds: number;
}

export interface TargetStatusEntry {
  target: string;
  variable: string;
  environmentScope?: string;
  state: HealthState;
  refreshedAt?: string;
  hosts: HostExpiry[];
  detail?: string;
  /** What keeps the Runner from using the entries, or leaves them readable in job logs. */
  warnings?: TargetWarning[];
}

export interface SecretStatusEntry {
  name: string;
  state: HealthState;
  host?: string;
  expiresAt?: string;
  expiresInSeconds?: number;
  detail?: string;
}

/** A profile's secret: what its jobs get as DOCKER_AUTH_CONFIG, and until when. */
export interface ProfileStatusEntry {
  profile: string;
  secret: string;
  state: HealthState;
  refreshedAt?: string;
  hosts: HostExpiry[];
  detail?: string;
}

export interface StatusReport {
  ok: boolean;
  targets: TargetStatusEntry[];
  secrets: SecretStatusEntry[];
  profiles: ProfileStatusEntry[];
}

export function hostExpiries(expiresAt: Record<string, string>, now: number): HostExpiry[] {
  return Object.entries(expiresAt)
    .map(([host, at]) => ({ host, expiresAt: at, expiresInSeconds: Math.round((Date.parse(at) - now) / 1000) }))
    .sort((a, b) => a.expiresInSeconds - b.expiresInSeconds);
}

/** The worst state among host expiries: expired beats expiring beats ok. */
export function expiryState(hosts: HostExpiry[]): HealthState {
  if (hosts.some((host) => host.expiresInSeconds <= 0)) return 'expired';
  if (hosts.some((host) => host.expiresInSeconds < EXPIRING_SOON_SECONDS)) return 'expiring';
  return 'ok';
}

/**
 * Read-only: what each target's variable, each host secret and each profile secret hold now, and how
 * long it lasts. `variables` is absent for a config without targets (no GitLab connection).
 */
export async function collectStatus(
  config: Config,
  variables: CiVariableStore | undefined,
  secrets: SecretStore | undefined,
  now: number,
  /** The account registries without accountId reach; unknown: their credHelpers entries are not reported. */
  callerAccount?: string,
): Promise<StatusReport> {
  const jobs = config.targets.flatMap((target) => variableSpecs(target).map((spec) => ({ target, spec })));
  const targets = await mapWithConcurrency(jobs, config.gitlab?.concurrency ?? 1, async function statusOf({ target, spec }): Promise<TargetStatusEntry> {
    const ref = variableRef(target, spec);
    const base = { target: targetSelector(target), variable: spec.key, environmentScope: ref.environmentScope, hosts: [] };
    try {
      const stored = await gitlabPort(variables).read(ref);
      if (!stored) return { ...base, state: 'missing', detail: 'variable does not exist yet; run a refresh' };
      if (stored.value === null) return { ...base, state: 'unreadable', detail: 'variable is hidden; its value cannot be read' };
      const record = recordedExpiry(spec.format, stored.value);
      if (!record) return { ...base, state: 'unmanaged', detail: 'no record of a refresh by this tool in the value' };
      const hosts = hostExpiries(record.expiresAt, now);
      const warnings = storedValueWarnings(spec, stored, registryHostMatcher(configuredRegistries(config, spec), callerAccount), true);
      const expiry = expiryState(hosts);
      // Fresh entries the Runner will not use are no better than expired ones.
      const state = expiry === 'ok' && warnings.some((w) => w.code !== 'unmasked') ? 'overridden' : expiry;
      return { ...base, state, refreshedAt: record.refreshedAt, hosts, ...(warnings.length > 0 ? { warnings, detail: warnings.map((w) => w.code).join(', ') } : {}) };
    } catch (error) {
      return { ...base, state: 'error', detail: describeError(error) };
    }
  });
  const secretEntries = secrets && config.secrets ? await collectSecretStatus(config, secrets, now) : [];
  const profiles = secrets ? await collectProfileStatus(config, secrets, now) : [];
  const healthy = (state: HealthState) => state === 'ok';
  return {
    ok: targets.every((t) => healthy(t.state)) && secretEntries.every((s) => healthy(s.state)) && profiles.every((p) => healthy(p.state)),
    targets,
    secrets: secretEntries,
    profiles,
  };
}

/** Each profile secret's recorded expiry per host (the refresh writes one record per entry). */
async function collectProfileStatus(config: Config, secrets: SecretStore, now: number): Promise<ProfileStatusEntry[]> {
  return mapWithConcurrency(config.profiles, 4, async function profileStatus(profile): Promise<ProfileStatusEntry> {
    const secret = profileSecretName(secretsPrefix(config), profile.name);
    const base = { profile: profile.name, secret, hosts: [] };
    try {
      const value = await secrets.read(secret);
      if (value === undefined) return { ...base, state: 'missing', detail: 'secret does not exist yet; run a refresh' };
      const record = readMetadata(parseDockerConfig(value));
      if (!record) return { ...base, state: 'unmanaged', detail: 'no record of a refresh by this tool in the secret' };
      const hosts = hostExpiries(record.expiresAt, now);
      return {
        ...base,
        state: hosts.length === 0 ? 'missing' : expiryState(hosts),
        refreshedAt: record.refreshedAt,
        hosts,
        ...(hosts.length === 0 ? { detail: 'holds no entry' } : {}),
      };
    } catch (error) {
      return { ...base, state: 'error', detail: describeError(error) };
    }
  });
}

/**
 * What a stored value needs a person for, for doctor and status: ECR credentials held unmasked, and
 * `credsStore` or `credHelpers` entries that keep the Runner from using the fresh entries.
 */
export function storedValueWarnings(spec: VariableSpec, stored: StoredVariable, isManaged: ((host: string) => boolean) | undefined, holdsCredentials: boolean): TargetWarning[] {
  const warnings: TargetWarning[] = [];
  if (holdsCredentials && spec.masked && !stored.masked) {
    warnings.push({
      code: 'unmasked',
      message:
        "holds ECR credentials UNMASKED: any job that prints its environment shows the passwords in its log; run a refresh: it masks the variable (if it cannot, the refresh's warning says why), or set masked: false for this variable to accept it",
    });
  }
  // Unknown managed hosts: credsStore is still reported, credHelpers entries are not guessed at.
  if (spec.format === 'docker-config') warnings.push(...helperWarnings(findHelperOverrides(parseDockerConfig(stored.value ?? '{}'), isManaged ?? (() => false))));
  return warnings;
}

async function collectSecretStatus(config: Config, secrets: SecretStore, now: number): Promise<SecretStatusEntry[]> {
  const names = hostSecretNames(config).map((secret) => secret.name);
  return mapWithConcurrency(names, 4, async function secretStatus(name): Promise<SecretStatusEntry> {
    try {
      const value = await secrets.read(name);
      if (value === undefined) return { name, state: 'missing', detail: 'secret does not exist yet; run a refresh' };
      const record = parseHostRecord(value);
      if (!record)
        return { name, state: 'error', detail: `not a record this tool writes (${MANAGED_BY_TAG.key}=${MANAGED_BY_TAG.value} secrets hold JSON); rename or delete that secret` };
      if (typeof record.expiresAt !== 'string') return { name, state: 'unmanaged', detail: 'no expiresAt in the secret' };
      const [host] = hostExpiries({ [record.registry ?? name]: record.expiresAt }, now);
      return { name, state: expiryState(host ? [host] : []), host: record.registry, expiresAt: record.expiresAt, expiresInSeconds: host?.expiresInSeconds };
    } catch (error) {
      return { name, state: 'error', detail: describeError(error) };
    }
  });
}

/** A host secret's record; undefined when the text is not a JSON object (its content is never quoted). */
function parseHostRecord(value: string): { registry?: string; expiresAt?: string } | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as { registry?: string; expiresAt?: string }) : undefined;
  } catch {
    return undefined;
  }
}
