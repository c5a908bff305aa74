import type { Selection } from '../core/refresh/plan.js';
import { ConfigError } from '../errors.js';

export interface RefreshRequest {
  dryRun: boolean;
  selection: Selection;
  trigger: 'schedule' | 'manual';
}

const MANUAL_KEYS = new Set(['dryRun', 'targets', 'registries']);
/** Every key of an EventBridge scheduled event (and EventBridge Scheduler's, which copies the shape), and its type. */
const ENVELOPE_KEYS: Record<string, 'string' | 'strings' | 'object'> = {
  version: 'string',
  id: 'string',
  'detail-type': 'string',
  source: 'string',
  account: 'string',
  time: 'string',
  region: 'string',
  resources: 'strings',
  detail: 'object',
};
const SCHEDULE_SOURCES = ['aws.events', 'aws.scheduler'];

/**
 * An EventBridge scheduled event means "refresh everything"; anything else must be a manual event
 * `{dryRun?, targets?, registries?}`. Unknown keys are refused on both paths: a typo must not turn a dry
 * run into a write, and neither must a scheduled event edited by hand to carry `dryRun` or a narrowing
 * (EventBridge never sends them, so it would otherwise run as a full write). Checked by hand so the
 * function does not load a schema library at start.
 */
export function parseRefreshEvent(event: unknown): RefreshRequest {
  const input = event ?? {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new ConfigError(['event: expected an object {"dryRun"?, "targets"?, "registries"?}']);
  const record = input as Record<string, unknown>;
  if (Object.keys(record).some((key) => key in ENVELOPE_KEYS)) {
    const problems = scheduledEventProblems(record);
    if (problems.length > 0) throw new ConfigError(problems);
    return { dryRun: false, selection: {}, trigger: 'schedule' };
  }
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

/** What is wrong with an event that has the keys of a scheduled event: exactly EventBridge's shape, or refused. */
function scheduledEventProblems(record: Record<string, unknown>): string[] {
  const manual = 'for a manual run invoke with {"dryRun"?, "targets"?, "registries"?} alone (events/manual.json)';
  const problems: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    const type = ENVELOPE_KEYS[key];
    if (!type) {
      const reason = MANUAL_KEYS.has(key) ? 'not part of a scheduled event (EventBridge never sends it), so it would be ignored and everything written' : 'unknown key';
      problems.push(`event.${key}: ${reason}; ${manual}`);
    } else if (!hasType(value, type)) {
      problems.push(`event.${key}: expected ${type === 'strings' ? 'a list of strings' : `a${type === 'object' ? 'n' : ''} ${type}`}`);
    }
  }
  if (record['detail-type'] !== 'Scheduled Event') problems.push(`event.detail-type: expected "Scheduled Event" in an event with EventBridge's keys; ${manual}`);
  if (!SCHEDULE_SOURCES.includes(record.source as string)) problems.push(`event.source: expected "aws.events" or "aws.scheduler"; ${manual}`);
  const detail = record.detail;
  if (hasType(detail, 'object')) {
    for (const key of Object.keys(detail as object)) problems.push(`event.detail.${key}: a scheduled event's detail is empty; ${manual}`);
  }
  return problems;
}

function hasType(value: unknown, type: 'string' | 'strings' | 'object'): boolean {
  if (type === 'string') return typeof value === 'string';
  if (type === 'strings') return Array.isArray(value) && value.every((item) => typeof item === 'string');
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
