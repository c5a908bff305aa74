import type { TargetConfig } from '../../config/schema.js';
import { describeError, MaskRefusedError, OutOfTimeError, outOfTimeReason, StaleReadError, UnsafeMergeError } from '../../errors.js';
import type { HostCredential } from '../formats/docker-auth.js';
import { type FormattedValue, recordedEarliestExpiry, renderValue } from '../formats/variable-formats.js';
import type { CiVariableStore, Clock, StoredVariable } from '../ports.js';
import { targetSelector, variableRef } from './plan.js';
import type { TargetResult } from './summary.js';
import { planVariableWrite } from './variable-settings.js';
import type { VariableSpec } from './variables.js';

/** GitLab's limit for instance-level variable values. */
const INSTANCE_VALUE_LIMIT = 10_000;
/** A value merged from a read older than this is merged again before it is written. */
const STALE_READ_MS = 5_000;
/** Reads (and merges) per variable before giving up on a variable that keeps changing or failing. */
const MAX_WRITE_ATTEMPTS = 6;

export interface TargetWork {
  target: TargetConfig;
  spec: VariableSpec;
  credentials: HostCredential[];
  /** Whether the variable's configured registries still cover a host (see MergeOptions). */
  managesHost?: (host: string) => boolean;
  dryRun: boolean;
  /** What a list call already returned for this variable, and when; the first merge uses it instead of a read. */
  prefetched?: { variable: StoredVariable; readAt: number };
  /** Only merge into an existing variable, never create one (variables found below a covering group). */
  mustExist?: boolean;
  /** Why the variable, as just read, must be left alone (then the result is `skipped` with that note). */
  guard?: (existing: StoredVariable) => string | undefined;
  /** The owner as the result names it, when `target` names it by id. */
  label?: string;
  /** The group target whose coverShadowing reached this variable. */
  via?: string;
}

/**
 * Read, merge, write one variable. Any problem fails this variable alone, a value that cannot be
 * merged safely is never written, and a write is only ever made from a read a few seconds old: when
 * the variable changed, or a write must be retried, it is read and merged again.
 */
export async function refreshTarget(work: TargetWork, store: CiVariableStore, clock: Clock): Promise<TargetResult> {
  const { target, spec, credentials, dryRun } = work;
  const ref = variableRef(target, spec);
  const base: TargetResult = {
    target: work.label ?? targetSelector(target),
    variable: spec.key,
    environmentScope: ref.environmentScope,
    ...(work.via ? { via: work.via } : {}),
    status: 'failed',
  };
  let lastRead: StoredVariable | undefined;
  /** A write that failed in a way that is retried (StaleReadError): it may have been sent and applied. */
  let retriedWrite: unknown;
  try {
    if (credentials.length === 0) {
      throw new UnsafeMergeError('none of its registries could be minted in this run; the variable was left as it was');
    }
    let maskRefused = false;
    for (let attempt = 1; ; attempt++) {
      const prefetched = attempt === 1 ? work.prefetched : undefined;
      const readAt = prefetched?.readAt ?? clock.now();
      const existing = prefetched ? prefetched.variable : await store.read(ref);
      lastRead = existing;
      if (!existing && work.mustExist) return { ...base, status: 'skipped', note: 'deleted since it was listed; nothing left to cover' };
      const refusal = existing && work.guard?.(existing);
      if (refusal) return { ...base, status: 'skipped', note: refusal };
      const rendered = renderValue(spec.format, currentValue(target, existing), credentials, new Date(clock.now()), { managesHost: work.managesHost, helpers: target.helpers });
      checkSize(target, rendered.value);
      const planned = planVariableWrite(spec, existing, rendered.value, { maskRefused });
      const result = withDetails(base, rendered, [...rendered.changes, ...planned.changes], [...rendered.warnings, ...planned.warnings]);
      if (dryRun) return { ...result, status: existing ? 'would-update' : 'would-create' };
      try {
        const status = await store.write(ref, planned.write, { exists: existing !== undefined, sendBy: readAt + STALE_READ_MS });
        return { ...result, status };
      } catch (error) {
        if (error instanceof MaskRefusedError && !maskRefused) maskRefused = true;
        else if (!(error instanceof StaleReadError && attempt < MAX_WRITE_ATTEMPTS)) throw error;
        else retriedWrite = error;
      }
    }
  } catch (error) {
    const message = error instanceof OutOfTimeError ? outOfTimeAfter(error, retriedWrite) : describeError(error);
    return { ...base, expiresAt: expiryHeld(spec, lastRead), error: message };
  }
}

/** "Not attempted" only while no write of this variable may have gone out; after one, the outcome is unknown. */
function outOfTimeAfter(error: OutOfTimeError, retriedWrite: unknown): string {
  if (retriedWrite === undefined) return outOfTimeMessage(error.resumesAt);
  return `${describeError(retriedWrite)}; then ${outOfTimeReason(error.resumesAt)}: whether GitLab applied the earlier write is unknown, so check the variable or run again`;
}

/**
 * What a target the run had no time for says, whether the core did not start it or GitLab's rate limit
 * would not let one of its requests go before the deadline (then with the time the limit resets).
 */
export function outOfTimeMessage(resumesAt?: number): string {
  return `${outOfTimeReason(resumesAt)}; split the config into several functions, or use group targets (a group variable covers every project below it)`;
}

/** The whole value is the tool's under `ownership: full`; otherwise the current value is merged into. */
function currentValue(target: TargetConfig, existing: StoredVariable | undefined): string | undefined {
  if (!existing || target.ownership === 'full') return undefined;
  if (existing.hidden || existing.value === null) {
    throw new UnsafeMergeError('variable is hidden, so its value cannot be read and merged; set ownership: full to let the tool own the whole value');
  }
  return existing.value;
}

function checkSize(target: TargetConfig, value: string): void {
  if (target.instance && value.length > INSTANCE_VALUE_LIMIT) {
    throw new UnsafeMergeError(`value would be ${value.length} characters, over GitLab's ${INSTANCE_VALUE_LIMIT}-character limit for instance variables`);
  }
}

function withDetails(base: TargetResult, rendered: FormattedValue, changes: string[], warnings: TargetResult['warnings'] = []): TargetResult {
  return {
    ...base,
    hosts: rendered.hosts,
    expiresAt: rendered.expiresAt,
    ...(changes.length > 0 ? { changes } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}

/** What a failed variable still holds: the expiry the last refresh recorded in it, if it could be read. */
function expiryHeld(spec: VariableSpec, stored: StoredVariable | undefined): string | undefined {
  if (!stored?.value) return undefined;
  try {
    return recordedEarliestExpiry(spec.format, stored.value);
  } catch {
    return undefined;
  }
}
