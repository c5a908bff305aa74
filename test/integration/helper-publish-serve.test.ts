import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { handler, resetHelperUrlCache } from '../../src/handlers/helper-url.js';
import { createBucket, DEBIAN_HELPER, HELPER_BINARIES, HELPER_VERSION, helperDigest, writeHelperConfig } from '../support/helper-env.js';
import { type MotoServer, startMoto, useMotoEnv } from '../support/moto.js';
import { describeWithBinaries } from '../support/system-tools.js';

const KEY = `docker-credential-ecr-login/${HELPER_VERSION}/linux-amd64/docker-credential-ecr-login`;
/** What S3 answers a HeadObject for a key that was never uploaded (moto unreachable would be another error). */
const NOT_FOUND = { name: 'NotFound', $metadata: { httpStatusCode: 404 } };

describeWithBinaries('helper publish → helper-url (moto S3, the Debian helper binary)', HELPER_BINARIES, () => {
  let moto: MotoServer;
  let restore: () => void;
  let digest: string;
  let s3: S3Client;
  let bucket = 'helpers';
  const out: string[] = [];
  const err: string[] = [];
  const io = () => ({ stdout: (t: string) => out.push(t), stderr: (t: string) => err.push(t), env: process.env });
  const publish = (...args: string[]) => runCli(['helper', 'publish', '--version', HELPER_VERSION, '--bucket', bucket, ...args], io());
  const event = (query: Record<string, string>, extra: Record<string, unknown> = {}) => ({
    queryStringParameters: query,
    headers: {},
    requestContext: {
      requestId: 'r1',
      http: { method: 'GET', sourceIp: '10.0.0.1' },
      authorizer: { iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/runner/i-0abc', accountId: '123456789012' } },
    },
    ...extra,
  });

  beforeAll(async () => {
    moto = await startMoto();
    restore = useMotoEnv(moto.url);
    process.env.LOG_LEVEL = 'error';
    digest = helperDigest();
    s3 = new S3Client({ forcePathStyle: true });
  });
  afterAll(async () => {
    restore();
    delete process.env.LOG_LEVEL;
    await moto.stop();
  });
  beforeEach(async () => {
    bucket = `helpers-${Math.random().toString(36).slice(2, 8)}`;
    await createBucket(moto.url, bucket);
    out.length = 0;
    err.length = 0;
    process.env.REFRESHER_CONFIG = writeHelperConfig(bucket, digest);
    resetHelperUrlCache();
  });

  it('refuses a file with no digest to check, uploading nothing', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64')).toBe(1);
    expect(err.join('')).toMatch(/no pinned digest for this version; pass --sha256.*\nnothing was uploaded/s);
    await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }))).rejects.toMatchObject(NOT_FOUND);
  });

  it('refuses a wrong --sha256', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', '0'.repeat(64))).toBe(1);
    expect(err.join('')).toContain('does not match the --sha256 digest');
  });

  it('publishes with SSE, digest metadata and a sha256sum file; republishing is a no-op; another digest needs --force', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }));
    expect(head.Metadata?.sha256).toBe(digest);
    expect(head.ServerSideEncryption).toBe('AES256');
    const sums = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${KEY}.sha256` }))).Body?.transformToString();
    expect(sums).toBe(`${digest}  docker-credential-ecr-login\n`);

    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    expect(out.join('')).toContain('already published with this digest');

    const other = '/bin/true';
    expect(await publish('--from-file', other, '--arch', 'amd64', '--trust-file')).toBe(1);
    expect(err.join('')).toContain('already published with a different digest');
    expect(await publish('--from-file', other, '--arch', 'amd64', '--trust-file', '--force')).toBe(0);
  });

  it('--force repairs bytes swapped under intact metadata, and reads them back; without it the damage is refused', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    const tampered = Buffer.concat([readFileSync(DEBIAN_HELPER), Buffer.from('#tampered')]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: tampered, Metadata: { sha256: digest } }));
    const servedBytes = async () => {
      const answer = await handler(event({ arch: 'amd64', format: 'json' }));
      expect(answer.statusCode).toBe(200);
      const served = JSON.parse(answer.body) as { url: string; sha256: string };
      return {
        claimed: served.sha256,
        actual: createHash('sha256')
          .update(Buffer.from(await (await fetch(served.url)).arrayBuffer()))
          .digest('hex'),
      };
    };
    // helper-url checks metadata only, so it hands out the swapped bytes: what the runner's own check catches.
    expect((await servedBytes()).actual).not.toBe(digest);

    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(1);
    expect(err.join('')).toContain('linux-amd64: the stored copy is damaged or was tampered with: its bytes have sha256');
    expect(err.join('')).toContain('pass --force to upload it again');

    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest, '--force')).toBe(0);
    expect(out.join('')).toContain(`published ${HELPER_VERSION} linux-amd64 sha256 ${digest} (linux-amd64: repairing (--force): its bytes have sha256`);
    expect(out.join('')).toContain('read back: bytes, metadata and .sha256 agree');
    expect(await servedBytes()).toEqual({ claimed: digest, actual: digest });
    // Repaired: a plain publish now finds nothing to do.
    out.length = 0;
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    expect(out.join('')).toContain('already published with this digest (bytes, metadata and .sha256 checked)');
  });

  describe('downloading the release (a loopback server stands in for the release bucket)', () => {
    let server: Server;
    let sha256File = '';
    beforeAll(async () => {
      server = createServer((request, response) => {
        if (request.url === `/${HELPER_VERSION}/linux-amd64/docker-credential-ecr-login`) return void response.end(readFileSync(DEBIAN_HELPER));
        if (request.url === `/${HELPER_VERSION}/linux-amd64/docker-credential-ecr-login.sha256`) return void response.end(sha256File);
        response.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      process.env.HELPER_RELEASES_URL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => {
      delete process.env.HELPER_RELEASES_URL;
      server.close();
    });

    it('downloads with progress, checks --sha256 and the release .sha256, then uploads', async () => {
      sha256File = `${digest}  docker-credential-ecr-login\n`;
      expect(await publish('--arch', 'amd64', '--sha256', digest)).toBe(0);
      expect(err.join('')).toMatch(/downloading linux-amd64: \d+% of [\d.]+ MB/);
      expect(err.join('')).toContain('downloaded linux-amd64');
      expect((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }))).Metadata?.sha256).toBe(digest);
    });

    it('refuses when the release .sha256 disagrees with the bytes, uploading nothing', async () => {
      sha256File = `${'c'.repeat(64)}  docker-credential-ecr-login\n`;
      expect(await publish('--arch', 'amd64', '--sha256', digest)).toBe(1);
      expect(err.join('')).toContain("does not match the release's .sha256");
      await expect(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: KEY }))).rejects.toMatchObject(NOT_FOUND);
    });

    it('does not trust the release .sha256 alone', async () => {
      sha256File = `${digest}  docker-credential-ecr-login\n`;
      expect(await publish('--arch', 'amd64')).toBe(1);
      expect(err.join('')).toMatch(/no pinned digest for this version; pass --sha256/);
    });

    it('uses a digest pinned in the config', async () => {
      sha256File = '';
      expect(await publish('--arch', 'amd64', '--config', process.env.REFRESHER_CONFIG as string)).toBe(0);
      expect(out.join('')).toContain(`published ${HELPER_VERSION} linux-amd64 sha256 ${digest}`);
    });
  });

  it('serves a 302 to a presigned URL with the checksum, or JSON; the bytes behind it are the binary', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    const redirect = await handler(event({ arch: 'amd64' }));
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers['X-Checksum-Sha256']).toBe(digest);
    const location = new URL(redirect.headers.Location as string);
    expect(location.pathname).toBe(`/${bucket}/${KEY}`);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    const bytes = Buffer.from(await (await fetch(location)).arrayBuffer());
    expect(bytes.equals(readFileSync(DEBIAN_HELPER))).toBe(true);

    const json = await handler(event({ arch: 'amd64', format: 'json' }), { invokedFunctionArn: 'arn:aws:lambda:us-east-1:444444444444:function:helper' });
    expect(JSON.parse(json.body)).toMatchObject({ sha256: digest, version: HELPER_VERSION, arch: 'amd64', url: expect.stringContaining(KEY) });
    // The hosts a runner's credHelpers needs: the config's registries (accountId given here).
    expect(JSON.parse(json.body).hosts).toEqual(['111111111111.dkr.ecr.us-east-1.amazonaws.com']);
  });

  it('counts every answer by status for the dashboard (EMF), never logging the URL', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    process.env.LOG_LEVEL = 'info';
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    let url = '';
    try {
      url = JSON.parse((await handler(event({ arch: 'amd64', format: 'json' }))).body).url;
      await handler(event({ arch: 'mips' }));
    } finally {
      spy.mockRestore();
      process.env.LOG_LEVEL = 'error';
    }
    const records = lines.map((line) => JSON.parse(line)).filter((line) => line._aws);
    expect(records.map((record) => [record.Status, record.HelperRequests])).toEqual([
      ['200', 1],
      ['400', 1],
    ]);
    expect(records[0]._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service', 'Stage', 'Status']]);
    expect(lines.join('')).not.toContain(new URL(url).searchParams.get('X-Amz-Signature') as string);
  });

  it('answers 400 for what is not allowed, 404 for what is not published, 405 for other methods', async () => {
    expect((await handler(event({ arch: 'mips' }))).statusCode).toBe(400);
    expect(JSON.parse((await handler(event({ arch: 'amd64', version: '9.9.9' }))).body).error).toMatch(/not allowed/);
    expect((await handler(event({ arch: 'amd64', version: '0.5.0' }))).statusCode).toBe(404);
    const post = await handler({ ...event({ arch: 'amd64' }), requestContext: { http: { method: 'POST' } } });
    expect(post.statusCode).toBe(405);
    expect(post.headers.Allow).toBe('GET');
  });

  it('refuses to serve an object whose digest no longer matches the pin, and logs who asked', async () => {
    expect(await publish('--from-file', DEBIAN_HELPER, '--arch', 'amd64', '--sha256', digest)).toBe(0);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: KEY, Body: 'evil', Metadata: { sha256: 'f'.repeat(64) } }));
    process.env.LOG_LEVEL = 'info';
    const lines: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const answer = await handler(event({ arch: 'amd64' }));
      expect(answer.statusCode).toBe(409);
    } finally {
      spy.mockRestore();
      process.env.LOG_LEVEL = 'error';
    }
    const log = JSON.parse(lines.find((line) => line.includes('helper request refused')) as string);
    expect(log).toMatchObject({ callerArn: 'arn:aws:sts::123456789012:assumed-role/runner/i-0abc', status: 409 });
  });
});
