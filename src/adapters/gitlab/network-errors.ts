import type { GitLabNetworkFailure } from '../../errors.js';

/** What a failed connection to GitLab says, in words, with its fix. */
export interface NetworkFailureInfo {
  failure: GitLabNetworkFailure;
  reason: string;
  fix: string;
  /** Worth another attempt: a certificate, a DNS name or a proxy's refusal does not heal in seconds. */
  transient: boolean;
}

/** The parts of a peer certificate the messages name (node's PeerCertificate has these fields). */
export interface CertificateFacts {
  subject?: Record<string, string | string[] | undefined>;
  issuer?: Record<string, string | string[] | undefined>;
  valid_to?: string;
  subjectaltname?: string;
}

export interface FailureContext {
  target: URL;
  /** The proxy the request went through, if any. */
  proxy?: URL;
  /** The certificate GitLab presented, when a TLS failure made the caller look. */
  certificate?: CertificateFacts;
}

const DNS = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME']);
const UNREACHABLE = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENETDOWN']);
const CONNECT_TIMEOUT = new Set(['UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const RESET = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ECONNABORTED']);
const UNKNOWN_CA = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'CERT_UNTRUSTED',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const PROXY_REFUSAL = /Proxy response \((\d{3})\)/;
const DOCS = 'docs/network.md';

/** The error codes along a failure's cause chain (fetch wraps the socket's error in a TypeError). */
function causes(error: unknown): Array<{ code?: string; message: string; cert?: CertificateFacts }> {
  const found: Array<{ code?: string; message: string; cert?: CertificateFacts }> = [];
  let current: unknown = error;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth++) {
    const candidate = current as { code?: unknown; message?: unknown; cert?: CertificateFacts; cause?: unknown; errors?: unknown[] };
    found.push({ code: typeof candidate.code === 'string' ? candidate.code : undefined, message: String(candidate.message ?? ''), cert: candidate.cert });
    // Happy eyeballs (several addresses) fails with an AggregateError of one error per address.
    current = candidate.cause ?? (Array.isArray(candidate.errors) ? candidate.errors[0] : undefined);
  }
  return found;
}

/** `CN=gitlab.example.com, O=Example` from node's subject/issuer objects. */
function distinguishedName(name: CertificateFacts['subject']): string | undefined {
  if (!name) return undefined;
  const parts = Object.entries(name).flatMap(([key, value]) => [value].flat().map((one) => `${key}=${one}`));
  return parts.length > 0 ? parts.join(', ') : undefined;
}

function certificateDetail(certificate: CertificateFacts | undefined): string {
  if (!certificate) return '';
  const subject = distinguishedName(certificate.subject);
  const issuer = distinguishedName(certificate.issuer);
  const parts = [subject && `subject ${subject}`, issuer && `issuer ${issuer}`, certificate.valid_to && `valid until ${certificate.valid_to}`].filter(Boolean);
  return parts.length > 0 ? `; the certificate: ${parts.join(', ')}` : '';
}

/** A proxy URL as it may be shown: never its credentials. */
export function displayProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

/**
 * Names the cause of a request that got no HTTP answer: DNS, routing, TLS or the proxy, each with the
 * fix an operator can apply. Pure: the certificate, when wanted, is looked up by the caller.
 */
