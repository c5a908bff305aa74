import { BlockList, isIP } from 'node:net';

/** How GitLab is reached, from the proxy variables of the environment. */
export type ProxyRoute =
  | { kind: 'direct' }
  | { kind: 'bypassed'; variable: string; entry: string }
  | { kind: 'proxy'; proxy: URL; variable: string }
  | { kind: 'invalid'; variable: string; problem: string };

const DEFAULT_PORTS: Record<string, string> = { 'https:': '443', 'http:': '80' };

/**
 * The proxy for requests to `target`, following the conventions curl and most tools share:
 * `https_proxy`/`HTTPS_PROXY` for https URLs, `http_proxy`/`HTTP_PROXY` for http ones (lower case wins),
 * unless `no_proxy`/`NO_PROXY` lists the host. Pure: the environment is passed in.
 */
export function proxyRoute(target: URL, env: NodeJS.ProcessEnv): ProxyRoute {
  const names = target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY'];
  const variable = names.find((name) => (env[name] ?? '').trim() !== '');
  if (!variable) return { kind: 'direct' };
  const noProxyName = ['no_proxy', 'NO_PROXY'].find((name) => (env[name] ?? '').trim() !== '');
  const entry = noProxyName ? noProxyMatch(target, env[noProxyName] as string) : undefined;
  if (noProxyName && entry) return { kind: 'bypassed', variable: noProxyName, entry };
  const raw = (env[variable] as string).trim();
  const value = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`;
  if (!URL.canParse(value)) return { kind: 'invalid', variable, problem: `${variable} is not a URL such as http://proxy.example.com:3128` };
  const proxy = new URL(value);
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') {
    return { kind: 'invalid', variable, problem: `${variable}: only http:// and https:// proxies are supported, not ${proxy.protocol}//` };
  }
  return { kind: 'proxy', proxy, variable };
}

/**
 * The `NO_PROXY` entry that matches the target, if any. Entries are comma- or space-separated:
 * `*` (everything), a host or IP (`gitlab.internal`, `10.1.2.3`), a domain that also covers its
 * subdomains (`example.com`, `.example.com`, `*.example.com`), any of those with `:port`, or an IPv4/IPv6
 * range (`10.0.0.0/8`) that matches an IP in the URL (names are not resolved for this).
 */
export function noProxyMatch(target: URL, noProxy: string): string | undefined {
  const host = target.hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  const port = target.port || DEFAULT_PORTS[target.protocol] || '';
  return noProxy
    .split(/[\s,]+/)
    .filter(Boolean)
    .find((entry) => entryMatches(entry.toLowerCase(), host, port));
}

function entryMatches(entry: string, host: string, port: string): boolean {
  if (entry === '*') return true;
  const { name, entryPort } = splitPort(entry);
  if (entryPort !== undefined && entryPort !== port) return false;
  if (name.includes('/')) return inRange(name, host);
  const domain = name.replace(/^\*?\./, '').replace(/\.$/, '');
  if (!domain) return false;
  if (host === domain) return true;
  return isIP(host) === 0 && host.endsWith(`.${domain}`);
}

/** `host:port`, `[v6]:port`, or a bare name/address (a bare IPv6 address has colons but no port). */
function splitPort(entry: string): { name: string; entryPort?: string } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(entry);
  if (bracketed) return { name: bracketed[1] as string, entryPort: bracketed[2] };
  const withPort = /^([^:]+):(\d+)$/.exec(entry);
  if (withPort) return { name: withPort[1] as string, entryPort: withPort[2] };
  return { name: entry };
}

function inRange(cidr: string, host: string): boolean {
  const [network, bits] = cidr.split('/');
  const family = isIP(network ?? '');
  if (family === 0 || isIP(host) !== family || !/^\d+$/.test(bits ?? '')) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  const list = new BlockList();
  try {
    list.addSubnet(network as string, Number(bits), type);
  } catch {
    return false;
  }
  return list.check(host, type);
}
