import { describe, expect, it } from 'vitest';
import { AdaptivePacer, serverDelay } from '../../src/adapters/gitlab/pacer.js';
import { createGitLabTransport, writePolicy } from '../../src/adapters/gitlab/transport.js';
import { AmbiguousOutcomeError, GitLabApiError, OutOfTimeError } from '../../src/errors.js';

const TOKEN = 'glpat-transportTestToken1234';

function scripted(responses: Array<Response | Error>) {
  const seen: Array<{ url: string; headers: Record<string, string> | undefined }> = [];
  const fetchImpl = (async (url: URL, init: RequestInit) => {
    seen.push({ url: String(url), headers: init.headers as Record<string, string> });
    const next = responses.shift();
    if (!next) throw new Error('no more scripted responses');
    if (next instanceof Error) throw next;
    return next;
  }) as unknown as typeof fetch;
  return { fetchImpl, seen };
}

function setup(responses: Array<Response | Error>, options: { deadline?: number; now?: () => number } = {}) {
  let pacerNow = 0;
  const waits: number[] = [];
  const { fetchImpl, seen } = scripted(responses);
  const stats = { requests: 0, retries: 0, throttled: 0 };
  const send = createGitLabTransport({
    // The pacer keeps its own fake clock: its pauses pass at once, the transport's waits are what is checked.
    pacer: new AdaptivePacer({ maxConcurrency: 4, now: () => pacerNow, wait: async (ms) => void (pacerNow += ms) }),
    requestTimeoutMs: 1000,
    fetchImpl,
    wait: async (ms) => {
      waits.push(ms);
    },
    stats,
    now: options.now,
    deadline: options.deadline,
  });
  const call = () => send('projects/1/variables/X', { method: 'GET', prefixUrl: 'https://gitlab.example.com/api/v4', headers: { 'private-token': TOKEN } });
  return { call, waits, seen, stats };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });
const text429 = (headers: Record<string, string>) => new Response('Retry later\n', { status: 429, headers: { 'content-type': 'text/plain', ...headers } });

describe('Function: createGitLabTransport', () => {
  it('retries a text/plain 429 after the Retry-After the server asked for', async () => {
    const { call, waits, stats } = setup([text429({ 'retry-after': '7' }), json(200, { key: 'X' })]);
    const response = await call();
    expect(response.body).toEqual({ key: 'X' });
    expect(waits).toEqual([7000]);
    expect(stats).toEqual({ requests: 2, retries: 1, throttled: 1 });
  });

  it('falls back to RateLimit-Reset when there is no Retry-After', async () => {
    const now = () => 1_000_000;
    const { call, waits } = setup([text429({ 'ratelimit-reset': String(1_000_000 / 1000 + 12) }), json(200, {})], { now });
    await call();
    expect(waits).toEqual([12_000]);
  });

  it.each([500, 502, 503, 504])('retries %i with growing backoff', async (status) => {
    const { call, waits } = setup([json(status, { message: 'x' }), json(status, { message: 'x' }), json(200, {})]);
    await call();
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThanOrEqual(250);
    expect(waits[1]).toBeGreaterThanOrEqual(500);
  });

  it('retries a dropped connection', async () => {
    const { call, stats } = setup([new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }), json(200, { ok: 1 })]);
    await expect(call()).resolves.toMatchObject({ body: { ok: 1 } });
    expect(stats.retries).toBe(1);
  });

  it("does not retry a 4xx and reports GitLab's message with the status", async () => {
    const { call, stats } = setup([json(404, { message: '404 Variable Not Found' })]);
    const error = await call().catch((caught) => caught);
    expect(error).toBeInstanceOf(GitLabApiError);
    expect(error).toMatchObject({ status: 404, message: 'GET /api/v4/projects/1/variables/X returned 404: 404 Variable Not Found' });
    expect(stats.requests).toBe(1);
  });

  it('renders structured validation errors as JSON', async () => {
    const { call } = setup([json(400, { message: { value: ['is invalid'] } })]);
    await expect(call()).rejects.toThrowError('returned 400: {"value":["is invalid"]}');
  });

  it('gives up after the attempt limit', async () => {
    const { call } = setup(Array.from({ length: 6 }, () => json(503, { message: 'down' })));
    await expect(call()).rejects.toThrowError(/503: down \(after 6 attempts\)/);
  });

  it('does not start a retry that would end after the deadline', async () => {
    const { call, waits } = setup([text429({ 'retry-after': '60' })], { deadline: 30_000, now: () => 0 });
    await expect(call()).rejects.toBeInstanceOf(OutOfTimeError);
    expect(waits).toEqual([]);
  });

  it('sends the token only as a header, and never puts it in an error', async () => {
    const { call, seen } = setup([json(401, { message: '401 Unauthorized' })]);
    const error = (await call().catch((caught) => caught)) as Error;
    expect(seen[0]?.headers?.['private-token']).toBe(TOKEN);
    expect(JSON.stringify({ message: error.message, stack: error.stack, cause: String(error.cause) })).not.toContain(TOKEN);
  });
});

describe('Function: serverDelay', () => {
  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(serverDelay(new Headers({ 'retry-after': '3' }), 0)).toBe(3000);
    expect(serverDelay(new Headers({ 'retry-after': new Date(10_000).toUTCString() }), 4_000)).toBe(6000);
    expect(serverDelay(new Headers(), 0)).toBeUndefined();
  });

  describe('a request sent once (token rotate)', () => {
    const rotate = (responses: Array<Response | Error>) => {
      const { fetchImpl, seen } = scripted(responses);
      const send = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 4 }), requestTimeoutMs: 1000, fetchImpl, wait: async () => {} });
      const call = () =>
        writePolicy.run({ once: true }, () =>
          send('personal_access_tokens/self/rotate', { method: 'POST', prefixUrl: 'https://gitlab.example.com/api/v4', headers: { 'private-token': TOKEN } }),
        );
      return { call, seen };
    };

    it.each([
      ['a dropped connection', () => new TypeError('fetch failed')],
      ['a 502', () => json(502, { message: '502 Bad Gateway' })],
      ['a 500', () => json(500, { message: '500 Internal Server Error' })],
    ])('is never repeated after %s, and says the outcome is unknown', async (_what, answer) => {
      const { call, seen } = rotate([answer(), json(200, { token: 'never-reached' })]);
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(AmbiguousOutcomeError);
      expect((error as Error).message).toMatch(/^POST \/api\/v4\/personal_access_tokens\/self\/rotate .*; it may or may not have been applied$/);
      expect(seen).toHaveLength(1);
    });

    it('is a plain refusal, not repeated either, after a 429 (throttled before GitLab does anything)', async () => {
      const { call, seen } = rotate([text429({ 'retry-after': '1' }), json(200, { token: 'never-reached' })]);
      const error = await call().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(GitLabApiError);
      expect(error).not.toBeInstanceOf(AmbiguousOutcomeError);
      expect((error as GitLabApiError).status).toBe(429);
      expect(seen).toHaveLength(1);
    });
  });
});
