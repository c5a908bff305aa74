import { countFailures, countWarnings, earliestHeldExpiry, type RefreshSummary } from '../core/refresh/summary.js';

export const METRICS_NAMESPACE = 'EcrGitlabRefresher';
export const SERVICE_DIMENSION = 'ecr-gitlab-refresher';

type Unit = 'Count' | 'Seconds' | 'Milliseconds';

/** What the run knows beyond its summary. */
export interface RunFacts {
  /** The deployment stage: a dimension, so a dev stack never feeds prod's alarms. */
  stage: string;
  /** A manual run narrowed to some targets or registries sees only part of what GitLab holds. */
  narrowed: boolean;
  gitlab?: { requests: number; retries: number; throttled: number };
  /** Expiry of the GitLab token the run ended with; undefined when it never expires (or is unknown). */
  gitlabTokenExpiresAt?: string;
}

/**
 * One CloudWatch embedded-metric-format record for a finished refresh. CloudWatch Logs turns it into
 * metrics with no API call; the alarms and the dashboard in serverless.yml read them.
 */
export function refreshMetricsRecord(summary: RefreshSummary, now: Date, facts: RunFacts): Record<string, unknown> {
  const failed = countFailures(summary);
  const values: Array<[string, number, Unit]> = [
    ['TargetsUpdated', summary.targets.filter((t) => t.status === 'created' || t.status === 'updated').length, 'Count'],
    ['TargetsFailed', failed.targets, 'Count'],
    ['TargetsCovered', summary.targets.filter((t) => t.via?.startsWith('group:') && (t.status === 'created' || t.status === 'updated')).length, 'Count'],
    ['TargetsUnmasked', countWarnings(summary, ['unmasked']), 'Count'],
    ['TargetsOverridden', countWarnings(summary, ['creds-store', 'cred-helpers']), 'Count'],
    ['RegistriesMinted', summary.registries.filter((r) => r.status === 'minted').length, 'Count'],
    ['RegistriesFailed', failed.registries, 'Count'],
    ['SecretsFailed', failed.secrets, 'Count'],
    ['ProfilesUpdated', summary.profiles.filter((p) => p.status === 'created' || p.status === 'updated').length, 'Count'],
    ['ProfilesFailed', failed.profiles, 'Count'],
    ['DurationMs', summary.durationMs, 'Milliseconds'],
  ];
  if (facts.gitlab) {
    values.push(['GitLabRequests', facts.gitlab.requests, 'Count'], ['GitLabRetries', facts.gitlab.retries, 'Count'], ['GitLabThrottled', facts.gitlab.throttled, 'Count']);
  }
  // A narrowed run would report only its own targets and could hide an older, nearer expiry elsewhere.
  const earliest = facts.narrowed ? undefined : earliestHeldExpiry(summary);
  if (earliest !== undefined) values.push(['SecondsUntilEarliestExpiry', secondsUntil(earliest, now), 'Seconds']);
  if (facts.gitlabTokenExpiresAt !== undefined) values.push(['SecondsUntilGitLabTokenExpiry', secondsUntil(facts.gitlabTokenExpiresAt, now), 'Seconds']);
  // 1 when a rotate got no clear answer: the old token may be revoked and its successor lost (alarmed).
  if (summary.gitlabToken) values.push(['GitLabTokenRotationUnknown', summary.gitlabToken.outcomeUnknown ? 1 : 0, 'Count']);
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Service', 'Stage']], Metrics: values.map(([Name, , Unit]) => ({ Name, Unit })) }],
    },
    Service: SERVICE_DIMENSION,
    Stage: facts.stage,
    DryRun: summary.dryRun,
    ...Object.fromEntries(values.map(([name, value]) => [name, value])),
  };
}

function secondsUntil(iso: string, now: Date): number {
  return Math.round((Date.parse(iso) - now.getTime()) / 1000);
}

/** One helper-url request, by HTTP status, for the dashboard. */
export function helperRequestMetric(status: number, stage: string, now: Date): Record<string, unknown> {
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [['Service', 'Stage', 'Status']], Metrics: [{ Name: 'HelperRequests', Unit: 'Count' }] }],
    },
    Service: SERVICE_DIMENSION,
    Stage: stage,
    Status: String(status),
    HelperRequests: 1,
  };
}
