import type { GitLabConfig } from '../config/schema.js';
import { describeError } from '../errors.js';
import type { Clock, GitLabTokenApi, GitLabTokenInfo, Logger, TokenSecret } from './ports.js';

const DAY_MS = 86_400_000;
/** With no run deadline (the CLI), how long a failed secret write is retried. */
const SECRET_RETRY_BUDGET_MS = 5 * 60_000;
const SECRET_RETRY_CAP_MS = 30_000;

export interface GitLabTokenDeps {
  api: GitLabTokenApi;
  /** Absent when the token came from GITLAB_TOKEN: then it cannot be rotated (nowhere to store its successor). */
  secret?: TokenSecret;
  /** Switches every later GitLab request to the given token. */
  use(token: string): void;
  onSecret(secret: string): void;
  clock: Clock;
  logger: Logger;
  wait: (ms: number) => Promise<void>;
  deadline?: number;
}

export interface GitLabTokenResult {
  /** Expiry (`YYYY-MM-DD`) of the token the run ended with; undefined when it never expires or is unknown. */
  expiresAt?: string;
  rotated?: boolean;
  /** Set when the run must fail because of the token (rotation that could not be stored, revoked token). */
  error?: string;
  /** Worth a look, but not a failure (no expiry known, rotation skipped). */
  note?: string;
}

/** Seconds from `now` until a GitLab expiry date (tokens stop working at the start of that day, UTC). */
export function secondsUntilTokenExpiry(expiresAt: string, now: number): number {
  return Math.round((Date.parse(`${expiresAt}T00:00:00Z`) - now) / 1000);
}

/**
 * Reads the token's expiry and, when `gitlab.rotateToken` is set and the expiry is within its window,
 * rotates the token: the successor is stored in the token secret *before* anything uses it, since
 * GitLab has already revoked the old one. Never throws; a problem is returned as `error`.
 */
export async function checkGitLabToken(config: GitLabConfig, deps: GitLabTokenDeps, dryRun = false): Promise<GitLabTokenResult> {
  let info: GitLabTokenInfo | undefined;
  try {
    info = await deps.api.self();
  } catch (error) {
    return { note: `could not read the GitLab token's expiry: ${describeError(error)}` };
  }
  if (!info) return { note: 'GitLab has no self-lookup for this token, so its expiry is unknown' };
  if (info.revoked || !info.active) return { expiresAt: info.expiresAt, error: 'the GitLab token is revoked or inactive; create a new one and store it in the token secret' };
  if (!info.expiresAt) return { note: 'the GitLab token has no expiry date' };
  const rotation = config.rotateToken;
  const daysLeft = secondsUntilTokenExpiry(info.expiresAt, deps.clock.now()) / 86_400;
  if (!rotation || daysLeft > rotation.daysBefore) return { expiresAt: info.expiresAt };
  if (dryRun) return { expiresAt: info.expiresAt, note: 'token rotation is due; a run that is not a dry run rotates it' };
  if (!deps.secret) return { expiresAt: info.expiresAt, note: 'rotation is due, but the token came from GITLAB_TOKEN, where its successor could not be stored; rotate it by hand' };
  return rotate(info.expiresAt, rotation.lifetimeDays, deps.secret, deps);
}

async function rotate(currentExpiry: string, lifetimeDays: number, secret: TokenSecret, deps: GitLabTokenDeps): Promise<GitLabTokenResult> {
  try {
    // The rotation cannot be undone: fail now, while the old token still works, if its successor could not be kept.
    await secret.checkWritable();
  } catch (error) {
    return { expiresAt: currentExpiry, error: `token rotation is due but the token secret cannot be written, so the token was not rotated: ${describeError(error)}` };
  }
  const expiresAt = new Date(deps.clock.now() + lifetimeDays * DAY_MS).toISOString().slice(0, 10);
  let rotated: { token: string; expiresAt?: string };
  try {
    rotated = await deps.api.rotateSelf(expiresAt);
  } catch (error) {
    return { expiresAt: currentExpiry, error: `token rotation failed; the current token is unchanged: ${describeError(error)}` };
  }
  deps.onSecret(rotated.token);
  const stored = await storeWithRetries(secret, rotated.token, deps);
  // The old token is revoked already: this run can only go on with the new one, stored or not.
  deps.use(rotated.token);
  if (!stored.ok) {
    deps.logger.error('rotated GitLab token NOT stored', { error: stored.error });
    return {
      expiresAt: rotated.expiresAt ?? expiresAt,
      rotated: true,
      error: `the GitLab token was rotated but its successor could not be stored in the token secret (${stored.error}); the next run will fail with 401: create a new token and store it now (README: "GitLab token rotation")`,
    };
  }
  deps.logger.info('GitLab token rotated', { expiresAt: rotated.expiresAt ?? expiresAt });
  return { expiresAt: rotated.expiresAt ?? expiresAt, rotated: true };
}

async function storeWithRetries(secret: TokenSecret, token: string, deps: GitLabTokenDeps): Promise<{ ok: true } | { ok: false; error: string }> {
  const deadline = deps.deadline ?? deps.clock.now() + SECRET_RETRY_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      await secret.store(token);
      return { ok: true };
    } catch (error) {
      const delay = Math.min(SECRET_RETRY_CAP_MS, 1000 * 2 ** (attempt - 1));
      deps.logger.warn('storing the rotated GitLab token failed; retrying', { attempt, error: describeError(error) });
      if (deps.clock.now() + delay >= deadline) return { ok: false, error: describeError(error) };
      await deps.wait(delay);
    }
  }
}
