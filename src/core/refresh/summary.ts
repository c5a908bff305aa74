import type { HostChanges, TargetWarning, WarningCode } from '../formats/docker-auth.js';
import type { GitLabTokenResult } from '../token/gitlab-token.js';

export type TargetStatus = 'created' | 'updated' | 'would-create' | 'would-update' | 'skipped' | 'failed';
export type SecretStatus = 'created' | 'updated' | 'unchanged' | 'would-write' | 'failed';

export interface RegistryResult {
  name: string;
  region: string;
  host?: string;
  status: 'minted' | 'failed';
  expiresAt?: string;
  error?: string;
}

export interface SecretResult {
  name: string;
  status: SecretStatus;
  error?: string;
}

export interface TargetResult {
  target: string;
  variable: string;
  environmentScope?: string;
  status: TargetStatus;
  hosts?: HostChanges;
  /**
   * Earliest expiry among the ECR entries the variable holds after this run, as recorded by the tool:
   * the new one when written, the one read from the value when the write failed.
   */
  expiresAt?: string;
  /** Settings this run changed (or would change), such as `masked: false → true`. */
  changes?: string[];
  warnings?: TargetWarning[];
  /** `group:PATH` when the variable was reached through that group target's coverShadowing. */
  via?: string;
  /** Why nothing was done (status `skipped`). */
  note?: string;
  error?: string;
}

/** One pull-time profile secret (docs/pull-time-profiles.md). */
export type ProfileStatus = 'created' | 'updated' | 'unchanged' | 'would-write' | 'skipped' | 'failed';

export interface ProfileResult {
  profile: string;
  secret: string;
  status: ProfileStatus;
  /** `kept`: hosts whose mint failed in this run, still holding their last entry. */
  hosts?: HostChanges;
  /** Keys dropped because their host is no longer in the profile. */
  removed?: string[];
  /** Earliest expiry among the entries the secret holds after this run (the old value's when nothing was written). */
  expiresAt?: string;
  note?: string;
  error?: string;
}

/** The refresh's whole outcome: printed by `--json`, returned by the Lambda. Never holds a secret. */
export interface RefreshSummary {
  ok: boolean;
  dryRun: boolean;
  durationMs: number;
  /** The GitLab token's expiry, rotation and problems; absent when the run could not ask. */
  gitlabToken?: GitLabTokenResult;
  registries: RegistryResult[];
  secrets: SecretResult[];
  targets: TargetResult[];
  /** Pull-time profile secrets (docs/pull-time-profiles.md). */
  profiles: ProfileResult[];
}

export function isSummaryOk(parts: Pick<RefreshSummary, 'registries' | 'secrets' | 'targets' | 'gitlabToken' | 'profiles'>): boolean {
  return (
    parts.gitlabToken?.error === undefined &&
    parts.registries.every((registry) => registry.status !== 'failed') &&
    parts.secrets.every((secret) => secret.status !== 'failed') &&
    parts.targets.every((target) => target.status !== 'failed') &&
    parts.profiles.every((profile) => profile.status !== 'failed')
  );
}

export function countFailures(summary: RefreshSummary): { registries: number; secrets: number; targets: number; profiles: number } {
  const failed = (items: Array<{ status: string }>) => items.filter((item) => item.status === 'failed').length;
  return { registries: failed(summary.registries), secrets: failed(summary.secrets), targets: failed(summary.targets), profiles: failed(summary.profiles) };
}

/**
 * The earliest expiry among credentials GitLab variables and profile secrets hold after the run: the new
 * expiry of everything written, and the recorded one of everything that failed but could be read. Tokens
 * minted but written nowhere do not count: they protect no pull. Undefined when nothing is known.
 */
export function earliestHeldExpiry(summary: Pick<RefreshSummary, 'targets' | 'profiles'>): string | undefined {
  return [...summary.targets, ...summary.profiles]
    .map((held) => held.expiresAt)
    .filter((value): value is string => value !== undefined)
    .sort()[0];
}

export function countWarnings(summary: Pick<RefreshSummary, 'targets'>, codes: WarningCode[]): number {
  return summary.targets.filter((target) => target.warnings?.some((warning) => codes.includes(warning.code))).length;
}
