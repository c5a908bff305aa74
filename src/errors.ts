/**
 * Every error the tool raises on purpose. Messages never contain secrets: callers pass only
 * names, paths, statuses and GitLab/AWS error descriptions that have been through `describeError`.
 */

/** Bad configuration, arguments or event: exit 2, nothing was called. */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
  }
}

/** A GitLab API call failed after retries (or with a status that must not be retried). */
export class GitLabApiError extends Error {
  override name = 'GitLabApiError';
  /** What the operator should do about it, when the failure says (doctor shows it in its fix column). */
  readonly fix?: string;
  constructor(
    message: string,
    readonly status: number | undefined,
    options?: { cause?: unknown; fix?: string },
  ) {
    super(message, options);
    this.fix = options?.fix;
  }
}

/** Why GitLab could not be reached: each has its own fix (docs/network.md). */
export type GitLabNetworkFailure =
  | 'dns'
  | 'connection-refused'
  | 'unreachable'
  | 'connect-timeout'
  | 'timeout'
  | 'connection-reset'
  | 'tls-unknown-ca'
  | 'tls-hostname'
  | 'tls-expired'
  | 'tls'
  | 'proxy-refused'
  | 'proxy-unreachable'
  | 'network';

/** GitLab was not reached (no HTTP answer): DNS, routing, TLS or the proxy, named by `failure`. */
export class GitLabNetworkError extends GitLabApiError {
  override name = 'GitLabNetworkError';
  constructor(
    message: string,
    readonly failure: GitLabNetworkFailure,
    fix: string,
  ) {
    super(message, undefined, { fix });
  }
}

/** An AWS call failed; `message` is already safe to show. */
export class AwsCallError extends Error {
  override name = 'AwsCallError';
}

/** A target cannot be written safely; its variable is left exactly as it was. */
export class UnsafeMergeError extends Error {
  override name = 'UnsafeMergeError';
}

/**
 * The read a write was merged from can no longer be trusted: the variable appeared or vanished since,
 * the read is older than a few seconds, or the write has to be retried. The caller reads again.
 */
export class StaleReadError extends Error {
  override name = 'StaleReadError';
}

/** GitLab refused to mask the value (`{"value":["is invalid"]}` on a masked write). */
export class MaskRefusedError extends Error {
  override name = 'MaskRefusedError';
}

/** A secret would exceed Secrets Manager's 65,536-byte limit. */
export class SecretTooLargeError extends Error {
  override name = 'SecretTooLargeError';
}

/** A group has more projects and subgroups below it than discovery may examine. */
export class DiscoveryLimitError extends Error {
  override name = 'DiscoveryLimitError';
}

/**
 * A request that must not be repeated (a token rotate) got no clear answer: the connection dropped, it
 * timed out, or GitLab answered 5xx. Whether GitLab applied it is unknown.
 */
export class AmbiguousOutcomeError extends Error {
  override name = 'AmbiguousOutcomeError';
}

/** The run (or one part of it) ran out of its time budget. */
export class OutOfTimeError extends Error {
  override name = 'OutOfTimeError';
}

/** `helper publish` uploaded an artefact, but reading it back does not show the digest it was uploaded with. */
export class HelperVerificationError extends Error {
  override name = 'HelperVerificationError';
}

/**
 * Turns anything thrown into a one-line message that is safe to log: only `name` and `message`
 * are read, never `cause`, request objects or headers (gitbeaker and the AWS SDK attach those).
 */
export function describeError(error: unknown): string {
  const { detail, fix } = describeProblem(error);
  return (fix ? `${detail} — ${fix}` : detail).slice(0, 700);
}

/** `describeError` in two parts, for doctor's detail and fix columns: the fix only when the error carries one. */
export function describeProblem(error: unknown): { detail: string; fix?: string } {
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : '';
    const fix = error instanceof GitLabApiError ? error.fix : undefined;
    return { detail: `${name}${error.message}`.slice(0, 500), fix };
  }
  return { detail: String(error).slice(0, 500) };
}
