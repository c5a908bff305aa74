import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryProbe, MANIFEST_MEDIA_TYPES, parseChallenge } from '../../src/adapters/registry/registry-probe.js';
import { freePort } from '../support/moto.js';

const PASSWORD = 'bearer-registry-password';
const REFRESH = 'identity-refresh-token';

/**
 * A registry with token authentication on loopback, as Docker Hub, GitLab's and Harbor's registries
 * answer: GET /v2/ → 401 Bearer challenge, a token service that checks Basic credentials (GET) or an
 * identity token (POST refresh_token grant), and manifests only for a valid Bearer token.
 */
class BearerRegistry {
  readonly seen: Array<{ method: string; path: string; accept?: string; authorization?: string }> = [];
  private server?: Server;

  async start(): Promise<string> {
    const server = createServer((request, response) => void this.handle(request, response));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: import('node:http').ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://registry');
    this.seen.push({ method: request.method ?? '', path: url.pathname + url.search, accept: request.headers.accept, authorization: request.headers.authorization });
    const host = request.headers.host;
    const challenge = `Bearer realm="http://${host}/token",service="registry.test",scope="repository:team/app:pull"`;
    if (url.pathname === '/token') {
      const body = await new Promise<string>((resolve) => {
        let text = '';
        request.on('data', (chunk) => (text += chunk));
        request.on('end', () => resolve(text));
      });
      const basicOk = request.headers.authorization === `Basic ${Buffer.from(`AWS:${PASSWORD}`).toString('base64')}`;
      const form = new URLSearchParams(body);
      const refreshOk = request.method === 'POST' && form.get('grant_type') === 'refresh_token' && form.get('refresh_token') === REFRESH;
      const scopeOk =
        (url.searchParams.get('scope') ?? form.get('scope')) === 'repository:team/app:pull' && (url.searchParams.get('service') ?? form.get('service')) === 'registry.test';
      if ((basicOk || refreshOk) && scopeOk) return void response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'granted-token' }));
      return void response.writeHead(401).end();
    }
    if (request.headers.authorization !== 'Bearer granted-token') return void response.writeHead(401, { 'WWW-Authenticate': challenge }).end();
    if (url.pathname === '/v2/') return void response.writeHead(200).end();
    return void response.writeHead(url.pathname === '/v2/team/app/manifests/v1' ? 200 : 404).end();
  }
}

describe('Class: HttpRegistryProbe', () => {
  const registry = new BearerRegistry();
  let host: string;
  const probe = new HttpRegistryProbe({ timeoutMs: 2_000 });

  beforeAll(async () => {
    host = await registry.start();
  });

  afterAll(() => registry.stop());

  it('follows a Bearer challenge: token for repository:NAME:pull with Basic credentials, then HEAD with the token and Docker’s Accept list', async () => {
    registry.seen.length = 0;
    const answer = await probe.probe({ endpointHost: host, repository: 'team/app', reference: 'v1', credentials: { kind: 'basic', username: 'AWS', password: PASSWORD } });
    expect(answer).toMatchObject({ challenge: 'bearer', manifestStatus: 200 });
    const head = registry.seen.find((request) => request.method === 'HEAD');
    expect(head).toMatchObject({ path: '/v2/team/app/manifests/v1', authorization: 'Bearer granted-token' });
    expect(head?.accept?.split(', ')).toEqual(MANIFEST_MEDIA_TYPES);
    expect(registry.seen.find((request) => request.path.startsWith('/token'))?.path).toContain('account=AWS');
    expect(JSON.stringify(answer)).not.toContain(PASSWORD);
  });

  it('reports the token service refusing a wrong password', async () => {
    const answer = await probe.probe({ endpointHost: host, repository: 'team/app', reference: 'v1', credentials: { kind: 'basic', username: 'AWS', password: 'wrong' } });
    expect(answer).toMatchObject({ challenge: 'bearer', tokenStatus: 401 });
    expect(answer.manifestStatus).toBeUndefined();
  });

  it('trades an identity token with a refresh-token grant, and reports a missing tag as 404', async () => {
    const answer = await probe.probe({
      endpointHost: host,
      repository: 'team/app',
      reference: 'nope',
      credentials: { kind: 'identity-token', username: '<token>', token: REFRESH },
    });
    expect(answer).toMatchObject({ challenge: 'bearer', manifestStatus: 404 });
  });

  it('says why when nothing answers', async () => {
    const answer = await new HttpRegistryProbe({ timeoutMs: 500 }).probe({
      endpointHost: `127.0.0.1:${await freePort()}`,
      repository: 'team/app',
      reference: 'v1',
      credentials: { kind: 'basic', username: 'AWS', password: PASSWORD },
    });
    expect(answer.error).toMatch(/ECONNREFUSED/);
  });

  it('parses challenges', () => {
    expect(parseChallenge('Basic realm="ECR"')).toEqual({ scheme: 'basic', params: { realm: 'ECR' } });
    expect(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io' },
    });
    expect(parseChallenge(null).scheme).toBe('none');
  });
});
