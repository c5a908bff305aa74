import { S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { S3HelperStore } from '../../src/adapters/aws/s3-helper-store.js';
import { validateConfig } from '../../src/config/parse.js';
import { checksumKey, helperKey, parseSha256File, pinnedDigest, sha256sumLine } from '../../src/core/helper/artifacts.js';
import { decidePublish, storedDamage } from '../../src/core/helper/publish-plan.js';
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
  const intact = { metadata: D1, bytes: D1, checksumFile: D1 };
  const other = { metadata: D2, bytes: D2, checksumFile: D2 };
  const swapped = { metadata: D1, bytes: D2, checksumFile: D1 };
  const pinned = { ...base, expected: D1, expectedSource: '--sha256' as const };
  it.each([
    [{ ...base, expected: D1, expectedSource: 'pinned' as const }, 'upload'],
    [{ ...base, expected: D2, expectedSource: 'pinned' as const }, 'refuse'],
    [{ ...base, expected: D1, expectedSource: 'pinned' as const, published: D2 }, 'refuse'],
    [{ ...base }, 'refuse'],
    [{ ...base, published: D1 }, 'refuse'],
    [{ ...base, fromFile: true }, 'refuse'],
    [{ ...base, fromFile: true, trustFile: true }, 'upload'],
    [{ ...pinned, stored: intact }, 'skip'],
    [{ ...pinned, stored: intact, force: true }, 'upload'],
    [{ ...pinned, stored: other }, 'refuse'],
    [{ ...pinned, stored: other, force: true }, 'upload'],
    [{ ...pinned, stored: swapped }, 'refuse'],
    [{ ...pinned, stored: swapped, force: true }, 'upload'],
    [{ ...pinned, stored: { ...intact, checksumFile: undefined } }, 'refuse'],
    [{ ...pinned, stored: { ...intact, metadata: undefined } }, 'refuse'],
    [{ ...base, expected: D2, expectedSource: '--sha256' as const, stored: intact, force: true }, 'refuse'],
  ])('case %#', (check, action) => {
    expect(decidePublish(check).action).toBe(action);
  });

  it('explains why a download without a pin is refused', () => {
    expect(decidePublish({ ...base, published: D1 }).reason).toMatch(/no pinned digest.*same origin/);
  });

  it('names bytes swapped under intact metadata, and repairs them only with --force', () => {
    expect(decidePublish({ ...pinned, stored: swapped }).reason).toBe(
      `linux-amd64: the stored copy is damaged or was tampered with: its bytes have sha256 ${D2} (expected ${D1}); pass --force to upload it again`,
    );
    expect(decidePublish({ ...pinned, stored: swapped, force: true }).reason).toBe(`linux-amd64: repairing (--force): its bytes have sha256 ${D2} (expected ${D1})`);
    expect(decidePublish({ ...pinned, stored: intact, force: true }).reason).toBe('linux-amd64: replacing (--force)');
  });
});

describe('Function: storedDamage', () => {
  it('is undefined only when bytes, metadata and .sha256 all carry the digest', () => {
    expect(storedDamage({ metadata: D1, bytes: D1, checksumFile: D1 }, D1)).toBeUndefined();
    expect(storedDamage({ bytes: D1 }, D1)).toBe(`it has no sha256 metadata, its .sha256 file is missing (expected ${D1})`);
    expect(storedDamage({ metadata: D2, bytes: D1, checksumFile: D2 }, D1)).toBe(`its metadata says ${D2}, its .sha256 file says ${D2} (expected ${D1})`);
  });
});
