export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export interface PacerOptions {
  /** Requests in flight at most (gitlab.concurrency); the pacer may lower its own limit below it. */
  maxConcurrency: number;
  /** Optional cap (gitlab.requestsPerSecond), for a token whose budget other tools share. */
  maxRequestsPerSecond?: number;
  now?: () => number;
  wait?: Sleep;
}

/** What the server said about its budget: `RateLimit-Remaining` requests until `RateLimit-Reset`. */
interface Budget {
  remaining: number;
  resetAt: number;
}

/**
 * Budget spread over at most this much of the time left in the window: exactly even over gitlab.com's
 * 60-second windows, and for long windows (self-managed: 7,200 an hour) not so slow that a run would
 * need the whole hour for what its budget allows now.
 */
const SPREAD_HORIZON_MS = 60_000;
/** Requests of the window's budget left alone, for whatever else uses the token. */
const RESERVE_FRACTION = 0.01;
/** Pause after a 429 that names no time to wait. */
const DEFAULT_PAUSE_MS = 1_000;

/**
 * Paces GitLab requests to whatever server answers. With `RateLimit-*` headers (gitlab.com sends them on
 * every answer) it spends the remaining budget evenly until the reset and never runs it out, so no
 * request bounces off a 429. Without them (self-managed GitLab has no limit by default) it runs at the
 * concurrency limit; a 429 there halves the concurrency and pauses everyone for Retry-After, and every
 * `limit` successes add one back (additive increase, multiplicative decrease).
 */
export class AdaptivePacer {
  private inFlight = 0;
  private limit: number;
  private successes = 0;
  private pausedUntil = 0;
  private nextSlot = 0;
  private budget?: Budget;
  private readonly waiting: Array<() => void> = [];
  private readonly now: () => number;
  private readonly wait: Sleep;

  constructor(private readonly options: PacerOptions) {
    this.limit = options.maxConcurrency;
    this.now = options.now ?? Date.now;
    this.wait = options.wait ?? sleep;
  }

  /** The concurrency the pacer allows now (for tests and the benchmark). */
  get concurrency(): number {
    return this.limit;
  }

  /** Resolves when one request may be sent; every acquire must be followed by one release. */
  async acquire(): Promise<void> {
    while (this.inFlight >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
    for (;;) {
      const now = this.now();
      const exhausted = this.budget !== undefined && this.budget.resetAt > now && this.spendable() <= 0;
      const until = Math.max(this.pausedUntil, exhausted && this.budget ? this.budget.resetAt : 0);
      if (until <= now) break;
      await this.wait(until - now);
    }
    const interval = this.interval();
    if (interval <= 0) return;
    const now = this.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + interval;
    if (slot > now) await this.wait(slot - now);
  }

  /** Ends a request; `response` (absent after a network error) teaches the pacer the server's budget. */
  release(response?: { status: number; headers: Headers }): void {
    this.inFlight--;
    if (response) this.observe(response.status, response.headers);
    this.wakeWaiting();
  }

  /** Nobody sends before `epochMs`. */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  private observe(status: number, headers: Headers): void {
    const remaining = Number(headers.get('ratelimit-remaining'));
    const reset = Number(headers.get('ratelimit-reset'));
    const now = this.now();
    if (headers.has('ratelimit-remaining') && headers.has('ratelimit-reset') && Number.isFinite(remaining) && Number.isFinite(reset) && reset * 1000 > now) {
      const limit = Number(headers.get('ratelimit-limit'));
      this.budget = { remaining: Math.max(0, remaining - reserve(limit)), resetAt: reset * 1000 };
    } else if (this.budget && this.budget.resetAt <= now) {
      this.budget = undefined;
    }
    if (status === 429) {
      this.limit = Math.max(1, Math.floor(this.limit / 2));
      this.successes = 0;
      this.pauseUntil(now + (serverDelay(headers, now) ?? DEFAULT_PAUSE_MS));
    } else if (status < 500 && this.limit < this.options.maxConcurrency && ++this.successes >= this.limit) {
      this.limit++;
      this.successes = 0;
    }
  }

  /** Requests of the known budget not yet spoken for by requests in flight. */
  private spendable(): number {
    return (this.budget?.remaining ?? Number.POSITIVE_INFINITY) - (this.inFlight - 1);
  }

  /** Milliseconds between sends: the optional cap, or the budget spread until its reset. */
  private interval(): number {
    const cap = this.options.maxRequestsPerSecond ? 1000 / this.options.maxRequestsPerSecond : 0;
    const now = this.now();
    if (!this.budget || this.budget.resetAt <= now) return cap;
    const spread = Math.min(this.budget.resetAt - now, SPREAD_HORIZON_MS) / Math.max(1, this.spendable());
    return Math.max(cap, spread);
  }

  /** Wakes as many waiting requests as there are free places; each checks again before it counts itself. */
  private wakeWaiting(): void {
    for (let free = this.limit - this.inFlight; free > 0 && this.waiting.length > 0; free--) this.waiting.shift()?.();
  }
}

function reserve(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.ceil(limit * RESERVE_FRACTION) : 0;
}

/** Retry-After (seconds or HTTP date) first, then RateLimit-Reset (epoch seconds). */
export function serverDelay(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (retryAfter) {
    const seconds = Number(retryAfter);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(retryAfter);
    if (Number.isFinite(date)) return Math.max(0, date - nowMs);
  }
  const reset = Number(headers.get('ratelimit-reset'));
  if (headers.has('ratelimit-reset') && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  return undefined;
}
