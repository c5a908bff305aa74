import type { GitLabConfig } from '../../config/schema.js';
import { AmbiguousOutcomeError, describeError } from '../../errors.js';
import type { Clock, GitLabTokenApi, GitLabTokenInfo, Logger, TokenSecret, TokenSecretState } from '../ports.js';

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
  /**
   * The rotate request got no clear answer (dropped, timed out, 5xx): GitLab may have revoked the old
   * token and kept a successor nobody received. Alarmed (GitLabTokenRotationUnknown).
   */
  outcomeUnknown?: boolean;
  /** Set when the run must fail because of the token (rotation that could not be stored, revoked token). */
  error?: string;
  /** Worth a look, but not a failure (no expiry known, rotation skipped). */
  note?: string;
}

/** A rotation lock older than this belongs to a run that died (a Lambda lives 15 minutes at most). */
export const ROTATION_LOCK_TTL_MS = 20 * 60_000;

/** Seconds from `now` until a GitLab expiry date (tokens stop working at the start of that day, UTC). */
export function secondsUntilTokenExpiry(expiresAt: string, now: number): number {
  return Math.round((Date.parse(`${expiresAt}T00:00:00Z`) - now) / 1000);
}

/**
 * Reads the token's expiry and, when `gitlab.rotateToken` is set and the expiry is within its window,
 * rotates the token: the successor is stored in the token secret *before* anything uses it, since
 * GitLab has already revoked the old one. When another run rotated it first, this run goes on with the
 * successor from the secret. Never throws; a problem is returned as `error`.
 */
