import { AsyncLocalStorage } from 'node:async_hooks';
import { AmbiguousOutcomeError, GitLabApiError, GitLabNetworkError, OutOfTimeError, StaleReadError } from '../../errors.js';
import { classifyNetworkFailure, type NetworkFailureInfo, statusFix } from './network-errors.js';
import { type AdaptivePacer, retryAfterDelay, type Sleep, serverDelay, sleep } from './pacer.js';

/** What gitbeaker's resource classes hand their requester, and what they expect back. */
export interface GitbeakerRequestOptions {
  method?: string;
  prefixUrl?: string;
  searchParams?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface GitbeakerResponse {
  body: unknown;
  headers: Record<string, string>;
  status: number;
}

export interface TransportOptions {
  pacer: AdaptivePacer;
  requestTimeoutMs: number;
  maxAttempts?: number;
  /** Epoch ms after which no request (first try or retry) is sent, and until which no wait may last. */
  deadline?: number;
  now?: () => number;
  wait?: Sleep;
  fetchImpl?: typeof fetch;
  /** Names why a request got no answer (gitlab-network.ts adds the proxy and the certificate); default: from the error alone. */
  describeFailure?: (error: unknown, target: URL) => Promise<NetworkFailureInfo> | NetworkFailureInfo;
  /** Counters for the summary log and the benchmark. */
  stats?: TransportStats;
}

export interface TransportStats {
  requests: number;
  retries: number;
  throttled: number;
}

/**
 * Rules for one write, set by the variable store around its gitbeaker call (gitbeaker's options cannot
 * carry them to the requester). A write is never retried as it is: its value was merged from a read,
 * and after a pause that read may be stale, so the store's caller reads and merges again.
 */
export interface WritePolicy {
  /** Epoch ms after which the write is not sent at all. */
  sendBy?: number;
  /**
   * Sent once and never again (a token rotate): a dropped connection, a timeout or a 5xx is an
   * AmbiguousOutcomeError (GitLab may have applied it), any other failure a plain refusal.
   */
  once?: boolean;
}

export const writePolicy = new AsyncLocalStorage<WritePolicy>();

const RETRYABLE_STATUS = new Set([429, 500, 502, 503, 504]);
const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 20_000;

/**
 * A gitbeaker request handler that replaces its built-in one: gitbeaker retries only 429/502 for about
 * a quarter of a second and then throws without the response. This one paces requests (AdaptivePacer), retries 429,
 * 5xx, timeouts and dropped connections (a 429 after Retry-After / RateLimit-Reset, the rest with backoff),
 * never sends or waits past the deadline (OutOfTimeError when a request could not be sent in time), and
 * throws a GitLabApiError that holds no request (and so no token).
 */
export function createGitLabTransport(options: TransportOptions) {
  const now = options.now ?? Date.now;
  const wait = options.wait ?? sleep;
  const fetchImpl = options.fetchImpl ?? fetch;
  const maxAttempts = options.maxAttempts ?? 6;
  const describeFailure = options.describeFailure ?? ((error: unknown, target: URL) => classifyNetworkFailure(error, { target }));

  return async function sendGitLabRequest(endpoint: string, request: GitbeakerRequestOptions): Promise<GitbeakerResponse> {
    const method = request.method ?? 'GET';
    const url = new URL(endpoint, request.prefixUrl?.endsWith('/') ? request.prefixUrl : `${request.prefixUrl}/`);
    url.search = request.searchParams ?? '';
    const label = `${method} ${url.pathname}`;
    const policy = method === 'GET' ? undefined : writePolicy.getStore();
    for (let attempt = 1; ; attempt++) {
      await acquireBy(options.pacer, options.deadline, label);
      if (policy?.sendBy !== undefined && now() > policy.sendBy) {
        options.pacer.release();
        throw new StaleReadError(`${label}: the value was merged from a read that is now too old; reading again before writing`);
      }
      if (options.stats) options.stats.requests++;
      let response: Answer | undefined;
      let failure = new GitLabApiError(`${label} failed`, undefined);
      try {
        // An attempt ends by the deadline too: past it the Lambda would be killed before its summary.
        const timeoutMs = options.deadline === undefined ? options.requestTimeoutMs : Math.min(options.requestTimeoutMs, options.deadline - now());
        response = await fetchWithin(fetchImpl, url, { method, headers: request.headers, body: request.body }, request.signal, timeoutMs);
      } catch (error) {
        if (request.signal?.aborted) throw new GitLabApiError(`${label}: gave up, the overall query timeout was reached`, undefined);
        const cause = await describeFailure(error, url);
        failure = new GitLabNetworkError(`${label} failed: ${cause.reason}`, cause.failure, cause.fix);
        // A certificate, a DNS name or a proxy's refusal does not heal between attempts.
        if (!cause.transient) throw failure;
      } finally {
        options.pacer.release(response);
      }
      if (response) {
        if (response.status >= 200 && response.status < 300) return toGitbeakerResponse(response, label, policy?.once === true);
        failure = new GitLabApiError(`${label} returned ${response.status}: ${describeBody(response.text, response.statusText)}`, response.status, {
          fix: statusFix(response.status, response.headers.get('location')),
        });
        // Sent once: a 429 or another 4xx is a refusal; any 5xx (a CDN's 520/524 too) or a 408 may come after GitLab applied it.
        if (policy?.once) throw response.status >= 500 || response.status === 408 ? mayHaveApplied(failure.message) : failure;
        if (!RETRYABLE_STATUS.has(response.status)) throw failure;
        if (response.status === 429 && options.stats) options.stats.throttled++;
      }
      // No answer at all (a transient network failure): it may have been applied too.
      if (policy?.once) throw mayHaveApplied(failure.message);
      if (attempt >= maxAttempts) throw extended(failure, ` (after ${attempt} attempts)`);
      const delay = retryDelay(response, attempt, now());
      if (options.deadline !== undefined && now() + delay >= options.deadline) {
        // A 429 was refused by GitLab, so nothing happened: the same "not attempted" as a request the pacer could not send.
        if (response?.status === 429) throw new OutOfTimeError(now() + delay, label);
        throw extended(failure, '; no time left to retry');
      }
      if (options.stats) options.stats.retries++;
      await wait(delay);
      if (policy) throw new StaleReadError(`${failure.message}; reading again before retrying the write`);
    }
  };
}

/** The pacer's turn, or OutOfTimeError naming the request when the deadline comes first. */
async function acquireBy(pacer: AdaptivePacer, deadline: number | undefined, label: string): Promise<void> {
  try {
    await pacer.acquire(deadline);
  } catch (error) {
    if (error instanceof OutOfTimeError) throw new OutOfTimeError(error.resumesAt, label);
    throw error;
  }
}

/**
 * A 429 waits for what GitLab asked (Retry-After, else RateLimit-Reset). Anything else backs off on its
 * own schedule, honouring only a Retry-After: gitlab.com puts RateLimit-Reset on every answer, and a 500
 * is no reason to wait for the end of the rate-limit window.
 */
function retryDelay(response: Answer | undefined, attempt: number, nowMs: number): number {
  if (!response) return backoff(attempt);
  const asked = response.status === 429 ? serverDelay(response.headers, nowMs) : retryAfterDelay(response.headers, nowMs);
  return asked ?? backoff(attempt);
}

/** A response read to its end. */
interface Answer {
  status: number;
  statusText: string;
  headers: Headers;
  text: string;
}

/**
 * One attempt, body included, within `timeoutMs`. The timer is cleared as soon as the answer is in:
 * AbortSignal.timeout would keep every request's timer (and what it holds) alive for the full timeout.
 */
async function fetchWithin(fetchImpl: typeof fetch, url: URL, init: RequestInit, outer: AbortSignal | undefined, timeoutMs: number): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException('request timed out', 'TimeoutError')), timeoutMs);
  const forward = () => controller.abort(outer?.reason);
  outer?.addEventListener('abort', forward, { once: true });
  try {
    // Never followed: fetch would carry gitbeaker's private-token header to wherever the redirect points.
    const response = await fetchImpl(url, { ...init, redirect: 'manual', signal: controller.signal });
    const text = response.status === 204 ? '' : await response.text();
    return { status: response.status, statusText: response.statusText, headers: response.headers, text };
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', forward);
  }
}

