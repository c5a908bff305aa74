import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Check } from '../../src/core/inspect/checks.js';
import { runCliProcess } from '../support/cli-process.js';
import { type ConnectProxy, startConnectProxy } from '../support/connect-proxy.js';
import { motoClientConfig } from '../support/moto.js';
import { SANDBOX_TOKEN, type Sandbox, startSandbox } from '../support/sandbox.js';
import { createTestCa, type TestCa } from '../support/test-pki.js';

/**
 * A self-managed GitLab as teams run it inside a private network: HTTPS with a certificate from an
 * internal CA, under a path (https://host/gitlab), sometimes behind an egress proxy. The built CLI
 * runs refresh and doctor against it, as an operator would.
 */
let ca: TestCa;
let sandbox: Sandbox;
let proxy: ConnectProxy;
const CA_SECRET = 'network/internal-ca';

beforeAll(async () => {
  ca = createTestCa('Example Internal Root CA');
  const server = ca.issue({ commonName: 'gitlab.internal', dns: ['localhost'], ip: ['127.0.0.1'] });
  sandbox = await startSandbox({ serving: { tls: server, pathPrefix: '/gitlab' } });
  writeFileSync(join(dirname(sandbox.configPath), 'internal-ca.pem'), ca.caPem);
  await new SecretsManagerClient(motoClientConfig(sandbox.moto.url)).send(new CreateSecretCommand({ Name: CA_SECRET, SecretString: ca.caPem }));
  proxy = await startConnectProxy();
});
afterAll(async () => {
  await proxy?.stop();
  await sandbox?.stop();
  ca?.dispose();
});
beforeEach(() => {
  sandbox.resetGitLab();
  proxy.tunnels.length = 0;
  proxy.authorizations.length = 0;
  proxy.refuseWith = undefined;
});

/** The sandbox config with extra gitlab settings, written next to the original (relative paths resolve there). */
function configWith(gitlab: Record<string, unknown>, name: string): string {
  const config = structuredClone(sandbox.config) as { gitlab: Record<string, unknown> };
  Object.assign(config.gitlab, gitlab);
  const path = join(dirname(sandbox.configPath), `${name}.yml`);
  writeFileSync(path, stringify(config));
  return path;
}

const cli = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCliProcess(args, { ...sandbox.env, HTTPS_PROXY: '', https_proxy: '', NO_PROXY: '', no_proxy: '', ...env });
const writes = () => sandbox.gitlab.requests.filter((request) => request.method !== 'GET');

