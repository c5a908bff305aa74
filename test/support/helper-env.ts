import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { stringify } from 'yaml';

/** The real helper binary Debian's amazon-ecr-credential-helper installs: published and served in tests. */
export const DEBIAN_HELPER = '/usr/bin/docker-credential-ecr-login';
export const HELPER_VERSION = '0.6.0';

/** The binary the helper tests publish and install (describeWithBinaries skips or fails without it). */
export const HELPER_BINARIES = ['docker-credential-ecr-login'];

export function helperDigest(): string {
  return createHash('sha256').update(readFileSync(DEBIAN_HELPER)).digest('hex');
}

export async function createBucket(motoUrl: string, bucket: string): Promise<void> {
  const s3 = new S3Client({ endpoint: motoUrl, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
}

/** A refresher config with a helper section that pins the Debian binary's digest for amd64. */
export function writeHelperConfig(bucket: string, pinned: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'helper-config-'));
  const path = join(dir, 'refresher.config.yml');
  writeFileSync(
    path,
    stringify({
      gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'x' },
      registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
      targets: [{ group: 'g' }],
      helper: { bucket, versions: [HELPER_VERSION, '0.5.0'], defaultVersion: HELPER_VERSION, urlExpirySeconds: 300, digests: { [HELPER_VERSION]: { amd64: pinned } } },
    }),
  );
  return path;
}
