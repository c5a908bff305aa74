import { z } from 'zod';
import { formatIssues } from '../config/parse.js';
import type { Selection } from '../core/plan.js';
import { ConfigError } from '../errors.js';

const manualEventSchema = z.strictObject({
  dryRun: z.boolean().default(false),
  targets: z.array(z.string().min(1)).optional(),
  registries: z.array(z.string().min(1)).optional(),
});

export interface RefreshRequest {
  dryRun: boolean;
  selection: Selection;
  trigger: 'schedule' | 'manual';
}

/**
 * An EventBridge scheduled event means "refresh everything"; anything else must be a manual event
 * `{dryRun?, targets?, registries?}`. Unknown keys are refused: a typo must not turn a dry run into a write.
 */
export function parseRefreshEvent(event: unknown): RefreshRequest {
  if (isScheduledEvent(event)) return { dryRun: false, selection: {}, trigger: 'schedule' };
  const result = manualEventSchema.safeParse(event ?? {});
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues, 'event'));
  const { dryRun, targets, registries } = result.data;
  return { dryRun, selection: { targets, registries }, trigger: 'manual' };
}

function isScheduledEvent(event: unknown): boolean {
  if (event === null || typeof event !== 'object') return false;
  const candidate = event as Record<string, unknown>;
  return candidate['detail-type'] === 'Scheduled Event' && (candidate.source === 'aws.events' || candidate.source === 'aws.scheduler');
}