export async function checkGitLabToken(config: GitLabConfig, deps: GitLabTokenDeps, dryRun = false): Promise<GitLabTokenResult> {
  let info: GitLabTokenInfo | undefined;
  try {
    info = await deps.api.self();
  } catch (error) {
    // Refused: another run may just have rotated this token, and the secret then holds its successor.
    const recovered = deps.secret && config.rotateToken && !dryRun ? await afterOtherRotation(deps.secret, deps) : undefined;
    return recovered ?? { note: `could not read the GitLab token's expiry: ${describeError(error)}` };
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

/**
 * Rotation under the secret's lock: only the run that swaps the secret's current version for its own
 * lock rotates, and the rotate request is sent once. A clear refusal gives the lock back (the old token
 * still works); an answer that never came marks the secret "outcome unknown", so no later run rotates
 * the old token again (GitLab would revoke the whole token family) and every run says what to do.
 */
async function rotate(currentExpiry: string, lifetimeDays: number, secret: TokenSecret, deps: GitLabTokenDeps): Promise<GitLabTokenResult> {
  const unchanged = { expiresAt: currentExpiry };
  let lock: string;
  let previous: string;
  try {
    const state = await waitForOtherRotation(secret, deps);
    const settled = settledByOthers(state, secret, deps, currentExpiry);
    if (settled) return await settled;
    // A stale lock is taken over: this token still works (GitLab just said so), so that rotation never reached GitLab.
    const taken = await secret.lock(state.version, deps.clock.now());
    if (!taken.taken) {
      const recovered = await afterOtherRotation(secret, deps);
      return recovered ?? { ...unchanged, note: `${secret.id} changed while this run prepared the rotation (another run); not rotating` };
    }
    lock = taken.lock;
    previous = state.version;
  } catch (error) {
    return { ...unchanged, error: `token rotation is due but the token secret cannot be written, so the token was not rotated: ${describeError(error)}` };
  }
  const expiresAt = new Date(deps.clock.now() + lifetimeDays * DAY_MS).toISOString().slice(0, 10);
  let rotated: { token: string; expiresAt?: string };
  try {
    rotated = await deps.api.rotateSelf(expiresAt);
  } catch (error) {
    if (error instanceof AmbiguousOutcomeError) {
      deps.logger.error('GitLab token rotation outcome unknown', { error: describeError(error) });
      await secret.markUnknown(lock, deps.clock.now()).catch((markError) => deps.logger.warn('could not mark the rotation as unknown', { error: describeError(markError) }));
      return { ...unchanged, ...unknownOutcome(secret, `the rotate request got no answer (${describeError(error)})`) };
    }
    await secret.unlock(lock, previous).catch((unlockError) => deps.logger.warn('could not release the rotation lock', { error: describeError(unlockError) }));
    return { ...unchanged, error: `token rotation was refused, so the current token is unchanged: ${describeError(error)}` };
  }
  deps.onSecret(rotated.token);
  const stored = await storeWithRetries(secret, rotated.token, lock, deps);
  // The old token is revoked already: this run can only go on with the new one, stored or not.
  deps.use(rotated.token);
  const newExpiry = rotated.expiresAt ?? expiresAt;
  if (!stored.ok) {
    deps.logger.error('rotated GitLab token NOT stored', { error: stored.error });
    return {
      expiresAt: newExpiry,
      rotated: true,
      error: `the GitLab token was rotated but its successor could not be stored in the token secret (${stored.error}); the next run will fail with 401: create a new token and store it now (docs/operations.md: "GitLab token")`,
    };
  }
  deps.logger.info('GitLab token rotated', { expiresAt: newExpiry });
  return { expiresAt: newExpiry, rotated: true };
}

/** How long a run waits for another run's rotation to store its successor, and how often it looks. */
const OTHER_ROTATION_WAIT_MS = 60_000;
const OTHER_ROTATION_POLL_MS = 2_000;

/** A lock some run holds now (an older one belongs to a run that died). */
export function isFreshLock(state: TokenSecretState, now: number): boolean {
  return state.lockedAt !== undefined && now - state.lockedAt < ROTATION_LOCK_TTL_MS;
}

/** While another run holds a fresh lock, waits (within the deadline) for it to store its successor. */
async function waitForOtherRotation(secret: TokenSecret, deps: GitLabTokenDeps): Promise<TokenSecretState> {
  const until = Math.min(deps.clock.now() + OTHER_ROTATION_WAIT_MS, deps.deadline ?? Number.POSITIVE_INFINITY);
  let state = await secret.state();
  while (isFreshLock(state, deps.clock.now()) && deps.clock.now() + OTHER_ROTATION_POLL_MS < until) {
    await deps.wait(OTHER_ROTATION_POLL_MS);
    state = await secret.state();
  }
  return state;
}

/** What another run's rotation left, if anything: an unknown outcome, a successor to go on with, or a rotation still running. */
function settledByOthers(state: TokenSecretState, secret: TokenSecret, deps: GitLabTokenDeps, expiresAt?: string): Promise<GitLabTokenResult> | undefined {
  if (state.unknownSince !== undefined)
    return Promise.resolve({ expiresAt, ...unknownOutcome(secret, `a rotation at ${new Date(state.unknownSince).toISOString()} got no answer`) });
  if (state.changed) return adoptToken(secret, deps);
  if (isFreshLock(state, deps.clock.now())) {
    return Promise.resolve({
      expiresAt,
      note: `another run has been rotating the token since ${new Date(state.lockedAt as number).toISOString()} and has not finished; not rotating`,
    });
  }
  return undefined;
}

/** After this run's token was refused or its lock lost: the outcome another run's rotation left, if any. */
async function afterOtherRotation(secret: TokenSecret, deps: GitLabTokenDeps): Promise<GitLabTokenResult | undefined> {
  try {
    return await settledByOthers(await waitForOtherRotation(secret, deps), secret, deps);
  } catch (error) {
    deps.logger.warn('could not read the token secret', { error: describeError(error) });
    return undefined;
  }
}

function unknownOutcome(secret: TokenSecret, what: string): Pick<GitLabTokenResult, 'outcomeUnknown' | 'error'> {
  return {
    outcomeUnknown: true,
    error: `token rotation outcome unknown: ${what}; GitLab may already have revoked the old token and made a successor nobody received: create a new token and store it in ${secret.id} (docs/operations.md: "GitLab token"); until then no run rotates again`,
  };
}

/** Another run rotated (or someone stored a new token): this run goes on with that token instead of its revoked one. */
async function adoptToken(secret: TokenSecret, deps: GitLabTokenDeps): Promise<GitLabTokenResult> {
  const token = await secret.adopt();
  deps.onSecret(token);
  deps.use(token);
  let expiresAt: string | undefined;
  try {
    expiresAt = (await deps.api.self())?.expiresAt;
  } catch (error) {
    deps.logger.warn("could not read the adopted token's expiry", { error: describeError(error) });
  }
  return {
    expiresAt,
    note: `${secret.id} holds another token than this run started with (another run rotated it, or it was replaced by hand); not rotating, and this run goes on with that token`,
  };
}

async function storeWithRetries(secret: TokenSecret, token: string, lock: string, deps: GitLabTokenDeps): Promise<{ ok: true } | { ok: false; error: string }> {
  const deadline = deps.deadline ?? deps.clock.now() + SECRET_RETRY_BUDGET_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      const outcome = await secret.store(token, lock);
      if (outcome === 'stored') return { ok: true };
      // Someone stored another token during the rotation: theirs is kept, never overwritten.
      return { ok: false, error: `${secret.id} was changed by someone else during the rotation; their value was kept` };
    } catch (error) {
      const delay = Math.min(SECRET_RETRY_CAP_MS, 1000 * 2 ** (attempt - 1));
      deps.logger.warn('storing the rotated GitLab token failed; retrying', { attempt, error: describeError(error) });
      if (deps.clock.now() + delay >= deadline) return { ok: false, error: describeError(error) };
      await deps.wait(delay);
    }
  }
}
