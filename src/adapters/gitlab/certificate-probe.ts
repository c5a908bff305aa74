import { request } from 'node:http';
import { isIP, type Socket } from 'node:net';
import { connect } from 'node:tls';
import type { CertificateFacts } from './network-errors.js';

/**
 * The certificate a TLS server presents, read only to name it in an error after a request failed
 * verification (node's verification error carries no certificate). The handshake accepts any
 * certificate, so this connection is closed the moment the certificate is read: it never carries a
 * byte of a request, and no token ever goes near it. Requests themselves always verify.
 * Undefined when the server cannot be reached again, or through an https proxy.
 */
export async function readPeerCertificate(target: URL, proxy: URL | undefined, timeoutMs = 5_000): Promise<CertificateFacts | undefined> {
  const port = Number(target.port || 443);
  const host = target.hostname.replace(/^\[|\]$/g, '');
  let tunnel: Socket | undefined;
  if (proxy) {
    if (proxy.protocol !== 'http:') return undefined;
    tunnel = await connectThrough(proxy, `${host.includes(':') ? `[${host}]` : host}:${port}`, timeoutMs);
    if (!tunnel) return undefined;
  }
  return new Promise((resolve) => {
    const socket = connect({ host, port, socket: tunnel, servername: isIP(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs });
    const finish = (facts: CertificateFacts | undefined) => {
      socket.destroy();
      tunnel?.destroy();
      resolve(facts);
    };
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate();
      finish(certificate && Object.keys(certificate).length > 0 ? certificate : undefined);
    });
    socket.once('error', () => finish(undefined));
    socket.once('timeout', () => finish(undefined));
  });
}

/** A CONNECT tunnel through an http proxy, or undefined when the proxy says no. */
function connectThrough(proxy: URL, authority: string, timeoutMs: number): Promise<Socket | undefined> {
  const headers: Record<string, string> = { host: authority };
  if (proxy.username) {
    headers['proxy-authorization'] = `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`;
  }
  return new Promise((resolve) => {
    const connecting = request({ host: proxy.hostname, port: Number(proxy.port || 80), method: 'CONNECT', path: authority, headers, timeout: timeoutMs });
    connecting.once('connect', (response, socket) => {
      if (response.statusCode === 200) return resolve(socket);
      socket.destroy();
      resolve(undefined);
    });
    connecting.once('error', () => resolve(undefined));
    connecting.once('timeout', () => {
      connecting.destroy();
      resolve(undefined);
    });
    connecting.end();
  });
}
