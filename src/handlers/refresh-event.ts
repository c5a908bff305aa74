import type { Selection } from '../core/plan.js';
import { ConfigError } from '../errors.js';

export interface RefreshRequest {
  dryRun: boolean;
  selection: Selection;
  trigger: 'schedule' | 'manual';
}

const MANUAL_KEYS = new Set(['dryRun', 'targets', 'registries']);

/**
 * An EventBridge scheduled event means "refresh everything"; anything else must be a manual event
 * `{dryRun?, targets?, registries?}`. Unknown keys are refused: a typo must not turn a dry run into a
 * write. Checked by hand (three keys) so the function does not load a schema library at start.
 */
export function parseRefreshEvent(event: unknown): RefreshRequest {
  if (isScheduledEvent(event)) return { dryRun: false, selection: {}, trigger: 'schedule' };
  const input = event ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new ConfigError(['event: expected an object {"dryRun"?, "targets"?, "registries"?}']);
  const record = input as Record<string, unknown>;
  const problems = Object.keys(record)
    .filter((key) => !MANUAL_KEYS.has(key))
    .map((key) => `event.${key}: unknown key`);
  if (record.dryRun !== undefined && typeof record.dryRun !== 'boolean') problems.push('event.dryRun: expected true or false');
  for (const key of ['targets', 'registries'] as const) {
    const value = record[key];
    if (value !== undefined && !(Array.isArray(value) && value.every((item) => typeof item === 'string' && item.length > 0))) {
      problems.push(`event.${key}: expected a list of non-empty strings`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    dryRun: record.dryRun === true,
    selection: { targets: record.targets as string[] | undefined, registries: record.registries as string[] | undefined },
    trigger: 'manual',
  };
}

function isScheduledEvent(event: unknown): boolean {
  if (event === null || typeof event !== 'object') return false;
  const candidate = event as Record<string, unknown>;
  return candidate['detail-type'] === 'Scheduled Event' && (candidate.source === 'aws.events' || candidate.source === 'aws.scheduler');
}
