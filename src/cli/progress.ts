import type { TargetResult } from '../core/refresh/summary.js';

const WIDTH = 30;

/** One redrawn line on a terminal: `[=====     ] 120/2000 targets, 3 failed`. */
export function formatProgress(done: number, total: number, failed: number): string {
  const filled = total === 0 ? WIDTH : Math.round((done / total) * WIDTH);
  return `[${'='.repeat(filled)}${' '.repeat(WIDTH - filled)}] ${done}/${total} targets${failed ? `, ${failed} failed` : ''}`;
}

/**
 * A progress callback for the refresh, redrawn at most every `intervalMs` and cleared at the end.
 * Only used on a TTY and never with --json, so scripted output stays clean.
 */
export function createProgress(write: (text: string) => void, intervalMs = 100, now: () => number = Date.now) {
  let failed = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  return function onTargetDone(result: TargetResult, done: number, total: number): void {
    if (result.status === 'failed') failed++;
    const finished = done === total;
    if (!finished && now() - lastDraw < intervalMs) return;
    lastDraw = now();
    write(`\r${formatProgress(done, total, failed)}${finished ? '\r\x1b[2K' : ''}`);
  };
}
