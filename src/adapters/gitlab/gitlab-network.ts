import { readFileSync } from 'node:fs';
import * as tls from 'node:tls';
import { parseCaCertificates } from '../../config/ca-certificates.js';
import { ConfigError } from '../../errors.js';
import { readPeerCertificate } from './certificate-probe.js';
import { type CertificateFacts, classifyNetworkFailure, displayProxy, type NetworkFailureInfo, wantsCertificate } from './network-errors.js';
import { type ProxyRoute, proxyRoute } from './proxy-env.js';

export interface GitLabNetworkOptions {
  /** gitlab.url */
  url: string;
  /** Extra CA certificates (PEM blocks) to trust besides the default ones. */
  caCertificates: readonly string[];
  env: NodeJS.ProcessEnv;
}

/** How this run reaches GitLab: the fetch to use, the route for doctor, and how to name a failure. */
export interface GitLabNetwork {
  fetch: typeof fetch;
  route: ProxyRoute;
  /** One line for doctor: direct, through which proxy, or why the proxy is bypassed. */
  describeRoute(): string;
  describeFailure(error: unknown): Promise<NetworkFailureInfo>;
}

/**
 * The GitLab side of the network, and only it (the AWS SDK keeps its own settings). Without extra CAs
 * and without a proxy this is node's own fetch, unchanged. Otherwise requests go through an undici
 * Agent (or ProxyAgent) of the project's undici, with its own fetch so the two never mix versions:
 * extra CAs are ADDED to node's default ones (which include NODE_EXTRA_CA_CERTS), and certificate
 * verification stays on.
 */
export async function createGitLabNetwork(options: GitLabNetworkOptions): Promise<GitLabNetwork> {
  const target = new URL(options.url);
  const route = proxyRoute(target, options.env);
  if (route.kind === 'invalid') throw new ConfigError([route.problem]);
  const proxy = route.kind === 'proxy' ? route.proxy : undefined;
  let certificate: Promise<CertificateFacts | undefined> | undefined;
  return {
    fetch: proxy || options.caCertificates.length > 0 ? await dispatchingFetch(proxy, options) : fetch,
    route,
    describeRoute: () => describeRoute(route, options.caCertificates.length),
    async describeFailure(error) {
      const first = classifyNetworkFailure(error, { target, proxy });
      if (!wantsCertificate(first)) return first;
      // Once per run: every request in flight fails the same way.
      certificate ??= readPeerCertificate(target, proxy);
      return classifyNetworkFailure(error, { target, proxy, certificate: await certificate });
    },
  };
}

async function dispatchingFetch(proxy: URL | undefined, options: GitLabNetworkOptions): Promise<typeof fetch> {
  const { Agent, ProxyAgent, fetch: undiciFetch } = await import('undici');
  const trust = options.caCertificates.length > 0 ? { ca: trustedCaCertificates(options.caCertificates, options.env) } : {};
  const dispatcher = proxy ? new ProxyAgent({ uri: proxy.href, requestTls: trust, proxyTls: trust }) : new Agent({ connect: trust });
  const viaDispatcher = (input: URL | string, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher });
  return viaDispatcher as unknown as typeof fetch;
}

/**
 * What node trusts by default, then the extra CAs: `tls.getCACertificates('default')` where it exists
 * (node 22.15+, the Lambda runtime), else node's bundled roots plus NODE_EXTRA_CA_CERTS, as node adds them.
 */
export function trustedCaCertificates(extra: readonly string[], env: NodeJS.ProcessEnv): string[] {
  return [...defaultCaCertificates(env), ...extra];
}

function defaultCaCertificates(env: NodeJS.ProcessEnv): string[] {
  const getter = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  if (getter) return getter('default');
  const extraFile = env.NODE_EXTRA_CA_CERTS;
  let extra: string[] = [];
  if (extraFile) {
    try {
      const parsed = parseCaCertificates(readFileSync(extraFile, 'utf8'));
      extra = 'certificates' in parsed ? parsed.certificates : [];
    } catch {
      // node warns about an unreadable NODE_EXTRA_CA_CERTS itself and goes on without it; so does this.
    }
  }
  return [...tls.rootCertificates, ...extra];
}

function describeRoute(route: ProxyRoute, extraCas: number): string {
  const trust = extraCas > 0 ? `; trusts ${extraCas} extra CA certificate${extraCas === 1 ? '' : 's'} besides the default ones` : '';
  if (route.kind === 'proxy') return `through the proxy ${displayProxy(route.proxy)} (${route.variable})${trust}`;
  if (route.kind === 'bypassed') return `direct: the host matches "${route.entry}" in ${route.variable}${trust}`;
  return `direct (no proxy variable applies)${trust}`;
}
