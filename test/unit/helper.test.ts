import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3HelperStore } from '../../src/adapters/aws/s3-helper-store.js';
import { validateConfig } from '../../src/config/parse.js';
import { checksumKey, helperKey, parseSha256File, pinnedDigest, sha256sumLine } from '../../src/core/helper/artifacts.js';
import { decidePublish } from '../../src/core/helper/publish-plan.js';
import { HelperRequestError, parseHelperRequest } from '../../src/core/helper/request.js';
import { ConfigError } from '../../src/errors.js';
import { aConfig } from '../support/builders.js';

const D1 = 'a'.repeat(64);
const D2 = 'b'.repeat(64);
const helper = aConfig({ helper: { bucket: 'helpers.example', versions: ['0.12.0', '0.11.0'], defaultVersion: '0.12.0', digests: { '0.12.0': { amd64: D1 } } } })
  .helper as NonNullable<ReturnType<typeof aConfig>['helper']>;

describe('Function: parseHelperRequest', () => {
  it('defaults the version and reads JSON from Accept or format=json', () => {
    expect(parseHelperRequest({ arch: 'arm64' }, undefined, helper)).toEqual({ version: '0.12.0', arch: 'arm64', json: false });
    expect(parseHelperRequest({ arch: 'amd64', version: '0.11.0' }, 'application/json', helper)).toEqual({ version: '0.11.0', arch: 'amd64', json: true });
    expect(parseHelperRequest({ arch: 'amd64', format: 'json' }, undefined, helper).json).toBe(true);
  });

  it.each([
    [{}, /arch is required/],
    [{ arch: 'x86' }, /arch "x86" is not allowed/],
    [{ arch: 'amd64', version: '0.1.0' }, /version "0.1.0" is not allowed/],
    [{ arch: 'amd64', version: '../../etc/passwd' }, /is not allowed/],
    [{ arch: 'amd64', key: 'secret/other' }, /unknown query parameter key/],
    [{ arch: 'amd64', format: 'xml' }, /format must be json/],
  ])('refuses %j with 400', (query, message) => {
    try {
      parseHelperRequest(query, undefined, helper);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(HelperRequestError);
      expect((error as HelperRequestError).statusCode).toBe(400);
      expect((error as Error).message).toMatch(message);
    }
  });
});

describe('Presigned helper URL', () => {
  const client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret-example-key' } });
  const store = new S3HelperStore('helper-bucket', client);

  it("signs exactly the helper key, for the configured lifetime, with the function region's scope", async () => {
    const url = new URL(await store.presignGet(helperKey('0.12.0', 'amd64'), 300));
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('helper-bucket.s3.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/docker-credential-ecr-login/0.12.0/linux-amd64/docker-credential-ecr-login');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/^AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request$/);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('honours a longer configured expiry up to the maximum', async () => {
    const url = new URL(await store.presignGet(helperKey('0.11.0', 'arm64'), 3600));
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.pathname).toContain('/0.11.0/linux-arm64/');
  });

  it('cannot be configured beyond 3600 seconds', () => {
    expect(() => validateConfig({ ...aConfig(), helper: { bucket: 'b-b-b', versions: ['0.12.0'], defaultVersion: '0.12.0', urlExpirySeconds: 7200 } })).toThrowError(ConfigError);
  });
});

describe('Helper artefacts', () => {
  it('names keys under the helper prefix and writes sha256sum format', () => {
    expect(checksumKey('0.12.0', 'arm64')).toBe('docker-credential-ecr-login/0.12.0/linux-arm64/docker-credential-ecr-login.sha256');
    expect(sha256sumLine(D1)).toBe(`${D1}  docker-credential-ecr-login\n`);
    expect(parseSha256File(sha256sumLine(D2))).toBe(D2);
    expect(parseSha256File('garbage')).toBeUndefined();
  });

  it('takes a digest pinned in the config', () => {
    expect(pinnedDigest('0.12.0', 'amd64', helper)).toBe(D1);
    expect(pinnedDigest('0.12.0', 'arm64', helper)).toBeUndefined();
  });

  it('requires the default version to be allowed', () => {
    expect(() => validateConfig({ ...aConfig(), helper: { bucket: 'b-b-b', versions: ['0.11.0'], defaultVersion: '0.12.0' } })).toThrowError(
      /helper.defaultVersion: must be one of versions/,
    );
  });
});

describe('Function: decidePublish', () => {
  const base = { arch: 'amd64' as const, actual: D1, fromFile: false, trustFile: false, force: false };
  it.each([
    [{ ...base, expected: D1, expectedSource: 'pinned' as const }, 'upload'],
    [{ ...base, expected: D2, expectedSource: 'pinned' as const }, 'refuse'],
    [{ ...base, expected: D1, expectedSource: 'pinned' as const, published: D2 }, 'refuse'],
    [{ ...base }, 'refuse'],
    [{ ...base, published: D1 }, 'refuse'],
    [{ ...base, fromFile: true }, 'refuse'],
    [{ ...base, fromFile: true, trustFile: true }, 'upload'],
    [{ ...base, expected: D1, expectedSource: '--sha256' as const, existing: D1 }, 'skip'],
    [{ ...base, expected: D1, expectedSource: '--sha256' as const, existing: D2 }, 'refuse'],
    [{ ...base, expected: D1, expectedSource: '--sha256' as const, existing: D2, force: true }, 'upload'],
  ])('case %#', (check, action) => {
    expect(decidePublish(check).action).toBe(action);
  });

  it('explains why a download without a pin is refused', () => {
    expect(decidePublish({ ...base, published: D1 }).reason).toMatch(/no pinned digest.*same origin/);
  });
});
