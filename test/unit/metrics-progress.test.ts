import { describe, expect, it } from 'vitest';
import { createProgress, formatProgress } from '../../src/cli/progress.js';
import type { RefreshSummary } from '../../src/core/refresh/summary.js';
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
  profiles: [],
  targets: [
    { target: 'project:a/b', variable: 'V', status: 'updated', expiresAt: '2026-11-22T08:00:00.000Z' },
    { target: 'group:a', variable: 'V', status: 'failed', error: 'x' },
  ],
};

describe('Function: refreshMetricsRecord', () => {
  const facts = { stage: 'prod', narrowed: false, gitlab: { requests: 40, retries: 3, throttled: 1 } };
  const now = new Date('2026-11-22T06:00:00Z');

  it('counts outcomes, GitLab traffic, and the earliest expiry the variables hold (a failed one included)', () => {
    const record = refreshMetricsRecord(summary, now, facts);
    expect(record).toMatchObject({
      TargetsUpdated: 1,
      TargetsFailed: 1,
      TargetsUnmasked: 0,
      TargetsCovered: 0,
      TargetsOverridden: 0,
      RegistriesMinted: 1,
      RegistriesFailed: 1,
      DurationMs: 1234,
      GitLabRequests: 40,
      GitLabRetries: 3,
      GitLabThrottled: 1,
      SecondsUntilEarliestExpiry: 7200,
      Service: 'ecr-gitlab-refresher',
      Stage: 'prod',
    });
    const directive = (record._aws as { CloudWatchMetrics: Array<{ Dimensions: string[][]; Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0];
    expect(directive?.Dimensions).toEqual([['Service', 'Stage']]);
    expect(directive?.Metrics.map((m) => m.Name)).toContain('SecondsUntilEarliestExpiry');
  });

  it('ignores minted tokens that reached no variable: they protect no pull', () => {
    const failedEverywhere = { ...summary, targets: [{ target: 'group:a', variable: 'V', status: 'failed' as const, error: 'GitLab down' }] };
    expect(refreshMetricsRecord(failedEverywhere, now, facts)).not.toHaveProperty('SecondsUntilEarliestExpiry');
  });

  it('leaves the expiry out of a narrowed run, which could hide a nearer expiry elsewhere', () => {
    expect(refreshMetricsRecord(summary, now, { ...facts, narrowed: true })).not.toHaveProperty('SecondsUntilEarliestExpiry');
  });

  it('counts unmasked and overridden variables, and reports the GitLab token expiry when it has one', () => {
    const warned = {
      ...summary,
      targets: [
        { target: 'a', variable: 'V', status: 'updated' as const, warnings: [{ code: 'unmasked' as const, message: 'm' }] },
        {
          target: 'b',
          variable: 'V',
          status: 'updated' as const,
          warnings: [
            { code: 'creds-store' as const, message: 'm' },
            { code: 'cred-helpers' as const, message: 'm' },
          ],
        },
      ],
    };
    const record = refreshMetricsRecord(warned, now, { ...facts, gitlabTokenExpiresAt: '2026-12-06T06:00:00Z' });
    expect(record).toMatchObject({ TargetsUnmasked: 1, TargetsOverridden: 1, SecondsUntilGitLabTokenExpiry: 14 * 86400 });
    expect(refreshMetricsRecord(warned, now, facts)).not.toHaveProperty('SecondsUntilGitLabTokenExpiry');
  });

  it('reports a rotation without an answer as 1, a run that knows its token as 0, and nothing without a token check', () => {
    const metricNames = (record: Record<string, unknown>) =>
      (record._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]?.Metrics.map((m) => m.Name);
    const unknown = refreshMetricsRecord({ ...summary, gitlabToken: { expiresAt: '2026-12-06', outcomeUnknown: true, error: 'e' } }, now, facts);
    expect(unknown.GitLabTokenRotationUnknown).toBe(1);
    expect(metricNames(unknown)).toContain('GitLabTokenRotationUnknown');
    expect(refreshMetricsRecord({ ...summary, gitlabToken: { expiresAt: '2026-12-06' } }, now, facts).GitLabTokenRotationUnknown).toBe(0);
    expect(refreshMetricsRecord(summary, now, facts)).not.toHaveProperty('GitLabTokenRotationUnknown');
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
