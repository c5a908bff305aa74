import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** Writes a one-layer OCI image layout (tag `v1`) that `skopeo copy oci:DIR:v1 …` can push. */
export function writeOciImage(dir: string): string {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const content = join(dir, 'content');
  mkdirSync(content);
  writeFileSync(join(content, 'hello.txt'), 'pushed with credentials minted by ecr-gitlab-refresher\n');
  const layerPath = join(dir, 'layer.tar.gz');
  execFileSync('tar', ['-czf', layerPath, '-C', content, 'hello.txt']);
  const layer = readFileSync(layerPath);
  const blob = (data: Buffer | string) => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: Buffer.byteLength(data) };
  };
  const layerRef = blob(layer);
  const config = JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha256(gunzipSync(layer))}`] } });
  const configRef = blob(config);
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configRef },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layerRef }],
  });
  const manifestRef = blob(manifest);
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifestRef, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }],
    }),
  );
  return `oci:${dir}:v1`;
}
