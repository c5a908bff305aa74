import { describe, expect, it } from 'vitest';
import { AdaptivePacer, sleep } from '../../src/adapters/gitlab/pacer.js';
import { OutOfTimeError } from '../../src/errors.js';
import { FakeClock } from '../support/fake-clock.js';

/** A pacer on a fake clock: waiting moves time forward, and every send is recorded with its time. */
function paced(options: { maxConcurrency?: number; maxRequestsPerSecond?: number } = {}) {
  let now = 1_000_000;
  const sent: number[] = [];
  const pacer = new AdaptivePacer({
    maxConcurrency: options.maxConcurrency ?? 8,
    maxRequestsPerSecond: options.maxRequestsPerSecond,
    now: () => now,
    wait: async (ms) => {
      now += ms;
    },
  });
  const send = async (status = 200, headers: Record<string, string> = {}) => {
    await pacer.acquire();
    sent.push(now);
    pacer.release({ status, headers: new Headers(headers) });
  };
  const budget = (remaining: number, resetInSeconds: number, limit = 100) => ({
    'ratelimit-limit': String(limit),
    'ratelimit-remaining': String(remaining),
    'ratelimit-reset': String(Math.floor(now / 1000) + resetInSeconds),
  });
  return { pacer, send, sent, budget, clock: () => now, advance: (ms: number) => (now += ms) };
}

const gaps = (times: number[]) => times.slice(1).map((time, index) => time - (times[index] as number));

describe('Class: AdaptivePacer', () => {
  it('sends at once when the server says nothing about a budget', async () => {
    const { send, sent } = paced();
    for (let i = 0; i < 5; i++) await send();
    expect(gaps(sent)).toEqual([0, 0, 0, 0]);
  });

  it('spreads the remaining budget evenly until the reset (keeping 1% in reserve)', async () => {
    const { send, sent, budget } = paced();
    await send(200, budget(101, 10));
    for (let i = 0; i < 4; i++) await send(200, budget(100 - i, 10));
    // 10 s left, 100 - 1 reserved = 99 spendable: one request every 10000 / 99 ≈ 101 ms (the gap grows as time runs out).
    for (const gap of gaps(sent).slice(1)) expect(gap).toBeGreaterThanOrEqual(95);
    for (const gap of gaps(sent).slice(1)) expect(gap).toBeLessThanOrEqual(110);
  });

  it('never spends the last of the budget: it waits for the reset, then forgets the old window', async () => {
    const { send, sent, budget, clock } = paced();
    const resetAt = Math.floor(clock() / 1000) + 5;
    await send(200, budget(1, 5));
    await send();
    expect(sent[1]).toBeGreaterThanOrEqual(resetAt * 1000);
    // A window that has reset no longer slows anything down.
    await send();
    await send();
    expect(gaps(sent).slice(1)).toEqual([0, 0]);
  });

  it('spreads a long window (an hour on self-managed) over a minute at most, so runs stay fast', async () => {
    const { send, sent, budget } = paced();
    await send(200, budget(7200, 3600, 7200));
    await send();
    await send();
    expect(gaps(sent)[1]).toBeLessThan(10);
  });

  it('halves its concurrency on a 429 without headers, pauses for Retry-After, then probes upward again', async () => {
    const { pacer, send, sent, clock } = paced({ maxConcurrency: 8 });
    const before = clock();
    await send(429, { 'retry-after': '2' });
    expect(pacer.concurrency).toBe(4);
    await send();
    expect((sent[1] as number) - before).toBeGreaterThanOrEqual(2000);
    for (let i = 0; i < 4; i++) await send();
    expect(pacer.concurrency).toBe(5);
    for (let i = 0; i < 5 + 6 + 7; i++) await send();
    expect(pacer.concurrency).toBe(8);
    for (let i = 0; i < 20; i++) await send();
    expect(pacer.concurrency).toBe(8);
  });

  it('keeps at most its concurrency in flight', async () => {
    const { pacer } = paced({ maxConcurrency: 2 });
    await pacer.acquire();
    await pacer.acquire();
    let third = false;
    const waiting = pacer.acquire().then(() => {
      third = true;
    });
    await Promise.resolve();
    expect(third).toBe(false);
    pacer.release({ status: 200, headers: new Headers() });
    await waiting;
    expect(third).toBe(true);
  });

  it('honours an optional cap for a token shared with other tools', async () => {
    const { send, sent } = paced({ maxRequestsPerSecond: 10 });
    for (let i = 0; i < 4; i++) await send();
    expect(gaps(sent)).toEqual([100, 100, 100]);
  });
});

