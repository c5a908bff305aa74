import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { handler, resetHelperUrlCache } from '../../src/handlers/helper-url.js';
import { createBucket, DEBIAN_HELPER, HELPER_BINARIES, HELPER_VERSION, helperDigest, writeHelperConfig } from '../support/helper-env.js';
import { freePort, type MotoServer, startMoto, useMotoEnv } from '../support/moto.js';
import { describeWithBinaries, itWithBinaries } from '../support/system-tools.js';

const SCRIPT = new URL('../../scripts/runner-userdata.sh', import.meta.url).pathname;
const BUCKET = 'runner-helpers';
const KEY = `docker-credential-ecr-login/${HELPER_VERSION}/linux-amd64/docker-credential-ecr-login`;
/** A published version whose "helper" passes the digest check but does not run: the failed upgrade. */
const BROKEN_VERSION = '0.5.0';
const DROP_IN = 'gitlab-runner.service.d/ecr-credential-helper.conf';

/** Every file and directory under root with its mode and content: what a run may or may not have changed. */
function snapshot(root: string): Record<string, string> {
  const entries: Record<string, string> = {};
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = statSync(path);
      const mode = (stat.mode & 0o777).toString(8);
      if (stat.isDirectory()) {
        entries[path.slice(root.length)] = `dir ${mode}`;
        walk(path);
      } else entries[path.slice(root.length)] = `${mode} ${readFileSync(path, 'utf8')}`;
    }
  };
  walk(root);
  return entries;
}

