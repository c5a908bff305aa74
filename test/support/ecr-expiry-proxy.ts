import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EcrExpiryProxy {
  url: string;
  /** Lifetime of the tokens answered from now on, in seconds (negative: already expired). */
  setTokenLifetime(seconds: number): void;
  stop(): Promise<void>;
}

const GET_AUTHORIZATION_TOKEN = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';

/**
 * A loopback proxy in front of moto. moto answers every ECR GetAuthorizationToken with `expiresAt`
 * 2015-01-01; this rewrites that one field to now + lifetime, as AWS answers (12 hours), and passes every
 * other byte of every request and answer through unchanged, so clients still run the real AWS SDK path.
 */
export async function startEcrExpiryProxy(motoUrl: string, lifetimeSeconds: number): Promise<EcrExpiryProxy> {
  const target = new URL(motoUrl);
  let lifetime = lifetimeSeconds;
  const server: Server = createServer((incoming, outgoing) => {
    const mintsToken = incoming.headers['x-amz-target'] === GET_AUTHORIZATION_TOKEN;
    const upstream = request({ host: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers: incoming.headers }, async (answer) => {
      if (!mintsToken || answer.statusCode !== 200) {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
        return;
      }
      const body = withExpiry(await readAll(answer), Math.floor(Date.now() / 1000) + lifetime);
      outgoing.writeHead(200, { ...answer.headers, 'content-length': String(body.byteLength) }).end(body);
    });
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setTokenLifetime: (seconds) => {
      lifetime = seconds;
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function withExpiry(body: Buffer, expiresAt: number): Buffer {
  const answer = JSON.parse(body.toString('utf8')) as { authorizationData?: Array<{ expiresAt?: number }> };
  for (const entry of answer.authorizationData ?? []) entry.expiresAt = expiresAt;
  return Buffer.from(JSON.stringify(answer));
}

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
