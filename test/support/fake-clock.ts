/**
 * A clock for tests with many sleepers at once: `sleep` resolves only when `run` moves time to its end,
 * and time moves only when nothing else can (every pending promise has settled), so concurrent workers
 * see the same times they would see in real life, in a fraction of a millisecond.
 */
export class FakeClock {
  private current: number;
  private sequence = 0;
  private readonly timers: Array<{ at: number; order: number; resolve: () => void }> = [];

  constructor(start = 0) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise<void>((resolve) => {
      const timer = { at: this.current + Math.max(0, ms), order: this.sequence++, resolve };
      this.timers.push(timer);
      signal?.addEventListener(
        'abort',
        () => {
          const index = this.timers.indexOf(timer);
          if (index >= 0) this.timers.splice(index, 1);
          resolve();
        },
        { once: true },
      );
    });

  /** Sleepers not yet woken (a test can assert that nothing is left waiting). */
  get pending(): number {
    return this.timers.length;
  }

  /** Runs `work` to its end, moving time to the next sleeper's end whenever everything else is waiting. */
  async run<T>(work: Promise<T>): Promise<T> {
    let settled = false;
    const tracked = work.finally(() => {
      settled = true;
    });
    tracked.catch(() => undefined);
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (settled) return tracked;
      this.timers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.timers.shift();
      if (!next) throw new Error('FakeClock: the work waits for something other than time');
      this.current = Math.max(this.current, next.at);
      next.resolve();
    }
  }
}
