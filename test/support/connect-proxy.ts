import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, isIP, type Socket } from 'node:net';

export interface ConnectProxy {
  url: string;
  /** Every CONNECT target (`host:port`) asked for, in order. */
  readonly tunnels: string[];
  /** Answer every CONNECT with this status instead of tunnelling (403, 407, ...); undefined tunnels. */
  refuseWith?: number;
  /** The Proxy-Authorization headers seen, for credential tests. */
  readonly authorizations: Array<string | undefined>;
  stop(): Promise<void>;
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/**
 * A loopback HTTP CONNECT proxy, like an egress proxy: it tunnels TLS to the target or refuses.
 * It only ever connects to loopback addresses.
 */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((_request, response) => void response.writeHead(405).end('CONNECT only\n'));
  const proxy: ConnectProxy = {
    url: '',
    tunnels: [],
    authorizations: [],
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('connect', (request, client: Socket) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    const target = request.url ?? '';
    proxy.tunnels.push(target);
    proxy.authorizations.push(request.headers['proxy-authorization']);
    const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(target);
    const host = match?.[1] ?? '';
    if (proxy.refuseWith !== undefined || !match || !(LOOPBACK.test(host) || (isIP(host) === 4 && host.startsWith('127.')))) {
      const status = proxy.refuseWith ?? 403;
      client.end(`HTTP/1.1 ${status} Refused\r\nContent-Length: 0\r\n${status === 407 ? 'Proxy-Authenticate: Basic realm="proxy"\r\n' : ''}\r\n`);
      return;
    }
    const upstream = connect(Number(match[2]), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}