/**
 * A fixed-window server like gitlab.com's: `limit` requests per window, the first window ending at
 * `firstResetAt` with only `leftInFirst` of them left; every answer carries RateLimit-* headers.
 */
function fixedWindowServer(clock: FakeClock, options: { limit: number; windowMs: number; firstResetAt: number; leftInFirst: number }) {
  let windowEnd = options.firstResetAt;
  let remaining = options.leftInFirst;
  return () => {
    if (clock.now() >= windowEnd) {
      windowEnd += Math.ceil((clock.now() - windowEnd + 1) / options.windowMs) * options.windowMs;
      remaining = options.limit;
    }
    remaining = Math.max(0, remaining - 1);
    return new Headers({ 'ratelimit-limit': String(options.limit), 'ratelimit-remaining': String(remaining), 'ratelimit-reset': String(windowEnd / 1000) });
  };
}

describe('Class: AdaptivePacer, many workers on one clock', () => {
  const START = 1_700_000_000_000;

  it('spends a small budget evenly, then drops that pace as soon as the window resets (12 workers, 32 of 2000 left, reset in 59 s)', async () => {
    const clock = new FakeClock(START);
    const pacer = new AdaptivePacer({ maxConcurrency: 12, now: clock.now, wait: clock.sleep });
    const resetAt = START + 59_000;
    const answer = fixedWindowServer(clock, { limit: 2000, windowMs: 60_000, firstResetAt: resetAt, leftInFirst: 33 });
    // Mid-run: the last answer said 32 of 2000 are left until the reset.
    await pacer.acquire();
    pacer.release({ status: 200, headers: answer() });
    const sent: number[] = [];
    const worker = async () => {
      for (let i = 0; i < 5; i++) {
        await pacer.acquire();
        sent.push(clock.now());
        await clock.sleep(100);
        pacer.release({ status: 200, headers: answer() });
      }
    };
    await clock.run(Promise.all(Array.from({ length: 12 }, worker)));

    const before = sent.filter((time) => time < resetAt);
    // 32 left less 20 (1% of 2000) kept for others: 12 requests, one every 59 s / 12 ≈ 4.9 s.
    expect(before.length).toBeGreaterThanOrEqual(11);
    expect(before.length).toBeLessThanOrEqual(12);
    for (const gap of gaps(before)) expect(gap).toBeGreaterThan(4_000);
    for (const gap of gaps(before)) expect(gap).toBeLessThan(6_000);
    // The other 48 requests go in the new window's budget, not at the old window's pace (not until 124 s).
    // The other 48 go at the new window's pace (2000 a minute: ~30 ms apart), not the old one's (not until 124 s).
    const after = sent.filter((time) => time >= resetAt);
    expect(after).toHaveLength(60 - before.length);
    for (const gap of gaps(after)) expect(gap).toBeLessThan(200);
    expect(Math.max(...after) - resetAt).toBeLessThan(3_000);
  });

  it('looks again when an answer arrives: a request waiting for a spent budget goes as soon as a new window is announced', async () => {
    const clock = new FakeClock(START);
    const pacer = new AdaptivePacer({ maxConcurrency: 4, now: clock.now, wait: clock.sleep });
    await pacer.acquire();
    await pacer.acquire(); // in flight when the first answer says one request is left: this one spends it
    pacer.release({ status: 200, headers: new Headers({ 'ratelimit-remaining': '1', 'ratelimit-reset': String(START / 1000 + 30) }) });
    let sentAt = 0;
    const waiting = pacer.acquire().then(() => {
      sentAt = clock.now();
    });
    const answer = clock.sleep(500).then(() => {
      pacer.release({ status: 200, headers: new Headers({ 'ratelimit-remaining': '500', 'ratelimit-reset': String(START / 1000 + 90) }) });
    });
    await clock.run(Promise.all([waiting, answer]));
    expect(sentAt).toBe(START + 500);
  });

  it('believes the lowest count within one window when answers overtake each other', async () => {
    const clock = new FakeClock(START);
    const pacer = new AdaptivePacer({ maxConcurrency: 4, now: clock.now, wait: clock.sleep });
    const reset = String(START / 1000 + 30);
    await pacer.acquire();
    await pacer.acquire();
    pacer.release({ status: 200, headers: new Headers({ 'ratelimit-remaining': '0', 'ratelimit-reset': reset }) });
    pacer.release({ status: 200, headers: new Headers({ 'ratelimit-remaining': '50', 'ratelimit-reset': reset }) });
    await clock.run(pacer.acquire());
    expect(clock.now()).toBe(START + 30_000);
  });
});

