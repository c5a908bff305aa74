import { describeError } from '../../errors.js';

/**
 * Name and message of an SDK error, nothing else: SDK errors carry `$response` and request details
 * that must not reach a log.
 */
export function awsErrorMessage(error: unknown): string {
  return describeError(error);
}

export function awsErrorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}
