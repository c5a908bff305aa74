import { describe, expect, it } from 'vitest';
import { createProgress, formatProgress } from '../../src/cli/progress.js';
import type { RefreshSummary } from '../../src/core/summary.js';
import { refreshMetricsRecord } from '../../src/observability/metrics.js';

const summary: RefreshSummary = {
  ok: false,
  dryRun: false,
  durationMs: 1234,
  registries: [
    { name: 'prod', region: 'us-east-1', host: 'h1', status: 'minted', expiresAt: '2026-11-22T18:00:00.000Z' },
    { name: 'prod', region: 'eu-west-1', status: 'failed', error: 'x' },
  ],
  secrets: [],
  targets: [
    { target: 'project:a/b', variable: 'V', status: 'updated', expiresAt: '2026-11-22T08:00:00.000Z' },
    { target: 'group:a', variable: 'V', status: 'failed', error: 'x' },
  ],
};

describe('Function: refreshMetricsRecord', () => {
  it('counts outcomes and measures the earliest expiry, including entries a failed registry left behind', () => {
    const record = refreshMetricsRecord(summary, new Date('2026-11-22T06:00:00Z'));
    expect(record).toMatchObject({
      TargetsUpdated: 1,
      TargetsFailed: 1,
      RegistriesMinted: 1,
      RegistriesFailed: 1,
      DurationMs: 1234,
      SecondsUntilEarliestExpiry: 7200,
      Service: 'ecr-gitlab-refresher',
    });
    const names = (record._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);
    expect(names).toContain('SecondsUntilEarliestExpiry');
  });

  it('leaves the expiry metric out when nothing is known, so the alarm sees missing data', () => {
    const record = refreshMetricsRecord({ ...summary, registries: [], targets: [] }, new Date());
    expect(record).not.toHaveProperty('SecondsUntilEarliestExpiry');
  });
});

describe('Function: createProgress', () => {
  it('draws done/total and failures, throttled, and clears the line at the end', () => {
    const out: string[] = [];
    let now = 0;
    const progress = createProgress(
      (text) => out.push(text),
      100,
      () => now,
    );
    progress({ target: 'a', variable: 'V', status: 'updated' }, 1, 3);
    progress({ target: 'b', variable: 'V', status: 'failed' }, 2, 3);
    now = 500;
    progress({ target: 'c', variable: 'V', status: 'updated' }, 3, 3);
    expect(out).toHaveLength(2);
    expect(out[1]).toContain('3/3 targets, 1 failed');
    expect(out[1]?.endsWith('\r\x1b[2K')).toBe(true);
    expect(formatProgress(1, 4, 0)).toBe(`[${'='.repeat(8)}${' '.repeat(22)}] 1/4 targets`);
  });
});