describe('GitLab over HTTPS with a certificate from an internal CA, under /gitlab', () => {
  it('serves the API under the path: the URL as a browser opens it is the whole setting', () => {
    expect(sandbox.gitlab.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/gitlab$/);
  });

  it('refresh without the CA fails at once, naming the unknown CA, the certificate and the fix; nothing is sent or written', async () => {
    const run = await cli(['refresh', '--config', sandbox.configPath, '--json']);
    expect(run.code).toBe(1);
    const output = run.stdout + run.stderr;
    expect(output).toContain('is not signed by a certificate authority this tool trusts (UNABLE_TO_VERIFY_LEAF_SIGNATURE)');
    expect(output).toContain('subject CN=gitlab.internal');
    expect(output).toContain('issuer CN=Example Internal Root CA');
    expect(output).toContain('gitlab.caCertificatesFile');
    // Not transient: the first failure is the answer, no retries.
    expect(output).not.toMatch(/after \d+ attempts/);
    expect(sandbox.gitlab.requests).toEqual([]);
    expect(output).not.toContain(SANDBOX_TOKEN);
  });

  it('doctor without the CA fails the GitLab check with the TLS cause in detail and the fix in its own column', async () => {
    const run = await cli(['doctor', '--config', sandbox.configPath, '--json']);
    expect(run.code).toBe(2);
    const { checks } = JSON.parse(run.stdout) as { checks: Check[] };
    expect(checks.find((check) => check.check === 'gitlab-network')).toMatchObject({ status: 'ok', detail: 'direct (no proxy variable applies)' });
    const gitlab = checks.find((check) => check.check === 'gitlab-token');
    expect(gitlab).toMatchObject({ status: 'fail', detail: expect.stringContaining('GitLabNetworkError: GET /gitlab/api/v4/user failed: the TLS certificate of 127.0.0.1:') });
    expect(gitlab?.detail).toContain('issuer CN=Example Internal Root CA');
    expect(gitlab?.fix).toMatch(/^add the CA that issued it with gitlab\.caCertificatesFile/);
  });

  it('refresh with gitlab.caCertificatesFile (relative to the config) merges every target through /gitlab/api/v4', async () => {
    const path = configWith({ caCertificatesFile: 'internal-ca.pem' }, 'with-ca-file');
    const run = await cli(['refresh', '--config', path, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { ok: boolean; targets: Array<{ status: string }> };
    expect(summary.targets.map((target) => target.status)).toEqual(['updated', 'created', 'updated']);
    expect(writes().length).toBeGreaterThan(0);
    expect(sandbox.gitlab.requests.every((request) => request.path.startsWith('/gitlab/api/v4/'))).toBe(true);
  });

  it('doctor with the CA: the extra CA is listed, GitLab answers, and group discovery pages through Link headers under the path', async () => {
    const path = configWith({ caCertificatesFile: 'internal-ca.pem' }, 'with-ca-doctor');
    const run = await cli(['doctor', '--config', path, '--json']);
    const { checks } = JSON.parse(run.stdout) as { checks: Check[] };
    expect(checks.find((check) => check.check === 'gitlab-network')?.detail).toBe('direct (no proxy variable applies); trusts 1 extra CA certificate besides the default ones');
    expect(checks.find((check) => check.check === 'gitlab-ca')).toMatchObject({ subject: 'CN=Example Internal Root CA', status: 'ok' });
    expect(checks.find((check) => check.check === 'gitlab-token')).toMatchObject({ status: 'ok', detail: 'authenticated as refresher-bot (administrator)' });
    // The worker project below the group hides its value: found by listing the group's projects.
    expect(checks.find((check) => check.check === 'shadowing' && check.subject === 'project:platform/backend/worker')).toMatchObject({ status: 'warn' });
    expect(sandbox.gitlab.requests.some((request) => request.path.startsWith('/gitlab/api/v4/groups/') && request.path.includes('/projects'))).toBe(true);
    expect(writes()).toEqual([]);
  });

  it('reads the CA from gitlab.caCertificatesSecretId just as well', async () => {
    const path = configWith({ caCertificatesSecretId: CA_SECRET }, 'with-ca-secret');
    const run = await cli(['refresh', '--config', path, '--json']);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });

  it('validate-config names the field when the CA file holds a private key or nothing usable', async () => {
    const keyFile = join(dirname(sandbox.configPath), 'not-a-ca.pem');
    writeFileSync(keyFile, '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n');
    const withKey = await cli(['validate-config', '--config', configWith({ caCertificatesFile: 'not-a-ca.pem' }, 'with-key')]);
    expect(withKey.code).toBe(2);
    expect(withKey.stderr).toContain('error: gitlab.caCertificatesFile: not-a-ca.pem holds a private key');
    const missing = await cli(['validate-config', '--config', configWith({ caCertificatesFile: 'nowhere.pem' }, 'missing-file')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/error: gitlab\.caCertificatesFile: cannot read .*nowhere\.pem \(ENOENT\); the path is relative to the config file/);
  });
});

describe('GitLab behind an egress proxy (HTTPS_PROXY / NO_PROXY)', () => {
  it('sends GitLab requests through the proxy when HTTPS_PROXY is set, and AWS calls not', async () => {
    const path = configWith({ caCertificatesFile: 'internal-ca.pem' }, 'through-proxy');
    const run = await cli(['refresh', '--config', path, '--json'], { HTTPS_PROXY: proxy.url });
    expect(run.code, run.stderr).toBe(0);
    const gitlabHost = new URL(sandbox.gitlab.url).host;
    expect(proxy.tunnels.length).toBeGreaterThan(0);
    // Only GitLab's host:port: moto (AWS) is reached with the SDK's own settings.
    expect(new Set(proxy.tunnels)).toEqual(new Set([gitlabHost]));
    expect(writes().length).toBeGreaterThan(0);
  });

  it('goes direct when the host is in NO_PROXY', async () => {
    const path = configWith({ caCertificatesFile: 'internal-ca.pem' }, 'no-proxy');
    const run = await cli(['refresh', '--config', path, '--json'], { HTTPS_PROXY: proxy.url, NO_PROXY: 'gitlab.internal,127.0.0.1' });
    expect(run.code, run.stderr).toBe(0);
    expect(proxy.tunnels).toEqual([]);
    expect(sandbox.gitlab.requests.length).toBeGreaterThan(0);
  });

  it('names a proxy that refuses the tunnel (407) with the fix, without the proxy credentials, and does not retry', async () => {
    proxy.refuseWith = 407;
    const path = configWith({ caCertificatesFile: 'internal-ca.pem' }, 'proxy-refuses');
    const run = await cli(['doctor', '--config', path, '--json'], { HTTPS_PROXY: `http://ops:proxy-Secret-1@127.0.0.1:${new URL(proxy.url).port}` });
    const { checks } = JSON.parse(run.stdout) as { checks: Check[] };
    expect(checks.find((check) => check.check === 'gitlab-network')?.detail).toMatch(/^through the proxy http:\/\/127\.0\.0\.1:\d+ \(HTTPS_PROXY\)/);
    const gitlab = checks.find((check) => check.check === 'gitlab-token');
    expect(gitlab).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/the proxy http:\/\/127\.0\.0\.1:\d+ refused to connect to 127\.0\.0\.1:\d+ \(it answered 407 to CONNECT\)/),
    });
    expect(gitlab?.fix).toContain('the proxy wants credentials');
    expect(run.stdout + run.stderr).not.toContain('proxy-Secret-1');
    // The proxy received the credentials, once: the refusal was not retried.
    expect(proxy.authorizations).toEqual([`Basic ${Buffer.from('ops:proxy-Secret-1').toString('base64')}`]);
    expect(sandbox.gitlab.requests).toEqual([]);
  });
});
