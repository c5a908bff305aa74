import type { ProbeAnswer, ProbeCredentials, ProbeRequest, ProbeStep, RegistryProbe } from '../../core/ports.js';

/**
 * What the Docker client accepts for a manifest: the media types registered in the distribution
 * client the Docker CLI vendors (schema2 manifest and list, OCI manifest and index), sent as one
 * Accept header each.
 */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface RegistryProbeOptions {
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/**
 * Asks a registry what the Docker client would: `GET /v2/` without credentials to read the
 * challenge, then with `Basic` credentials, or for a `Bearer` challenge a token from its realm
 * (service and `repository:NAME:pull` scope; ECR answers Basic), then `HEAD` the manifest with
 * Docker's Accept list. HTTPS, falling back to plain HTTP only for loopback hosts (Docker treats
 * 127.0.0.0/8 as an insecure registry by default). Credentials go only into Authorization headers
 * and the token request, never into a step.
 */
export class HttpRegistryProbe implements RegistryProbe {
  private readonly timeoutMs: number;
  private readonly fetchImpl: typeof fetch;

  constructor(options: RegistryProbeOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  async probe(request: ProbeRequest): Promise<ProbeAnswer> {
    const steps: ProbeStep[] = [];
    try {
      const { base, ping } = await this.ping(request.endpointHost, steps);
      const challenge = parseChallenge(ping.status === 200 ? null : ping.headers.get('www-authenticate'));
      const answer: ProbeAnswer = { steps, challenge: challenge.scheme };
      const manifest = `${base}/v2/${request.repository}/manifests/${request.reference}`;
      let authorization: string | undefined;
      if (request.credentials.kind === 'registry-token') authorization = `Bearer ${request.credentials.token}`;
      else if (challenge.scheme === 'basic') authorization = basicHeader(request.credentials);
      else if (challenge.scheme === 'bearer') {
        const token = await this.token(challenge.params, request, steps);
        if ('status' in token) return { ...answer, tokenStatus: token.status };
        authorization = `Bearer ${token.token}`;
      }
      const head = await this.send('HEAD', manifest, steps, { Accept: MANIFEST_MEDIA_TYPES.join(', '), ...(authorization ? { Authorization: authorization } : {}) });
      return { ...answer, manifestStatus: head.status };
    } catch (error) {
      return { steps, error: (error as Error).message };
    }
  }

  private async ping(host: string, steps: ProbeStep[]): Promise<{ base: string; ping: Response }> {
    try {
      return { base: `https://${host}`, ping: await this.send('GET', `https://${host}/v2/`, steps) };
    } catch (error) {
      if (!isLoopback(host)) throw error;
      return { base: `http://${host}`, ping: await this.send('GET', `http://${host}/v2/`, steps) };
    }
  }

  private async token(params: Record<string, string>, request: ProbeRequest, steps: ProbeStep[]): Promise<{ token: string } | { status: number }> {
    const realm = params.realm;
    if (!realm) throw new Error('the registry asked for a Bearer token without a realm');
    const url = new URL(realm);
    const scope = `repository:${request.repository}:pull`;
    const credentials = request.credentials;
    let response: Response;
    if (credentials.kind === 'identity-token') {
      // Docker trades an identity token for an access token with an OAuth2 refresh-token grant.
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: credentials.token, service: params.service ?? '', scope, client_id: 'docker' });
      response = await this.send(
        'POST',
        url.toString(),
        steps,
        { 'Content-Type': 'application/x-www-form-urlencoded' },
        form.toString(),
        `token (service=${params.service ?? ''}, scope=${scope})`,
      );
    } else {
      if (params.service) url.searchParams.set('service', params.service);
      url.searchParams.set('scope', scope);
      if (credentials.kind === 'basic' && credentials.username) url.searchParams.set('account', credentials.username);
      const headers: Record<string, string> = credentials.kind === 'basic' ? { Authorization: basicHeader(credentials) } : {};
      response = await this.send('GET', url.toString(), steps, headers, undefined, `token (service=${params.service ?? ''}, scope=${scope})`);
    }
    if (response.status !== 200) return { status: response.status };
    const body = (await response.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new Error('the token service answered 200 without a token');
    return { token };
  }

  private async send(method: string, url: string, steps: ProbeStep[], headers: Record<string, string> = {}, body?: string, label?: string): Promise<Response> {
    const step: ProbeStep = { request: `${method} ${label ? `${new URL(url).origin}${new URL(url).pathname} ${label}` : url}` };
    steps.push(step);
    try {
      const response = await this.fetchImpl(url, { method, headers, body, redirect: 'follow', signal: AbortSignal.timeout(this.timeoutMs) });
      step.status = response.status;
      const error = response.headers.get('www-authenticate');
      if (response.status === 401 && error) step.detail = `WWW-Authenticate: ${error}`;
      return response;
    } catch (error) {
      step.detail = networkReason(error);
      throw new Error(`${method} ${url}: ${step.detail}`);
    }
  }
}

function basicHeader(credentials: ProbeCredentials): string {
  const username = credentials.kind === 'registry-token' ? '' : credentials.username;
  const password = credentials.kind === 'basic' ? credentials.password : credentials.token;
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/** `Bearer realm="…",service="…",scope="…"` or `Basic realm="…"`. */
export function parseChallenge(header: string | null): { scheme: 'none' | 'basic' | 'bearer' | 'other'; params: Record<string, string> } {
  if (header === null) return { scheme: 'none', params: {} };
  const [scheme = '', ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  for (const match of rest.join(' ').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) params[(match[1] as string).toLowerCase()] = match[2] as string;
  const lower = scheme.toLowerCase();
  return { scheme: lower === 'basic' ? 'basic' : lower === 'bearer' ? 'bearer' : 'other', params };
}

function isLoopback(host: string): boolean {
  const name = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return name === 'localhost' || name === '::1' || /^127\.\d+\.\d+\.\d+$/.test(name);
}

function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return 'network error';
  if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
  // undici's "fetch failed" carries the reason (ECONNREFUSED, a TLS error, "bad port") in its cause.
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (cause?.code) return `${cause.message ?? error.message} (${cause.code})`;
  return cause?.message ? `${error.message}: ${cause.message}` : error.message;
}
