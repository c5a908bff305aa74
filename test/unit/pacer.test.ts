import { describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';

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