export function classifyNetworkFailure(error: unknown, context: FailureContext): NetworkFailureInfo {
  const host = context.target.host;
  const chain = causes(error);
  const code = chain.find((cause) => cause.code && cause.code !== 'UND_ERR_ABORTED')?.code;
  const proxy = context.proxy && displayProxy(context.proxy);
  const refusal = chain.map((cause) => PROXY_REFUSAL.exec(cause.message)).find(Boolean);
  if (proxy && refusal) return proxyRefused(proxy, host, Number(refusal[1]));
  const name = (error as { name?: string } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') {
    return {
      failure: 'timeout',
      reason: 'request timed out',
      fix: 'GitLab answered nothing in time: if it is slow or busy, raise gitlab.requestTimeoutSeconds or lower gitlab.concurrency',
      transient: true,
    };
  }
  // Through a proxy, the function itself connects only to the proxy: socket errors are the proxy's.
  if (proxy && code && (DNS.has(code) || UNREACHABLE.has(code) || CONNECT_TIMEOUT.has(code) || code === 'ECONNREFUSED' || code === 'UND_ERR_PRX_TLS')) {
    return {
      failure: 'proxy-unreachable',
      reason: `cannot reach the proxy ${proxy} (${code})`,
      fix: `check HTTPS_PROXY/HTTP_PROXY (host and port), and that the function's subnets and security group reach the proxy; a GitLab reached directly belongs in NO_PROXY (${DOCS})`,
      transient: !DNS.has(code),
    };
  }
  if (code && DNS.has(code)) {
    return {
      failure: 'dns',
      reason: `cannot resolve ${context.target.hostname} (${code})`,
      fix: `check the host name in gitlab.url; inside a VPC it must resolve with the VPC's DNS (a Route 53 private hosted zone associated with the VPC, or a Resolver rule that forwards the internal domain) (${DOCS})`,
      transient: false,
    };
  }
  if (code === 'ECONNREFUSED') {
    return {
      failure: 'connection-refused',
      reason: `${host} refused the connection (ECONNREFUSED)`,
      fix: 'check the port in gitlab.url and that GitLab (or its load balancer) listens there; a firewall that rejects answers the same way',
      transient: true,
    };
  }
  if (code && UNREACHABLE.has(code)) {
    return {
      failure: 'unreachable',
      reason: `no route to ${host} (${code})`,
      fix: `the function's subnets need a route to GitLab: a NAT gateway for a GitLab on the internet, peering, Transit Gateway or VPN for a private one; check their route tables and network ACLs (${DOCS})`,
      transient: true,
    };
  }
  if (code && CONNECT_TIMEOUT.has(code)) {
    return {
      failure: 'connect-timeout',
      reason: `connecting to ${host} timed out (${code})`,
      fix: `nothing answered: allow outbound TCP to GitLab's port in the function's security group and inbound from the function's subnets at GitLab (security group, firewall), and give the subnets a route to GitLab (NAT gateway for the internet) (${DOCS})`,
      transient: true,
    };
  }
  if (code && UNKNOWN_CA.has(code)) {
    return {
      failure: 'tls-unknown-ca',
      reason: `the TLS certificate of ${host} is not signed by a certificate authority this tool trusts (${code})${certificateDetail(context.certificate)}`,
      fix: `add the CA that issued it with gitlab.caCertificatesFile (a PEM file bundled at deploy) or gitlab.caCertificatesSecretId; if that CA is already there, GitLab is not sending its intermediate certificates: serve the full chain (${DOCS})`,
      transient: false,
    };
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    const certificate = chain.find((cause) => cause.cert)?.cert ?? context.certificate;
    const names = certificate?.subjectaltname ? `; it is valid for ${certificate.subjectaltname}` : '';
    return {
      failure: 'tls-hostname',
      reason: `the TLS certificate of ${host} is not valid for the name ${context.target.hostname} (${code})${names}${certificateDetail(certificate)}`,
      fix: 'use in gitlab.url a host name the certificate names, or have the certificate reissued with this name',
      transient: false,
    };
  }
  if (code && EXPIRED.has(code)) {
    const when = code === 'CERT_HAS_EXPIRED' ? 'has expired' : 'is not valid yet';
    return {
      failure: 'tls-expired',
      reason: `the TLS certificate of ${host} ${when} (${code})${certificateDetail(context.certificate)}`,
      fix: "renew GitLab's certificate; if it is current, check this machine's clock",
      transient: false,
    };
  }
  if (code && (/^(ERR_SSL_|ERR_TLS_|CERT_)/.test(code) || code === 'EPROTO')) {
    return {
      failure: 'tls',
      reason: `TLS with ${host} failed (${code})`,
      fix: "check that gitlab.url's scheme and port are GitLab's HTTPS ones (an https URL on a plain HTTP port fails this way)",
      transient: false,
    };
  }
  if (code && RESET.has(code)) {
    return {
      failure: 'connection-reset',
      reason: `the connection to ${host} closed before an answer (${code})`,
      fix: 'usually passes; if it persists, check what sits between the function and GitLab (proxy, load balancer idle timeouts)',
      transient: true,
    };
  }
  const first = chain.at(-1);
  return {
    failure: 'network',
    reason: `${first?.message || 'network error'}${code ? ` (${code})` : ''}`,
    fix: `check that gitlab.url is reachable from where this runs (${DOCS})`,
    transient: true,
  };
}

function proxyRefused(proxy: string, host: string, status: number): NetworkFailureInfo {
  const fixes: Record<number, string> = {
    407: 'the proxy wants credentials: put them in the proxy URL (http://user:password@proxy:port)',
    403: `allow ${host} on the proxy, or add the host to NO_PROXY if the function reaches GitLab directly`,
  };
  return {
    failure: 'proxy-refused',
    reason: `the proxy ${proxy} refused to connect to ${host} (it answered ${status} to CONNECT)`,
    fix: fixes[status] ?? `the proxy could not reach ${host}: check its logs and rules, or add the host to NO_PROXY if the function reaches GitLab directly (${DOCS})`,
    transient: status >= 500,
  };
}

/** The fix for GitLab's authentication answers and redirects; other statuses carry none. */
export function statusFix(status: number, location?: string | null): string | undefined {
  if (status >= 300 && status < 400) {
    return `GitLab answered with a redirect${redirectTarget(location)}, which is never followed (the token would go with it): set gitlab.url to the address GitLab answers at itself (its external_url)`;
  }
  if (status === 401) return 'the GitLab token is invalid, expired or revoked: create a new one with the api scope and store it in the token secret (or GITLAB_TOKEN)';
  if (status === 403) {
    return 'the token lacks the api scope, or its user lacks the role (Maintainer on projects, Owner on groups, administrator for instance variables)';
  }
  return undefined;
}

/** Where a redirect points, origin and path only (a query could carry anything). */
function redirectTarget(location: string | null | undefined): string {
  if (!location) return '';
  try {
    const target = new URL(location, 'http://relative.invalid');
    return target.hostname === 'relative.invalid' ? ` to ${target.pathname}` : ` to ${target.origin}${target.pathname}`;
  } catch {
    return '';
  }
}

/** TLS failures whose message is better with the certificate GitLab presents. */
export function wantsCertificate(failure: NetworkFailureInfo): boolean {
  return failure.failure === 'tls-unknown-ca' || failure.failure === 'tls-expired';
}
