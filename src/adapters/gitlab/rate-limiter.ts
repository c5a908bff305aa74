export type Sleep = (ms: number) => Promise<void>;

export const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A paced queue: requests leave at most `requestsPerSecond`, evenly spaced, so a run sits just under
 * the server's limit instead of bursting into 429s. A server that says it is nearly out of budget
 * (`RateLimit-Remaining`) pauses everyone until its `RateLimit-Reset`.
 */
export class RateLimiter {
  private readonly intervalMs: number;
  private nextSlot = 0;
  private pausedUntil = 0;

  constructor(
    requestsPerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly wait: Sleep = sleep,
  ) {
    this.intervalMs = 1000 / requestsPerSecond;
  }

  /** Resolves when the caller may send one request. */
  async acquire(): Promise<void> {
    const now = this.now();
    const slot = Math.max(now, this.nextSlot, this.pausedUntil);
    this.nextSlot = slot + this.intervalMs;
    if (slot > now) await this.wait(slot - now);
  }

  /** Nobody sends before `epochMs` (a 429's Retry-After, or an exhausted RateLimit budget). */
  pauseUntil(epochMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, epochMs);
  }

  /** Reads GitLab's RateLimit-* headers from any response. */
  observe(headers: Headers): void {
    const remaining = Number(headers.get('ratelimit-remaining'));
    const reset = Number(headers.get('ratelimit-reset'));
    if (headers.has('ratelimit-remaining') && Number.isFinite(remaining) && remaining <= 1 && Number.isFinite(reset) && reset > 0) {
      this.pauseUntil(reset * 1000);
    }
  }
}
