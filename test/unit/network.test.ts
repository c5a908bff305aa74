import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trustedCaCertificates } from '../../src/adapters/gitlab/gitlab-network.js';
import { classifyNetworkFailure, statusFix } from '../../src/adapters/gitlab/network-errors.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { noProxyMatch, proxyRoute } from '../../src/adapters/gitlab/proxy-env.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { parseCaCertificates } from '../../src/config/ca-certificates.js';
import { gitlabOf } from '../../src/config/gitlab-mode.js';
import { loadConfigFile } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/parse.js';
import { type ConfigError, describeError, type GitLabApiError, GitLabNetworkError } from '../../src/errors.js';
import { gitlabCaCertificates } from '../../src/wiring.js';
import { MemorySecretStore } from '../support/builders.js';
import { createTestCa, type TestCa } from '../support/test-pki.js';

const GITLAB = new URL('https://gitlab.example.com/api/v4/user');
/** What node's fetch throws: a TypeError whose cause is the socket's error. */
const fetchFailed = (cause: Record<string, unknown>) => new TypeError('fetch failed', { cause: Object.assign(new Error(String(cause.message ?? 'failed')), cause) });

describe('Function: noProxyMatch', () => {
  const https = (host: string) => new URL(`https://${host}/`);
  it.each([
    ['gitlab.example.com', 'gitlab.example.com', 'gitlab.example.com'],
    ['gitlab.example.com', 'example.com', 'example.com'],
    ['gitlab.example.com', '.example.com', '.example.com'],
    ['gitlab.example.com', '*.example.com', '*.example.com'],
    ['example.com', '.example.com', '.example.com'],
    ['GitLab.Example.COM', 'gitlab.example.com', 'gitlab.example.com'],
    ['gitlab.example.com', 'other.org, gitlab.example.com:443', 'gitlab.example.com:443'],
    ['gitlab.example.com:8443', 'gitlab.example.com:8443', 'gitlab.example.com:8443'],
    ['gitlab.example.com', '*', '*'],
    ['10.1.2.3', '10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3', '10.1.2.3', '10.1.2.3'],
    ['[::1]', '[::1]:443', '[::1]:443'],
    ['[::1]', '::1', '::1'],
  ])('%s is bypassed by NO_PROXY=%s (entry %s)', (host, noProxy, entry) => {
    expect(noProxyMatch(https(host), noProxy)).toBe(entry);
  });

  it.each([
    ['gitlab.example.com', 'example.org'],
    ['gitlab.example.com', 'gitlab.example.com:8443'],
    ['notexample.com', 'example.com'],
    ['gitlab.example.com.evil.org', 'example.com'],
    ['10.1.2.3', '10.0.0.1'],
    ['10.1.2.3', '192.168.0.0/16'],
    ['gitlab.example.com', '10.0.0.0/8'],
    ['11.1.2.3', '1.2.3'],
    ['gitlab.example.com', ''],
  ])('%s is not bypassed by NO_PROXY=%s', (host, noProxy) => {
    expect(noProxyMatch(https(host), noProxy)).toBeUndefined();
  });
});

describe('Function: proxyRoute', () => {
  it('takes https_proxy/HTTPS_PROXY for https URLs (lower case first) and http_proxy/HTTP_PROXY for http ones', () => {
    expect(proxyRoute(GITLAB, { HTTPS_PROXY: 'http://upper:3128', https_proxy: 'http://lower:3128' })).toMatchObject({ kind: 'proxy', variable: 'https_proxy' });
    expect(proxyRoute(GITLAB, { HTTPS_PROXY: 'proxy.internal:3128', HTTP_PROXY: 'http://ignored:1' })).toMatchObject({
      kind: 'proxy',
      variable: 'HTTPS_PROXY',
      proxy: new URL('http://proxy.internal:3128'),
    });
    expect(proxyRoute(new URL('http://gitlab.local/'), { HTTP_PROXY: 'http://p:8080', HTTPS_PROXY: 'http://ignored:1' })).toMatchObject({ kind: 'proxy', variable: 'HTTP_PROXY' });
    expect(proxyRoute(new URL('http://gitlab.local/'), { HTTPS_PROXY: 'http://p:8080' })).toEqual({ kind: 'direct' });
  });

  it('goes direct with no variable, an empty one, or a NO_PROXY match (named for doctor)', () => {
    expect(proxyRoute(GITLAB, {})).toEqual({ kind: 'direct' });
    expect(proxyRoute(GITLAB, { HTTPS_PROXY: '  ' })).toEqual({ kind: 'direct' });
    expect(proxyRoute(GITLAB, { HTTPS_PROXY: 'http://p:3128', no_proxy: 'localhost,.example.com' })).toEqual({ kind: 'bypassed', variable: 'no_proxy', entry: '.example.com' });
  });

  it('refuses a proxy that is not an http(s) URL', () => {
    expect(proxyRoute(GITLAB, { HTTPS_PROXY: 'socks5://p:1080' })).toMatchObject({ kind: 'invalid', problem: expect.stringContaining('only http:// and https:// proxies') });
    expect(proxyRoute(GITLAB, { HTTPS_PROXY: 'http://[bad' })).toMatchObject({ kind: 'invalid', problem: 'HTTPS_PROXY is not a URL such as http://proxy.example.com:3128' });
  });
});

