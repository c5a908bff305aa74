import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { expiryAlarms, scheduleHours, reservedConcurrency } = require('../../build/stack.cjs') as {
  expiryAlarms: (schedule: string, margin: number, window?: string) => { windowHours: number; thresholdSeconds: number; latestStalledFireSeconds: number };
  scheduleHours: (schedule: string) => number | undefined;
  reservedConcurrency: (value: unknown) => number | undefined;
};

describe('Function: scheduleHours', () => {
  it.each([
    ['rate(6 hours)', 6],
    ['rate(1 hour)', 1],
    ['rate(90 minutes)', 1.5],
    ['rate(1 day)', 24],
    ['cron(0 */6 * * ? *)', undefined],
  ])('%s → %s', (schedule, hours) => {
    expect(scheduleHours(schedule)).toBe(hours);
  });
});

describe('Function: expiryAlarms', () => {
  it.each([
    ['rate(6 hours)', 7, 9 * 3600],
    ['rate(1 hour)', 2, 4 * 3600],
    ['rate(90 minutes)', 3, 4.5 * 3600],
    ['rate(7 hours)', 8, 10 * 3600],
  ])('%s: window %i hours, threshold %i s, and a stopped refresh alarms within 9 hours', (schedule, window, threshold) => {
    const alarms = expiryAlarms(schedule, 10_800);
    expect(alarms).toMatchObject({ windowHours: window, thresholdSeconds: threshold });
    expect(alarms.latestStalledFireSeconds).toBeLessThanOrEqual(9 * 3600);
  });

  it('refuses schedules that leave no time, and cron without an explicit window', () => {
    expect(() => expiryAlarms('rate(8 hours)', 10_800)).toThrowError(/too slow/);
    expect(() => expiryAlarms('rate(1 day)', 10_800)).toThrowError(/too slow/);
    expect(() => expiryAlarms('cron(0 */6 * * ? *)', 10_800)).toThrowError(/expiryAlarmWindowHours/);
    expect(expiryAlarms('cron(0 */6 * * ? *)', 10_800, '7')).toMatchObject({ windowHours: 7, thresholdSeconds: 6 * 3600 + 10_800 });
    expect(() => expiryAlarms('rate(6 hours)', 20_000)).toThrowError(/leaves healthy runs under the alarm threshold/);
  });
});

describe('Function: reservedConcurrency', () => {
  it.each([
    ['none', undefined],
    ['1', 1],
    [1, 1],
    ['5', 5],
  ])('%j → %j', (value, expected) => {
    expect(reservedConcurrency(value)).toBe(expected);
  });

  it('refuses 0, which deploys a function that every invocation (the schedule too) finds throttled', () => {
    expect(() => reservedConcurrency(0)).toThrowError(
      'reservedConcurrency 0 would throttle every invocation, the schedule\'s included, so the refresh would never run: use 1 (one run at a time, the default) or "none"',
    );
    expect(() => reservedConcurrency('0')).toThrowError('reservedConcurrency 0 would throttle every invocation');
  });

  it.each(['-1', '1.5', 'one', ''])('refuses %j', (value) => {
    expect(() => reservedConcurrency(value)).toThrowError(`reservedConcurrency must be a whole number of at least 1 or "none", got "${value}"`);
  });
});
