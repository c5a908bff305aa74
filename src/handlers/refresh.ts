import { loadRuntimeConfig } from '../config/runtime.js';
import type { Selection } from '../core/refresh/plan.js';
import { runRefresh } from '../core/refresh/refresh.js';
import { countFailures, type RefreshSummary } from '../core/refresh/summary.js';
import { ConfigError, describeError } from '../errors.js';
import { refreshMetricsRecord } from '../observability/metrics.js';
import { buildObservability, buildRefreshDeps } from '../wiring.js';
import { parseRefreshEvent } from './refresh-event.js';

export interface LambdaContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

/** Time kept back from the Lambda timeout so the summary is always logged and returned. */
const SAFETY_MARGIN_MS = 5_000;

export class RefreshFailedError extends Error {
  override name = 'RefreshFailedError';
}

/**
 * Scheduled or manual refresh. Returns the summary; when anything failed it throws after all work is
 * done (so the async retry/failure destination and the Errors alarm see it), with a message that names
 * what failed and holds no secret.
 */
export async function handler(event: unknown, context: LambdaContext = {}): Promise<RefreshSummary> {
  const started = Date.now();
  const remaining = context.getRemainingTimeInMillis?.();
  const runtime = {
    env: process.env,
    writeLog: (line: string) => process.stdout.write(`${line}\n`),
    defaultLogLevel: 'info' as const,
    correlationId: context.awsRequestId ?? `local-${started}`,
    deadline: remaining === undefined ? undefined : started + remaining - SAFETY_MARGIN_MS,
  };
  const observability = buildObservability(runtime);
  const { logger } = observability;
  try {
    const request = parseRefreshEvent(event);
    const config = await loadRuntimeConfig(process.env);
    const { deps, stats } = await buildRefreshDeps(config, runtime, observability);
    const summary = await runRefresh(config, request, deps);
    if (stats) logger.info('gitlab requests', { ...stats });
    // Dry runs change nothing, so they must not move the alarms.
    if (!summary.dryRun) {
      const facts = { stage: process.env.STAGE ?? 'local', narrowed: isNarrowed(request.selection), gitlab: stats, gitlabTokenExpiresAt: summary.gitlabToken?.expiresAt };
      runtime.writeLog(JSON.stringify({ ...refreshMetricsRecord(summary, new Date(), facts), correlationId: runtime.correlationId }));
    }
    if (!summary.ok) {
      const failed = countFailures(summary);
      const names = summary.targets
        .filter((target) => target.status === 'failed')
        .map((target) => target.target)
        .slice(0, 10);
      throw new RefreshFailedError(
        `refresh finished with failures: ${failed.registries} registries, ${failed.secrets} secrets, ${failed.targets} targets${names.length ? ` (${names.join(', ')})` : ''}${summary.profiles.length > 0 ? `, ${failed.profiles} profiles` : ''}; see the logs of request ${runtime.correlationId}`,
      );
    }
    return summary;
  } catch (error) {
    if (error instanceof RefreshFailedError) throw error;
    const message = error instanceof ConfigError ? `invalid input: ${error.problems.join('; ')}` : describeError(error);
    logger.error('refresh aborted', { error: message });
    throw new RefreshFailedError(observability.redactor.scrub(message));
  }
}

function isNarrowed(selection: Selection): boolean {
  return (selection.targets?.length ?? 0) > 0 || (selection.registries?.length ?? 0) > 0;
}
