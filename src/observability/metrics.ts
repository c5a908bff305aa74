import { countFailures, earliestExpiry, type RefreshSummary } from '../core/summary.js';

export const METRICS_NAMESPACE = 'EcrGitlabRefresher';
export const SERVICE_DIMENSION = 'ecr-gitlab-refresher';

type Unit = 'Count' | 'Seconds' | 'Milliseconds';

/**
 * One CloudWatch embedded-metric-format record for a finished refresh. CloudWatch Logs turns it into
 * metrics with no API call; the alarms in serverless.yml watch TargetsFailed, RegistriesFailed and
 * SecondsUntilEarliestExpiry.
 */
export function refreshMetricsRecord(summary: RefreshSummary, now: Date): Record<string, unknown> {
  const failed = countFailures(summary);
  const values: Array<[string, number, Unit]> = [
    ['TargetsUpdated', summary.targets.filter((t) => t.status === 'created' || t.status === 'updated').length, 'Count'],
    ['TargetsFailed', failed.targets, 'Count'],
    ['RegistriesMinted', summary.registries.filter((r) => r.status === 'minted').length, 'Count'],
    ['RegistriesFailed', failed.registries, 'Count'],
    ['SecretsFailed', failed.secrets, 'Count'],
    ['DurationMs', summary.durationMs, 'Milliseconds'],
  ];
  const earliest = earliestExpiry(summary);
  if (earliest !== undefined) values.push(['SecondsUntilEarliestExpiry', Math.round((Date.parse(earliest) - now.getTime()) / 1000), 'Seconds']);
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Service']], Metrics: values.map(([Name, , Unit]) => ({ Name, Unit })) }],
    },
    Service: SERVICE_DIMENSION,
    DryRun: summary.dryRun,
    ...Object.fromEntries(values.map(([name, value]) => [name, value])),
  };
}
