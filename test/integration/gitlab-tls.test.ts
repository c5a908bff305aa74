import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitLabNetwork } from '../../src/adapters/gitlab/gitlab-network.js';
import { GitLabApiInspector } from '../../src/adapters/gitlab/inspector.js';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { createGitLabTransport } from '../../src/adapters/gitlab/transport.js';
import { GitLabNetworkError } from '../../src/errors.js';
import { GitLabEmulator, type Serving } from '../support/gitlab-emulator.js';
import { createTestCa, type TestCa } from '../support/test-pki.js';

const TOKEN = 'glpat-tlsTestToken0123456789';
let ca: TestCa;
const emulators: GitLabEmulator[] = [];

async function emulatorServing(serving: Serving): Promise<GitLabEmulator> {
  const emulator = new GitLabEmulator();
  const user = emulator.addUser('bot', { admin: true });
  emulator.addToken(TOKEN, user);
  await emulator.start(serving);
  emulators.push(emulator);
  return emulator;
}

/** The adapters' own path: transport over the GitLab network, as the wiring builds it. */
async function currentUser(url: string, options: { caCertificates?: string[]; env?: NodeJS.ProcessEnv } = {}) {
  const network = await createGitLabNetwork({ url, caCertificates: options.caCertificates ?? [], env: options.env ?? {} });
  let attempts = 0;
  const transport = createGitLabTransport({
    pacer: new AdaptivePacer({ maxConcurrency: 2 }),
    requestTimeoutMs: 5_000,
    fetchImpl: ((input: URL, init: RequestInit) => {
      attempts++;
      return network.fetch(input, init);
    }) as typeof fetch,
    describeFailure: (error) => network.describeFailure(error),
    wait: async () => {},
  });
  const user = await new GitLabApiInspector({ url, token: TOKEN, transport }).currentUser().catch((error: unknown) => error as GitLabNetworkError);
  return { user, attempts };
}

beforeAll(() => {
  ca = createTestCa('Example Internal Root CA');
});
afterAll(async () => {
  await Promise.all(emulators.map((emulator) => emulator.stop()));
  ca.dispose();
});

describe('GitLab over TLS: what the certificate says is named', () => {
  it('trusts a certificate of the extra CA, and only what it trusts: verification stays on', async () => {
    const emulator = await emulatorServing({ tls: ca.issue({ commonName: 'gitlab.internal', ip: ['127.0.0.1'] }) });
    expect((await currentUser(emulator.url, { caCertificates: [ca.caPem] })).user).toMatchObject({ username: 'bot' });
    // Another CA's certificate is refused even though a CA was added: the extra CA adds trust, it switches nothing off.
    const other = createTestCa('Somebody Else CA');
    const foreign = await emulatorServing({ tls: other.issue({ commonName: 'gitlab.internal', ip: ['127.0.0.1'] }) });
    const refused = await currentUser(foreign.url, { caCertificates: [ca.caPem] });
    other.dispose();
    expect(refused.user).toBeInstanceOf(GitLabNetworkError);
    expect(refused.user).toMatchObject({ failure: 'tls-unknown-ca' });
    expect((refused.user as Error).message).toContain('issuer CN=Somebody Else CA');
    expect(foreign.requests).toEqual([]);
  });

  it('names a hostname mismatch, with the names the certificate holds, after one attempt', async () => {
    const emulator = await emulatorServing({ tls: ca.issue({ commonName: 'gitlab.internal', dns: ['gitlab.internal'] }) });
    const { user, attempts } = await currentUser(emulator.url, { caCertificates: [ca.caPem] });
    expect(user).toBeInstanceOf(GitLabNetworkError);
    expect(user).toMatchObject({ failure: 'tls-hostname', fix: expect.stringContaining('a host name the certificate names') });
    expect((user as Error).message).toContain('is not valid for the name 127.0.0.1 (ERR_TLS_CERT_ALTNAME_INVALID); it is valid for DNS:gitlab.internal');
    expect((user as Error).message).toContain('subject CN=gitlab.internal, issuer CN=Example Internal Root CA');
    expect(attempts).toBe(1);
    expect(emulator.requests).toEqual([]);
  });

  it('names an expired certificate, with its subject, issuer and end date, after one attempt', async () => {
    const emulator = await emulatorServing({ tls: ca.issue({ commonName: 'gitlab.internal', ip: ['127.0.0.1'], expired: true }) });
    const { user, attempts } = await currentUser(emulator.url, { caCertificates: [ca.caPem] });
    expect(user).toBeInstanceOf(GitLabNetworkError);
    expect(user).toMatchObject({ failure: 'tls-expired', fix: expect.stringContaining("renew GitLab's certificate") });
    expect((user as Error).message).toMatch(/has expired \(CERT_HAS_EXPIRED\); the certificate: subject CN=gitlab\.internal, issuer CN=Example Internal Root CA, valid until \w+/);
    expect(attempts).toBe(1);
  });

  it('names a proxy nobody listens on, and GitLab was not contacted', async () => {
    const emulator = await emulatorServing({ tls: ca.issue({ commonName: 'gitlab.internal', ip: ['127.0.0.1'] }) });
    const closed = await freePort();
    const { user } = await currentUser(emulator.url, { caCertificates: [ca.caPem], env: { HTTPS_PROXY: `http://127.0.0.1:${closed}` } });
    expect(user).toMatchObject({ failure: 'proxy-unreachable', message: expect.stringContaining(`cannot reach the proxy http://127.0.0.1:${closed} (ECONNREFUSED)`) });
    expect(emulator.requests).toEqual([]);
  });

  it('serves the emulator under a path, with its Link headers under the path too, and 404s outside it', async () => {
    const emulator = await emulatorServing({ pathPrefix: '/gitlab/' });
    expect(emulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/gitlab$/);
    const group = emulator.addGroup('g');
    for (let index = 0; index < 3; index++) emulator.addProject(`g/p${index}`);
    const page = await fetch(`${emulator.url}/api/v4/groups/${group}/projects?per_page=2`, { headers: { 'private-token': TOKEN } });
    expect(page.status).toBe(200);
    expect(page.headers.get('link')).toContain(`<${emulator.url}/api/v4/groups/${group}/projects?per_page=2&page=2>; rel="next"`);
    const outside = await fetch(`${emulator.url.replace('/gitlab', '')}/api/v4/user`, { headers: { 'private-token': TOKEN } });
    expect(outside.status).toBe(404);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