describe('Method: acquire with a deadline', () => {
  const START = 1_700_000_000_000;
  const DEADLINE = START + 60_000;

  function pacerAt(options: { maxRequestsPerSecond?: number } = {}) {
    const clock = new FakeClock(START);
    const pacer = new AdaptivePacer({ maxConcurrency: 4, now: clock.now, wait: clock.sleep, ...options });
    const answer = async (status: number, headers: Record<string, string>) => {
      await pacer.acquire();
      pacer.release({ status, headers: new Headers(headers) });
    };
    return { clock, pacer, answer };
  }

  it('fails at once, without waiting, when a 429 pause ends after the deadline', async () => {
    const { clock, pacer, answer } = pacerAt();
    await answer(429, { 'retry-after': '3600' });
    const error = await clock.run(pacer.acquire(DEADLINE)).catch((caught) => caught);
    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(error.message).toBe(`not attempted: out of time (rate limit resets at ${new Date(START + 3_600_000).toISOString()})`);
    expect(error.resumesAt).toBe(START + 3_600_000);
    expect(clock.now()).toBe(START);
  });

  it('fails at once when the budget is spent until a reset after the deadline (an hour-long window)', async () => {
    const { clock, pacer, answer } = pacerAt();
    const reset = START / 1000 + 3600;
    await answer(200, { 'ratelimit-limit': '7200', 'ratelimit-remaining': '50', 'ratelimit-reset': String(reset) });
    await expect(clock.run(pacer.acquire(DEADLINE))).rejects.toThrowError(`not attempted: out of time (rate limit resets at ${new Date(reset * 1000).toISOString()})`);
    expect(clock.now()).toBe(START);
  });

  it("fails at once when the budget's pace puts the next request after the deadline", async () => {
    const { clock, pacer, answer } = pacerAt();
    const reset = START / 1000 + 100;
    // 2 left for the next 100 s, spread over at most a minute: the next request 30 s after the last one…
    await answer(200, { 'ratelimit-remaining': '2', 'ratelimit-reset': String(reset) });
    await clock.run(pacer.acquire(START + 40_000));
    expect(clock.now()).toBe(START + 30_000);
    pacer.release({ status: 200, headers: new Headers({ 'ratelimit-remaining': '1', 'ratelimit-reset': String(reset) }) });
    // …and with 1 left, the one after that a minute later: past a deadline at 40 s, so at once.
    await expect(clock.run(pacer.acquire(START + 40_000))).rejects.toThrowError(`not attempted: out of time (rate limit resets at ${new Date(reset * 1000).toISOString()})`);
    expect(clock.now()).toBe(START + 30_000);
  });

  it('sends nothing once the deadline has passed, rate limit or not', async () => {
    const { clock, pacer } = pacerAt();
    const error = await clock.run(pacer.acquire(START)).catch((caught) => caught);
    expect(error).toBeInstanceOf(OutOfTimeError);
    expect(error.message).toBe('not attempted: out of time');
    expect(error.resumesAt).toBeUndefined();
  });

  it('waits for a free place only until the deadline', async () => {
    const clock = new FakeClock(START);
    const pacer = new AdaptivePacer({ maxConcurrency: 1, now: clock.now, wait: clock.sleep });
    await pacer.acquire(); // in flight, and its answer never comes
    await expect(clock.run(pacer.acquire(START + 5_000))).rejects.toThrowError(/^not attempted: out of time$/);
    expect(clock.now()).toBe(START + 5_000);
  });

  it('waits for a pause that ends before the deadline, and leaves no timer behind', async () => {
    const { clock, pacer, answer } = pacerAt();
    await answer(429, { 'retry-after': '20' });
    await clock.run(pacer.acquire(DEADLINE));
    expect(clock.now()).toBe(START + 20_000);
    expect(clock.pending).toBe(0);
  });
});

describe('Function: sleep', () => {
  it('ends early when its signal aborts (an hour-long wait does not keep the process up)', async () => {
    const controller = new AbortController();
    const slept = sleep(3_600_000, controller.signal);
    controller.abort();
    await expect(Promise.race([slept.then(() => 'woken'), sleep(1_000).then(() => 'still asleep')])).resolves.toBe('woken');
  });
});