/** Exponential with full jitter, so many workers retrying at once do not come back in step. */
export function backoff(attempt: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
}

/**
 * A 2xx answer for gitbeaker. JSON that does not parse is refused without JSON.parse's message, which
 * quotes the body (a variable's value, a rotated token); for a request sent once it is an unknown outcome,
 * since GitLab answered 2xx and may well have applied it.
 */
function toGitbeakerResponse(answer: Answer, label: string, once: boolean): GitbeakerResponse {
  const headers = Object.fromEntries(answer.headers.entries());
  const isJson = (answer.headers.get('content-type') ?? '').includes('application/json');
  if (!isJson || !answer.text) return { body: answer.text || null, headers, status: answer.status };
  try {
    return { body: JSON.parse(answer.text), headers, status: answer.status };
  } catch {
    const message = `${label} returned ${answer.status} with a body that is not valid JSON (${answer.text.length} characters)`;
    throw once ? mayHaveApplied(message) : new GitLabApiError(message, answer.status);
  }
}

/** The one error for a request sent once whose outcome cannot be known. */
function mayHaveApplied(message: string): AmbiguousOutcomeError {
  return new AmbiguousOutcomeError(`${message}; it may or may not have been applied`);
}

/** GitLab's `message`/`error` field, or the start of a text body (429s are text/plain). */
function describeBody(body: string, statusText: string): string {
  const text = body.trim();
  try {
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown };
    const detail = parsed.message ?? parsed.error;
    if (detail !== undefined) return typeof detail === 'string' ? detail : JSON.stringify(detail);
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200) || statusText || 'no body';
}

/** The same failure (class, status, fix) with why it was not retried added to its message. */
function extended(failure: GitLabApiError, why: string): GitLabApiError {
  const message = `${failure.message}${why}`;
  if (failure instanceof GitLabNetworkError) return new GitLabNetworkError(message, failure.failure, failure.fix ?? '');
  return new GitLabApiError(message, failure.status, { fix: failure.fix });
}
