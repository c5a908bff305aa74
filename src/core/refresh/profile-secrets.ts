import type { Config } from '../../config/schema.js';
import { registryHostMatcher } from '../../domain/hosts.js';
import { MANAGED_BY_TAG, profileSecretName, secretsPrefix } from '../../domain/secret-names.js';
import { describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import type { HostChanges } from '../formats/docker-auth.js';
import { type DockerConfig, type HostCredential, METADATA_KEY, mergeDockerAuth, normaliseRegistryKey, readMetadata, serialiseDockerConfig } from '../formats/docker-auth.js';
import { assertSecretSize, secretTags } from '../formats/secret-records.js';
import type { Logger, SecretStore, SecretWriteOptions } from '../ports.js';
import { credentialsFor, type MintedSlot } from './mint.js';
import type { PlannedProfile } from './plan.js';
import type { ProfileResult } from './summary.js';

/**
 * Pull-time mode: each profile's Secrets Manager secret holds a Docker config with exactly that profile's
 * hosts, which GitLab Runner reads as the job secret DOCKER_AUTH_CONFIG before it pulls the job's image.
 *
 * Footprint: a run writes only `<prefix>profiles/<name>` of the profiles it refreshes. The secret is the
 * tool's own: entries of hosts no longer in the profile, and any other key, are removed; an entry whose
 * mint failed in this run keeps its last value. Never touched: other secrets, other profiles' secrets
 * (a profile removed from the config keeps its secret until someone deletes it), and GitLab.
 */

export interface ProfileSecretValue {
  value: string;
  hosts: HostChanges;
  removed: string[];
  expiresAt?: string;
}

/**
 * The profile's new secret value from its current one: fresh entries for the minted hosts, the last entry
 * of profile hosts not minted now, nothing else. A current value that is not a Docker config is replaced
 * (the secret is the tool's own), so only its fresh entries remain.
 */
export function renderProfileSecret(current: string | undefined, credentials: HostCredential[], isProfileHost: (host: string) => boolean, now: Date): ProfileSecretValue {
  const previous = parseOwnDockerConfig(current);
  const auths: Record<string, unknown> = {};
  const removed: string[] = [];
  for (const [key, entry] of Object.entries(previous.auths ?? {})) {
    if (isProfileHost(normaliseRegistryKey(key))) auths[key] = entry;
    else removed.push(key);
  }
  const base: DockerConfig = { auths, ...(previous[METADATA_KEY] === undefined ? {} : { [METADATA_KEY]: previous[METADATA_KEY] }) };
  const merge = mergeDockerAuth(base, credentials, now, { managesHost: isProfileHost });
  return {
    value: serialiseDockerConfig(merge.config),
    hosts: { replaced: merge.replaced, added: merge.added, kept: merge.kept },
    removed: removed.sort(),
    expiresAt: earliestRecordedExpiry(merge.config),
  };
}

/** The earliest expiry a stored profile value records; undefined when it is missing or not the tool's. */
export function heldProfileExpiry(current: string | undefined): string | undefined {
  return earliestRecordedExpiry(parseOwnDockerConfig(current));
}

function earliestRecordedExpiry(config: DockerConfig): string | undefined {
  return Object.values(readMetadata(config)?.expiresAt ?? {}).sort()[0];
}

function parseOwnDockerConfig(current: string | undefined): DockerConfig {
  if (current === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(current);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return {};
    const auths = (parsed as DockerConfig).auths;
    return auths !== null && typeof auths === 'object' && !Array.isArray(auths) ? (parsed as DockerConfig) : { ...(parsed as DockerConfig), auths: {} };
  } catch {
    return {};
  }
}

/** Secrets Manager shares 50 writes/s per region across all write APIs: stay far below it. */
const PROFILE_WRITE_CONCURRENCY = 4;

export interface RefreshProfilesInput {
  config: Pick<Config, 'registries' | 'secrets'>;
  planned: PlannedProfile[];
  slots: MintedSlot[];
  dryRun: boolean;
  now: Date;
  /** The account registries without accountId reach; unknown: entries not minted now are all kept (none removed). */
  callerAccount?: string;
}

/** Writes every planned profile's secret; one profile failing never stops the others. Never throws. */
export async function refreshProfiles(input: RefreshProfilesInput, store: SecretStore, logger: Logger): Promise<ProfileResult[]> {
  const prefix = secretsPrefix(input.config);
  return mapWithConcurrency(input.planned, PROFILE_WRITE_CONCURRENCY, async function refreshOneProfile({ profile, registries }): Promise<ProfileResult> {
    const secret = profileSecretName(prefix, profile.name);
    const base = { profile: profile.name, secret };
    // Without the caller's account an own-account registry's hosts are unknown: remove nothing then.
    const isProfileHost =
      registryHostMatcher(
        input.config.registries.filter((registry) => profile.registries.includes(registry.name)),
        input.callerAccount,
      ) ?? (() => true);
    const credentials = credentialsFor(input.slots, registries);
    let current: string | undefined;
    try {
      current = await store.read(secret);
      if (credentials.length === 0) {
        return { ...base, status: 'skipped', expiresAt: heldProfileExpiry(current), note: 'no registry of this profile was minted in this run: the secret keeps its last value' };
      }
      const rendered = renderProfileSecret(current, credentials, isProfileHost, input.now);
      const outcome = { ...base, hosts: rendered.hosts, ...(rendered.removed.length > 0 ? { removed: rendered.removed } : {}) };
      if (input.dryRun) return { ...outcome, status: 'would-write', expiresAt: rendered.expiresAt };
      assertSecretSize(
        secret,
        rendered.value,
        `split profile "${profile.name}" into profiles with fewer registries (a job reads one profile, so give each group of jobs the registries it pulls from)`,
      );
      const status = await store.write(secret, rendered.value, profileWriteOptions(profile.name, input.config));
      logger.info('profile secret stored', { profile: profile.name, secret, status });
      return { ...outcome, status, expiresAt: rendered.expiresAt };
    } catch (error) {
      const message = describeError(error);
      logger.error('profile secret failed', { profile: profile.name, secret, error: message });
      return { ...base, status: 'failed', expiresAt: heldProfileExpiry(current), error: message };
    }
  });
}

function profileWriteOptions(name: string, config: Pick<Config, 'secrets'>): SecretWriteOptions {
  return {
    description: `ECR pull credentials (Docker config) of profile ${name}, read by GitLab jobs as DOCKER_AUTH_CONFIG; managed by ecr-gitlab-refresher, do not edit`,
    kmsKeyId: config.secrets?.kmsKeyId,
    tags: { ...secretTags(config.secrets ?? {}), 'ecr-gitlab-refresher-profile': name },
    ownerTag: MANAGED_BY_TAG,
  };
}
