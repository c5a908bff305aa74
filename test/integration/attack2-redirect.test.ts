/**
 * Adversarial review 2 (branch `attack2`, outside today's changes): the transport follows redirects, and
 * gitbeaker's token travels in `private-token`, a header fetch keeps across origins. Red on main before the fixes that landed with it (2026-11-30).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { GitLabSelfTokenApi } from '../../src/adapters/gitlab/token-api.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';

const TOKEN = 'glpat-attack2-redirect-0001';
let gitlab: Server;
let elsewhere: Server;
const seen: IncomingHttpHeaders[] = [];

const listen = (server: Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

let gitlabUrl = '';
beforeAll(async () => {
  elsewhere = createServer((request, response) => {
    seen.push(request.headers);
    response.writeHead(200, { 'Content-Type': 'application/json' }).end('{"name":"x","active":true,"revoked":false,"expires_at":null}');
  });
  const otherPort = await listen(elsewhere);
  // GitLab (or whatever answers at gitlab.url) sends every request to another origin.
  gitlab = createServer((request, response) => response.writeHead(302, { Location: `http://localhost:${otherPort}${request.url}` }).end());
  gitlabUrl = `http://127.0.0.1:${await listen(gitlab)}`;
});
afterAll(async () => {
  await new Promise((resolve) => gitlab.close(resolve));
  await new Promise((resolve) => elsewhere.close(resolve));
});

describe('transport: a redirect to another origin', () => {
  it('never carries the GitLab token there', async () => {
    const transport = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 1 }), requestTimeoutMs: 2_000 });
    const api = new GitLabSelfTokenApi({ url: gitlabUrl, token: async () => TOKEN, transport });
    const error = await api.self().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(JSON.stringify(seen)).not.toContain(TOKEN);
    expect(seen).toEqual([]);
    expect(String((error as { fix?: string })?.fix)).toMatch(
      /^GitLab answered with a redirect to http:\/\/localhost:\d+\/api\/v4\/personal_access_tokens\/self, which is never followed/,
    );
  });
});
