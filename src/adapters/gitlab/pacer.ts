import { OutOfTimeError } from '../../errors.js';

/** Waits `ms`, or less when `signal` aborts first (the timer is then cleared, so nothing keeps the process up). */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const sleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

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

/** The earliest time the next request may go, the spacing asked for, and the rate-limit reset it waits for, if that is why. */
interface NextSend {
  at: number;
  gap: number;
  resetAt?: number;
}

/**
 * Budget spread over at most this much of the time left in the window: exactly even over gitlab.com's
 * 60-second windows, and for long windows (self-managed: 7,200 an hour) not so slow that a run would
 * need the whole hour for what its budget allows now.
 */
const SPREAD_HORIZON_MS = 60_000;
/** Requests of the window's budget left alone, for whatever else uses the token. */
const RESERVE_FRACTION = 0.01;
/**
 * How late a send may be and still count from the time it was due (timers fire late on a busy event
 * loop): at most this, or one gap, may come back-to-back after a delay.
 */
const TIMER_SLACK_MS = 20;
/** Pause after a 429 that names no time to wait. */
const DEFAULT_PAUSE_MS = 1_000;

/**
 * Paces GitLab requests to whatever server answers. With `RateLimit-*` headers (gitlab.com sends them on
 * every answer) it spends the remaining budget evenly until the reset and never runs it out, so no
 * request bounces off a 429. Without them (self-managed GitLab has no limit by default) it runs at the
 * concurrency limit; a 429 there halves the concurrency and pauses everyone for Retry-After, and every
 * `limit` successes add one back (additive increase, multiplicative decrease).
 *
 * Requests take turns in arrival order, and no send time is ever booked in advance: the request whose
 * turn it is works out when it may go from what the pacer knows now, and again whenever an answer
 * arrives (a new budget, a window that reset, a free place), so a slow pace computed at the end of one
 * window never outlives it.
 */
export class AdaptivePacer {
  private inFlight = 0;
  private limit: number;
  private successes = 0;
  private pausedUntil = 0;
  /** When the last request was due to go (or went, when nothing held it back). */
  private lastSendAt?: number;
  private budget?: Budget;
  /** Requests behind the one whose turn it is, first come first served (a retry queues behind those already waiting). */
  private readonly queue: Array<() => void> = [];
  private turnTaken = false;
  /** Wakes the request whose turn it is when an answer arrives, so it works its time out again. */
  private wake?: () => void;
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

  /**
   * Resolves when one request may be sent; every acquire must be followed by one release. With a
   * `deadline` (epoch ms) it never waits past it: a request that could not be sent before it fails at
   * once with OutOfTimeError ("not attempted: out of time (rate limit resets at …)").
   */
  async acquire(deadline?: number): Promise<void> {
    await this.takeTurn();
    try {
      for (;;) {
        const now = this.now();
        if (this.inFlight >= this.limit) {
          if (deadline !== undefined && now >= deadline) throw new OutOfTimeError();
          await this.waitForAnswer(deadline === undefined ? undefined : deadline - now);
          continue;
        }
        const next = this.nextSend(now);
        if (deadline !== undefined && Math.max(now, next.at) >= deadline) throw new OutOfTimeError(next.resetAt);
        if (next.at <= now) {
          this.inFlight++;
          // Paced: the slot it was due, not the moment a late timer let it go, so lateness does not add up over a run.
          this.lastSendAt = next.gap > 0 ? Math.max(next.at, now - Math.max(next.gap, TIMER_SLACK_MS)) : now;
          return;
        }
        await this.waitForAnswer(next.at - now);
      }
    } finally {
      this.passTurn();
    }
  }

  /** Ends a request; `response` (absent after a network error) teaches the pacer the server's budget. */
  release(response?: { status: number; headers: Headers }): void {
    this.inFlight--;
    if (response) this.observe(response.status, response.headers);
    this.wake?.();
  }

  /** Nobody sends before `epochMs`. */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  private async takeTurn(): Promise<void> {
    if (!this.turnTaken) this.turnTaken = true;
    else await new Promise<void>((resolve) => this.queue.push(resolve));
  }

  private passTurn(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.turnTaken = false;
  }