function listen(server: Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

/** IMDSv2 on loopback: a session token first, then the role and its credentials. */
function fakeImds(): Server {
  return createServer((request, response) => {
    if (request.method === 'PUT' && request.url === '/latest/api/token' && request.headers['x-aws-ec2-metadata-token-ttl-seconds']) return void response.end('imds-session');
    if (request.headers['x-aws-ec2-metadata-token'] !== 'imds-session') return void response.writeHead(401).end();
    if (request.url === '/latest/meta-data/iam/security-credentials/') return void response.end('runner-role');
    if (request.url === '/latest/meta-data/iam/security-credentials/runner-role') {
      return void response.end(
        JSON.stringify({ Code: 'Success', AccessKeyId: 'testing', SecretAccessKey: 'testing', Token: 'instance-session-token', Expiration: '2099-01-01T00:00:00Z' }),
      );
    }
    response.writeHead(404).end();
  });
}

/**
 * The real helper-url handler behind a loopback HTTP server standing in for the Function URL: like
 * AWS_IAM auth, it refuses requests without a SigV4 signature for the lambda service.
 */
function functionUrl(): Server {
  return createServer(async (request: IncomingMessage, response) => {
    const authorization = request.headers.authorization ?? '';
    const signed = /^AWS4-HMAC-SHA256 Credential=testing\/\d{8}\/us-east-1\/lambda\/aws4_request, SignedHeaders=[^,]+, Signature=[0-9a-f]{64}$/.test(authorization);
    if (!signed || request.headers['x-amz-security-token'] !== 'instance-session-token') return void response.writeHead(403).end('{"Message":"Forbidden"}');
    const url = new URL(request.url ?? '/', 'http://local');
    const result = await handler({
      queryStringParameters: Object.fromEntries(url.searchParams),
      headers: request.headers as Record<string, string>,
      requestContext: {
        http: { method: request.method ?? 'GET' },
        authorizer: { iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/runner-role/i-test', accountId: '123456789012' } },
      },
    });
    response.writeHead(result.statusCode, result.headers).end(result.body);
  });
}

describeWithBinaries('scripts/runner-userdata.sh end to end', HELPER_BINARIES, () => {
  let moto: MotoServer;
  let restore: () => void;
  let imds: Server;
  let helperUrl: Server;
  let env: Record<string, string>;
  let digest: string;

  beforeAll(async () => {
    moto = await startMoto();
    restore = useMotoEnv(moto.url);
    process.env.LOG_LEVEL = 'error';
    digest = helperDigest();
    await createBucket(moto.url, BUCKET);
    process.env.REFRESHER_CONFIG = writeHelperConfig(BUCKET, digest);
    resetHelperUrlCache();
    const io = { stdout: () => {}, stderr: () => {}, env: process.env };
    expect(await runCli(['helper', 'publish', '--version', HELPER_VERSION, '--bucket', BUCKET, '--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest], io)).toBe(0);
    const broken = join(mkdtempSync(join(tmpdir(), 'broken-helper-')), 'docker-credential-ecr-login');
    writeFileSync(broken, '#!/bin/sh\nexit 1\n');
    expect(await runCli(['helper', 'publish', '--version', BROKEN_VERSION, '--bucket', BUCKET, '--from-file', broken, '--arch', 'amd64', '--trust-file'], io)).toBe(0);
    imds = fakeImds();
    helperUrl = functionUrl();
    env = {
      IMDS_ENDPOINT: await listen(imds),
      HELPER_URL: await listen(helperUrl),
      AWS_REGION: 'us-east-1',
      HELPER_ARCH: 'amd64',
      SYSTEMCTL: 'true',
      RUNNER_USER: 'gitlab-runner-test',
    };
  });
  afterAll(async () => {
    imds?.close();
    helperUrl?.close();
    restore();
    delete process.env.LOG_LEVEL;
    await moto.stop();
  });

  function hostRoot() {
    const root = mkdtempSync(join(tmpdir(), 'userdata-root-'));
    return {
      root,
      paths: { INSTALL_PREFIX: join(root, 'usr/local/bin'), DOCKER_CONFIG_DIR: join(root, 'home/gitlab-runner/.docker'), SYSTEMD_DIR: join(root, 'etc/systemd/system') },
    };
  }

  /** Runs the script against a host tree under a temporary root; an extra value of undefined unsets that variable. */
  function run(extra: Record<string, string | undefined> = {}, { root, paths } = hostRoot()) {
    const variables = Object.entries({ PATH: process.env.PATH, HOME: root, ...env, ...paths, ...extra }).filter((entry): entry is [string, string] => entry[1] !== undefined);
    return new Promise<{ code: number | null; stdout: string; stderr: string; paths: typeof paths }>((resolve) => {
      const child = spawn('bash', [SCRIPT], { env: Object.fromEntries(variables) });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      child.on('close', (code) => resolve({ code, stdout, stderr, paths }));
    });
  }

  it('installs the helper whose sha256 matches the pinned digest, with config, region drop-in, and a test run', async () => {
    const result = await run();
    expect(result.code, result.stderr).toBe(0);
    const binary = join(result.paths.INSTALL_PREFIX, 'docker-credential-ecr-login');
    expect(createHash('sha256').update(readFileSync(binary)).digest('hex')).toBe(digest);
    expect(statSync(binary).mode & 0o777).toBe(0o755);
    // credHelpers for exactly the hosts the deployment manages, as helper-url lists them.
    expect(JSON.parse(readFileSync(join(result.paths.DOCKER_CONFIG_DIR, 'config.json'), 'utf8'))).toEqual({
      credHelpers: { '111111111111.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' },
    });
    expect(readFileSync(join(result.paths.SYSTEMD_DIR, 'gitlab-runner.service.d/ecr-credential-helper.conf'), 'utf8')).toBe('[Service]\nEnvironment=AWS_REGION=us-east-1\n');
    expect(result.stdout).toContain(`installed docker-credential-ecr-login (sha256 ${digest})`);
  });

  it('writes credHelpers for listed registries, or credsStore when asked to', async () => {
    const listed = await run({ ECR_REGISTRIES: '111111111111.dkr.ecr.us-east-1.amazonaws.com public.ecr.aws' });
    expect(listed.code, listed.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(listed.paths.DOCKER_CONFIG_DIR, 'config.json'), 'utf8'))).toEqual({
      credHelpers: { '111111111111.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login', 'public.ecr.aws': 'ecr-login' },
    });
    const store = await run({ HELPER_MODE: 'credsStore' });
    expect(store.code, store.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(store.paths.DOCKER_CONFIG_DIR, 'config.json'), 'utf8'))).toEqual({ credsStore: 'ecr-login' });
  });

  const EXISTING = { auths: { 'registry.example.com': { auth: 'dXNlcjpwYXNz' } }, credHelpers: { 'gcr.io': 'gcloud' }, HttpHeaders: { 'User-Agent': 'runner' } };

  async function mergeIntoExisting(tool: 'jq' | 'python3', extra: Record<string, string>) {
    const root = mkdtempSync(join(tmpdir(), 'userdata-existing-'));
    const dir = join(root, '.docker');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(EXISTING));
    const result = await run({ DOCKER_CONFIG_DIR: dir, ...extra });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain(`merged into the existing ${join(dir, 'config.json')} with ${tool}`);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toEqual({
      ...EXISTING,
      credHelpers: { 'gcr.io': 'gcloud', '111111111111.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login' },
    });
    const backups = readdirSync(dir).filter((name) => name.startsWith('config.json.bak.'));
    expect(backups).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, backups[0] as string), 'utf8'))).toEqual(EXISTING);
  }

  itWithBinaries('merges into an existing runner config.json with jq, keeping its other keys, and keeps a backup', ['jq'], () => mergeIntoExisting('jq', {}));

  itWithBinaries('merges with python3 on a host without jq, with the same result', ['python3'], () => mergeIntoExisting('python3', { JQ: 'no-such-jq' }));

  it('refuses to replace an existing config.json with neither jq nor python3 to merge, installing nothing', async () => {
    const { root, paths } = hostRoot();
    mkdirSync(paths.DOCKER_CONFIG_DIR, { recursive: true });
    writeFileSync(join(paths.DOCKER_CONFIG_DIR, 'config.json'), JSON.stringify(EXISTING));
    const before = snapshot(root);
    const result = await run({ JQ: 'no-such-jq', PYTHON: 'no-such-python' }, { root, paths });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('exists and neither jq nor python3 is here to merge into it');
    expect(snapshot(root)).toEqual(before);
  });

  it('stops before anything when the runner user does not exist and no DOCKER_CONFIG_DIR is given', async () => {
    const { root, paths } = hostRoot();
    const result = await run({ RUNNER_USER: 'no-such-runner-user', DOCKER_CONFIG_DIR: undefined }, { root, paths });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('user no-such-runner-user does not exist (yet): install GitLab Runner first');
    expect(result.stderr).toContain('or set DOCKER_CONFIG_DIR');
    expect(snapshot(root)).toEqual({});
  });

  it('installs for a runner user that does not exist yet when DOCKER_CONFIG_DIR names the directory', async () => {
    const result = await run({ RUNNER_USER: 'no-such-runner-user' });
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(join(result.paths.DOCKER_CONFIG_DIR, 'config.json'))).toBe(true);
  });

  /** A host where an earlier run installed an older helper, its drop-in and a runner config. */
  function upgradedHost() {
    const host = hostRoot();
    const { INSTALL_PREFIX, DOCKER_CONFIG_DIR, SYSTEMD_DIR } = host.paths;
    for (const dir of [INSTALL_PREFIX, DOCKER_CONFIG_DIR, join(SYSTEMD_DIR, 'gitlab-runner.service.d')]) mkdirSync(dir, { recursive: true });
    writeFileSync(join(INSTALL_PREFIX, 'docker-credential-ecr-login'), '#!/bin/sh\necho previous helper\n');
    chmodSync(join(INSTALL_PREFIX, 'docker-credential-ecr-login'), 0o755);
    writeFileSync(join(SYSTEMD_DIR, DROP_IN), '[Service]\nEnvironment=AWS_REGION=eu-west-1\n');
    writeFileSync(join(DOCKER_CONFIG_DIR, 'config.json'), JSON.stringify(EXISTING));
    return host;
  }

  it('a failed rerun puts back the helper, drop-in and config.json that were there, and leaves nothing of its own', async () => {
    const host = upgradedHost();
    const before = snapshot(host.root);
    const result = await run({ HELPER_VERSION: BROKEN_VERSION }, host);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('docker-credential-ecr-login does not run on this host');
    expect(snapshot(host.root)).toEqual(before);
  });

  it('a failed first run removes every file and directory it created', async () => {
    const { root, paths } = hostRoot();
    const result = await run({ HELPER_VERSION: BROKEN_VERSION }, { root, paths });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('docker-credential-ecr-login does not run on this host');
    expect(snapshot(root)).toEqual({});
  });

  it('a successful rerun replaces the helper and drop-in, keeping only the config.json backup', async () => {
    const host = upgradedHost();
    const result = await run({}, host);
    expect(result.code, result.stderr).toBe(0);
    const { INSTALL_PREFIX, DOCKER_CONFIG_DIR, SYSTEMD_DIR } = host.paths;
    expect(
      createHash('sha256')
        .update(readFileSync(join(INSTALL_PREFIX, 'docker-credential-ecr-login')))
        .digest('hex'),
    ).toBe(digest);
    expect(readFileSync(join(SYSTEMD_DIR, DROP_IN), 'utf8')).toBe('[Service]\nEnvironment=AWS_REGION=us-east-1\n');
    expect(readdirSync(INSTALL_PREFIX)).toEqual(['docker-credential-ecr-login']);
    expect(readdirSync(join(SYSTEMD_DIR, 'gitlab-runner.service.d'))).toEqual(['ecr-credential-helper.conf']);
    expect(readdirSync(DOCKER_CONFIG_DIR).sort()).toEqual(['config.json', expect.stringMatching(/^config\.json\.bak\.\d+$/)]);
  });

  it('puts the original config.json back when a later step fails, and removes what it installed', async () => {
    const root = mkdtempSync(join(tmpdir(), 'userdata-rollback-'));
    const dir = join(root, '.docker');
    mkdirSync(dir);
    const original = JSON.stringify(EXISTING);
    writeFileSync(join(dir, 'config.json'), original);
    const blocked = join(root, 'not-a-directory');
    writeFileSync(blocked, 'a file where the systemd directory should be');
    const result = await run({ DOCKER_CONFIG_DIR: dir, SYSTEMD_DIR: blocked });
    expect(result.code).not.toBe(0);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe(original);
    expect(existsSync(join(result.paths.INSTALL_PREFIX, 'docker-credential-ecr-login'))).toBe(false);
  });

  it('refuses to touch an existing config.json that is not JSON', async () => {
    const root = mkdtempSync(join(tmpdir(), 'userdata-broken-'));
    const dir = join(root, '.docker');
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), '{ not json');
    const result = await run({ DOCKER_CONFIG_DIR: dir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/config.json is not valid JSON; fix or remove it \(nothing was changed\)/);
    expect(readFileSync(join(dir, 'config.json'), 'utf8')).toBe('{ not json');
    expect(existsSync(join(result.paths.INSTALL_PREFIX, 'docker-credential-ecr-login'))).toBe(false);
  });

  it('names both Lambda permissions when the Function URL answers 403', async () => {
    const refusing = createServer((_request, response) => void response.writeHead(403, { 'content-type': 'application/json' }).end('{"Message":"Forbidden"}'));
    try {
      const result = await run({ HELPER_URL: await listen(refusing) });
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('role runner-role needs both lambda:InvokeFunctionUrl and lambda:InvokeFunction');
    } finally {
      refusing.close();
    }
  });

  it('fails on an unknown architecture (400) and installs nothing', async () => {
    const result = await run({ HELPER_ARCH: 'mips' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/helper-url answered 400: .*mips.*is not allowed/);
    expect(existsSync(result.paths.INSTALL_PREFIX)).toBe(false);
  });

  it('fails clearly when IMDS is unreachable', async () => {
    const result = await run({ IMDS_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/cannot reach the instance metadata service/);
    expect(existsSync(result.paths.INSTALL_PREFIX)).toBe(false);
  });

  it('refuses a tampered object: the binary never stays on disk', async () => {
    // Tampered bytes behind the same metadata digest: the service cannot tell, the script's check can.
    const s3 = new S3Client({ forcePathStyle: true });
    const tampered = Buffer.concat([readFileSync(DEBIAN_HELPER), Buffer.from('#tampered')]);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: tampered, Metadata: { sha256: digest } }));
    try {
      const result = await run();
      expect(result.code).not.toBe(0);
      expect(result.stderr).toMatch(/sha256 mismatch: got [0-9a-f]{64}, expected [0-9a-f]{64}; nothing was installed/);
      expect(existsSync(join(result.paths.INSTALL_PREFIX, 'docker-credential-ecr-login'))).toBe(false);
      expect(existsSync(join(result.paths.DOCKER_CONFIG_DIR, 'config.json'))).toBe(false);
    } finally {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: readFileSync(DEBIAN_HELPER), Metadata: { sha256: digest } }));
    }
  });

  itWithBinaries('passes shellcheck', ['shellcheck'], () => {
    const lint = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    expect(lint.status, lint.stdout).toBe(0);
  });

  it('is refused by the Function URL without a SigV4 signature', async () => {
    const response = await fetch(`${env.HELPER_URL}/?arch=amd64`);
    expect(response.status).toBe(403);
  });
});