describe('Function: classifyNetworkFailure', () => {
  const classify = (cause: Record<string, unknown>, proxy?: URL) => classifyNetworkFailure(fetchFailed(cause), { target: GITLAB, proxy });

  it.each([
    ['ENOTFOUND', 'dns', false, 'cannot resolve gitlab.example.com (ENOTFOUND)', 'Route 53 private hosted zone'],
    ['EAI_AGAIN', 'dns', false, 'cannot resolve gitlab.example.com (EAI_AGAIN)', 'Route 53 private hosted zone'],
    ['ECONNREFUSED', 'connection-refused', true, 'gitlab.example.com refused the connection (ECONNREFUSED)', 'check the port in gitlab.url'],
    ['EHOSTUNREACH', 'unreachable', true, 'no route to gitlab.example.com (EHOSTUNREACH)', 'NAT gateway'],
    ['UND_ERR_CONNECT_TIMEOUT', 'connect-timeout', true, 'connecting to gitlab.example.com timed out (UND_ERR_CONNECT_TIMEOUT)', 'security group'],
    ['ECONNRESET', 'connection-reset', true, 'the connection to gitlab.example.com closed before an answer (ECONNRESET)', 'usually passes'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'tls-unknown-ca', false, 'is not signed by a certificate authority this tool trusts (SELF_SIGNED_CERT_IN_CHAIN)', 'gitlab.caCertificatesFile'],
    ['UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'tls-unknown-ca', false, 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'serve the full chain'],
    ['CERT_HAS_EXPIRED', 'tls-expired', false, 'the TLS certificate of gitlab.example.com has expired (CERT_HAS_EXPIRED)', "renew GitLab's certificate"],
    ['ERR_SSL_WRONG_VERSION_NUMBER', 'tls', false, 'TLS with gitlab.example.com failed (ERR_SSL_WRONG_VERSION_NUMBER)', 'scheme and port'],
  ])('%s is %s (transient: %s), named in words with its fix', (code, failure, transient, reason, fix) => {
    const info = classify({ code });
    expect(info).toMatchObject({ failure, transient });
    expect(info.reason).toContain(reason);
    expect(info.fix).toContain(fix);
  });

  it('names the certificate it was given: subject, issuer and expiry', () => {
    const info = classifyNetworkFailure(fetchFailed({ code: 'CERT_HAS_EXPIRED' }), {
      target: GITLAB,
      certificate: { subject: { CN: 'gitlab.example.com', O: 'Example' }, issuer: { CN: 'Example CA' }, valid_to: 'Jan  1 00:00:00 2024 GMT' },
    });
    expect(info.reason).toBe(
      'the TLS certificate of gitlab.example.com has expired (CERT_HAS_EXPIRED); the certificate: subject CN=gitlab.example.com, O=Example, issuer CN=Example CA, valid until Jan  1 00:00:00 2024 GMT',
    );
  });

  it('reads a hostname mismatch from the error itself, with the names the certificate holds', () => {
    const info = classify({ code: 'ERR_TLS_CERT_ALTNAME_INVALID', cert: { subject: { CN: 'other.example.com' }, issuer: { CN: 'CA' }, subjectaltname: 'DNS:other.example.com' } });
    expect(info).toMatchObject({ failure: 'tls-hostname', transient: false });
    expect(info.reason).toContain('is not valid for the name gitlab.example.com (ERR_TLS_CERT_ALTNAME_INVALID); it is valid for DNS:other.example.com');
    expect(info.reason).toContain('subject CN=other.example.com');
  });

  it('blames the proxy for socket errors when one is in use, and shows it without credentials', () => {
    const proxy = new URL('http://user:pa55word@proxy.internal:3128');
    const info = classify({ code: 'ECONNREFUSED' }, proxy);
    expect(info).toMatchObject({ failure: 'proxy-unreachable', reason: 'cannot reach the proxy http://proxy.internal:3128 (ECONNREFUSED)' });
    expect(JSON.stringify(info)).not.toContain('pa55word');
    expect(classify({ code: 'ENOTFOUND' }, proxy)).toMatchObject({ failure: 'proxy-unreachable', transient: false });
  });

  it.each([
    [407, false, 'the proxy wants credentials'],
    [403, false, 'add the host to NO_PROXY'],
    [502, true, 'the proxy could not reach gitlab.example.com'],
  ])('names a CONNECT answered %i as the proxy refusing (transient: %s)', (status, transient, fix) => {
    const refusal = Object.assign(new Error(`Proxy response (${status}) !== 200 when HTTP Tunneling`), { code: 'UND_ERR_ABORTED' });
    const info = classifyNetworkFailure(new TypeError('fetch failed', { cause: refusal }), { target: GITLAB, proxy: new URL('http://proxy.internal:3128') });
    expect(info).toMatchObject({
      failure: 'proxy-refused',
      transient,
      reason: `the proxy http://proxy.internal:3128 refused to connect to gitlab.example.com (it answered ${status} to CONNECT)`,
    });
    expect(info.fix).toContain(fix);
  });

  it('finds the code behind happy eyeballs (one error per address) and keeps an unknown failure retryable', () => {
    const aggregate = Object.assign(new AggregateError([Object.assign(new Error('connect ECONNREFUSED ::1:443'), { code: 'ECONNREFUSED' })], 'all failed'), {});
    expect(classifyNetworkFailure(new TypeError('fetch failed', { cause: aggregate }), { target: GITLAB }).failure).toBe('connection-refused');
    expect(classify({ code: 'ESOMETHING', message: 'odd' })).toMatchObject({ failure: 'network', transient: true, reason: 'odd (ESOMETHING)' });
  });

  it('gives 401 and 403 their fix, other statuses none', () => {
    expect(statusFix(401)).toContain('invalid, expired or revoked');
    expect(statusFix(403)).toContain('api scope');
    expect(statusFix(404)).toBeUndefined();
  });
});

describe('Function: createGitLabTransport (network failures)', () => {
  const TOKEN = 'glpat-networkTestToken12345';
  function transportFailing(error: Error) {
    let calls = 0;
    const fetchImpl = (async () => {
      calls++;
      throw error;
    }) as unknown as typeof fetch;
    const waits: number[] = [];
    const send = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 2 }), requestTimeoutMs: 1000, fetchImpl, wait: async (ms) => void waits.push(ms) });
    const call = () => send('user', { method: 'GET', prefixUrl: 'https://gitlab.example.com/gitlab/api/v4', headers: { 'private-token': TOKEN } });
    return { call, calls: () => calls, waits };
  }

  it.each(['ENOTFOUND', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'CERT_HAS_EXPIRED', 'ERR_TLS_CERT_ALTNAME_INVALID'])('does not retry %s: one attempt, no wait', async (code) => {
    const { call, calls, waits } = transportFailing(fetchFailed({ code }));
    const error = await call().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GitLabNetworkError);
    expect((error as Error).message).toMatch(/^GET \/gitlab\/api\/v4\/user failed: /);
    expect((error as Error).message).not.toMatch(/attempts/);
    expect(calls()).toBe(1);
    expect(waits).toEqual([]);
  });

  it('retries a refused connection and keeps its class and fix after the last attempt', async () => {
    const { call, calls } = transportFailing(fetchFailed({ code: 'ECONNREFUSED' }));
    const error = (await call().catch((caught: unknown) => caught)) as GitLabNetworkError;
    expect(calls()).toBe(6);
    expect(error).toBeInstanceOf(GitLabNetworkError);
    expect(error).toMatchObject({
      failure: 'connection-refused',
      message: 'GET /gitlab/api/v4/user failed: gitlab.example.com refused the connection (ECONNREFUSED) (after 6 attempts)',
    });
    expect(describeError(error)).toBe(`GitLabNetworkError: ${error.message} — ${error.fix}`);
    expect(describeError(error)).not.toContain(TOKEN);
  });

  it('puts the fix of a 401 on the error, for doctor and the logs', async () => {
    const fetchImpl = (async () =>
      new Response(JSON.stringify({ message: '401 Unauthorized' }), { status: 401, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;
    const send = createGitLabTransport({ pacer: new AdaptivePacer({ maxConcurrency: 1 }), requestTimeoutMs: 1000, fetchImpl });
    const error = (await send('user', { method: 'GET', prefixUrl: 'https://gitlab.example.com/api/v4' }).catch((caught: unknown) => caught)) as GitLabApiError;
    expect(error).toMatchObject({ status: 401, message: 'GET /api/v4/user returned 401: 401 Unauthorized', fix: expect.stringContaining('invalid, expired or revoked') });
  });
});

describe('Config: gitlab.url shape and extra CA certificates', () => {
  let ca: TestCa;
  let dir: string;
  beforeAll(() => {
    ca = createTestCa();
    dir = mkdtempSync(join(tmpdir(), 'ca-config-'));
  });
  afterAll(() => ca.dispose());

  const base = { registries: [{ name: 'p', regions: ['eu-west-1'] }], targets: [{ group: 'g' }] };
  const problems = (gitlab: Record<string, unknown>) => {
    try {
      validateConfig({ ...base, gitlab });
      return [];
    } catch (error) {
      return (error as ConfigError).problems;
    }
  };

  it('accepts a GitLab under a path, with or without a trailing slash', () => {
    expect(problems({ url: 'https://example.com/gitlab' })).toEqual([]);
    expect(problems({ url: 'https://example.com/gitlab/' })).toEqual([]);
  });

  it('refuses /api/v4, a query, a fragment or credentials in gitlab.url, naming the fix', () => {
    expect(problems({ url: 'https://gitlab.example.com/api/v4' })).toEqual(['gitlab.url: drop /api/v4: the tool adds it (https://gitlab.example.com)']);
    expect(problems({ url: 'https://example.com/gitlab/api/v4/' })).toEqual(['gitlab.url: drop /api/v4: the tool adds it (https://example.com/gitlab)']);
    expect(problems({ url: 'https://gitlab.example.com/?x=1' })).toEqual([expect.stringMatching(/^gitlab\.url: no query or fragment/)]);
    expect(problems({ url: 'https://gitlab.example.com/#top' })).toEqual([expect.stringMatching(/^gitlab\.url: no query or fragment/)]);
    expect(problems({ url: 'https://bot:glpat-x@gitlab.example.com' })).toEqual([expect.stringMatching(/^gitlab\.url: no credentials in the URL/)]);
  });

  it('refuses a caCertificatesPem written in the file: only the loader sets it', () => {
    expect(problems({ url: 'https://gitlab.example.com', caCertificatesPem: ca.caPem })).toEqual(['gitlab.caCertificatesPem: unknown key']);
  });

  it('parses a bundle of certificates and refuses keys, garbage and empty files', () => {
    const bundle = `${ca.caPem}\n${createTestCa('second CA').caPem}`;
    expect(parseCaCertificates(bundle)).toEqual({ certificates: [expect.stringContaining('BEGIN CERTIFICATE'), expect.stringContaining('BEGIN CERTIFICATE')] });
    expect(parseCaCertificates(`${ca.caPem}\n-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----\n`)).toEqual({
      problem: expect.stringContaining('holds a private key'),
    });
    expect(parseCaCertificates('hello')).toEqual({ problem: 'holds no PEM certificate (expected -----BEGIN CERTIFICATE----- blocks)' });
    expect(parseCaCertificates('-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----')).toEqual({
      problem: expect.stringMatching(/^certificate 1 is not a valid X\.509 certificate/),
    });
  });

  it('loads caCertificatesFile relative to the config file, and names the field when it is not a CA bundle', () => {
    writeFileSync(join(dir, 'ca.pem'), ca.caPem);
    writeFileSync(join(dir, 'config.yml'), JSON.stringify({ ...base, gitlab: { url: 'https://gitlab.example.com', caCertificatesFile: 'ca.pem' } }));
    expect(loadConfigFile(join(dir, 'config.yml')).gitlab?.caCertificatesPem).toBe(ca.caPem.trim());
    writeFileSync(join(dir, 'bad.yml'), JSON.stringify({ ...base, gitlab: { url: 'https://gitlab.example.com', caCertificatesFile: 'config.yml' } }));
    expect(() => loadConfigFile(join(dir, 'bad.yml'))).toThrowError('gitlab.caCertificatesFile: config.yml holds no PEM certificate');
  });

  it('checks the CA file at packaging too, with the field path (what serverless package prints)', () => {
    const { loadRefresherConfig } = createRequire(import.meta.url)('../../build/refresher-config.cjs') as {
      loadRefresherConfig: (file: string) => { gitlab: { caCertificatesPem?: string } };
    };
    writeFileSync(join(dir, 'key.pem'), '-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n');
    writeFileSync(join(dir, 'packaged.yml'), JSON.stringify({ ...base, gitlab: { url: 'https://gitlab.example.com', caCertificatesFile: 'key.pem' } }));
    expect(() => loadRefresherConfig(join(dir, 'packaged.yml'))).toThrowError(
      /Invalid refresher config .*packaged\.yml:\n {2}gitlab\.caCertificatesFile: key\.pem holds a private key/,
    );
    writeFileSync(join(dir, 'ca.pem'), ca.caPem);
    writeFileSync(join(dir, 'packaged.yml'), JSON.stringify({ ...base, gitlab: { url: 'https://gitlab.example.com', caCertificatesFile: 'ca.pem' } }));
    expect(loadRefresherConfig(join(dir, 'packaged.yml')).gitlab.caCertificatesPem).toBe(ca.caPem.trim());
  });

  it('adds the secret certificates to the file ones, and names the secret when it holds none', async () => {
    const secrets = new MemorySecretStore();
    await secrets.write('ca', ca.caPem);
    await secrets.write('not-pem', 'hello');
    const loaded = validateConfig({ ...base, gitlab: { url: 'https://g.example.com', caCertificatesFile: 'ca.pem', caCertificatesSecretId: 'ca' } });
    await expect(gitlabCaCertificates(loaded, secrets)).rejects.toThrowError('gitlab.caCertificatesFile: not read');
    const second = createTestCa('file CA').caPem;
    const withFile = { ...loaded, gitlab: { ...gitlabOf(loaded), caCertificatesPem: second } };
    expect(await gitlabCaCertificates(withFile, secrets)).toEqual([second.trim(), ca.caPem.trim()]);
    const wrong = validateConfig({ ...base, gitlab: { url: 'https://g.example.com', caCertificatesSecretId: 'not-pem' } });
    await expect(gitlabCaCertificates(wrong, secrets)).rejects.toThrowError('gitlab.caCertificatesSecretId: secret not-pem holds no PEM certificate');
    const missing = validateConfig({ ...base, gitlab: { url: 'https://g.example.com', caCertificatesSecretId: 'absent' } });
    await expect(gitlabCaCertificates(missing, secrets)).rejects.toThrowError('gitlab.caCertificatesSecretId: secret absent does not exist');
  });
});

describe('Function: trustedCaCertificates', () => {
  it("adds the extra CAs to node's default ones (public roots and NODE_EXTRA_CA_CERTS), replacing none", () => {
    const ca = createTestCa('extra CA');
    const nodeExtra = createTestCa('node extra CA');
    const dir = mkdtempSync(join(tmpdir(), 'node-extra-'));
    writeFileSync(join(dir, 'extra.pem'), nodeExtra.caPem);
    const trusted = trustedCaCertificates([ca.caPem], { NODE_EXTRA_CA_CERTS: join(dir, 'extra.pem') });
    ca.dispose();
    nodeExtra.dispose();
    expect(tls.rootCertificates.length).toBeGreaterThan(100);
    expect(trusted).toEqual(expect.arrayContaining([...tls.rootCertificates, ca.caPem]));
    expect(trusted.at(-1)).toBe(ca.caPem);
    // Node 22.15+ answers from its own startup environment; older node reads the variable as node would.
    if (!('getCACertificates' in tls)) expect(trusted).toContain(nodeExtra.caPem.trim());
  });
});