  /** Until the next answer, or at most `ms`. */
  private async waitForAnswer(ms?: number): Promise<void> {
    try {
      if (ms === undefined) await new Promise<void>((resolve) => (this.wake = resolve));
      else {
        const timer = new AbortController();
        this.wake = () => timer.abort();
        await this.wait(ms, timer.signal);
      }
    } finally {
      this.wake = undefined;
    }
  }

  /**
   * The latest of: the end of a 429 pause, the reset of a spent budget, the budget's pace, the optional
   * cap; `gap` is the spacing that pace and cap ask for.
   */
  private nextSend(now: number): NextSend {
    let next: NextSend = { at: this.pausedUntil, gap: 0, resetAt: this.pausedUntil > now ? this.pausedUntil : undefined };
    const later = (candidate: NextSend) => {
      next = { ...(candidate.at > next.at ? candidate : next), gap: Math.max(next.gap, candidate.gap) };
    };
    const last = this.lastSendAt;
    const budget = this.budget && this.budget.resetAt > now ? this.budget : undefined;
    if (budget) {
      const spendable = budget.remaining - this.inFlight;
      if (spendable <= 0) later({ at: budget.resetAt, gap: 0, resetAt: budget.resetAt });
      else if (last !== undefined) {
        const gap = Math.min(budget.resetAt - last, SPREAD_HORIZON_MS) / spendable;
        later({ at: last + gap, gap, resetAt: budget.resetAt });
      }
    }
    const cap = this.options.maxRequestsPerSecond ? 1000 / this.options.maxRequestsPerSecond : 0;
    if (cap > 0 && last !== undefined) later({ at: last + cap, gap: cap });
    return next;
  }

  private observe(status: number, headers: Headers): void {
    const now = this.now();
    this.learnBudget(headers, now);
    if (status === 429) {
      this.limit = Math.max(1, Math.floor(this.limit / 2));
      this.successes = 0;
      this.pauseUntil(now + (serverDelay(headers, now) ?? DEFAULT_PAUSE_MS));
    } else if (status < 500 && this.limit < this.options.maxConcurrency && ++this.successes >= this.limit) {
      this.limit++;
      this.successes = 0;
    }
  }

  /**
   * Every answer that states a budget replaces what was known: a later reset is a new window; within one
   * window the lowest count wins (answers overtake each other); an answer from a window already over is
   * ignored. A window that has reset with nothing newer said is forgotten.
   */
  private learnBudget(headers: Headers, now: number): void {
    const remaining = Number(headers.get('ratelimit-remaining'));
    const reset = Number(headers.get('ratelimit-reset'));
    const stated = headers.has('ratelimit-remaining') && headers.has('ratelimit-reset') && Number.isFinite(remaining) && Number.isFinite(reset) && reset * 1000 > now;
    if (stated) {
      const heard = { remaining: Math.max(0, remaining - reserve(Number(headers.get('ratelimit-limit')))), resetAt: reset * 1000 };
      if (!this.budget || heard.resetAt > this.budget.resetAt) this.budget = heard;
      else if (heard.resetAt === this.budget.resetAt) this.budget.remaining = Math.min(this.budget.remaining, heard.remaining);
    } else if (this.budget && this.budget.resetAt <= now) {
      this.budget = undefined;
    }
  }
}

function reserve(limit: number): number {
  return Number.isFinite(limit) && limit > 0 ? Math.ceil(limit * RESERVE_FRACTION) : 0;
}

/** Retry-After, in seconds or as an HTTP date. */
export function retryAfterDelay(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = headers.get('retry-after');
  if (!retryAfter) return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? Math.max(0, date - nowMs) : undefined;
}

/** What a 429 asks for: Retry-After first, then RateLimit-Reset (epoch seconds). */
export function serverDelay(headers: Headers, nowMs: number): number | undefined {
  const retryAfter = retryAfterDelay(headers, nowMs);
  if (retryAfter !== undefined) return retryAfter;
  const reset = Number(headers.get('ratelimit-reset'));
  if (headers.has('ratelimit-reset') && Number.isFinite(reset) && reset > 0) return Math.max(0, reset * 1000 - nowMs);
  return undefined;
}
