import type { HelperArch } from '../../config/schema.js';

/** What the bucket holds for one artefact: the digest in its metadata, of its bytes, and in its .sha256 file. */
export interface StoredArtifact {
  metadata?: string;
  bytes: string;
  checksumFile?: string;
}

export interface ArtifactCheck {
  arch: HelperArch;
  /** sha256 of the bytes actually obtained. */
  actual: string;
  /** --sha256, or the digest pinned for this version and arch. */
  expected?: string;
  expectedSource?: '--sha256' | 'pinned';
  /** Digest from the release's own .sha256 file, when one was downloaded. */
  published?: string;
  fromFile: boolean;
  trustFile: boolean;
  /** The object already in the bucket, if any. */
  stored?: StoredArtifact;
  force: boolean;
}

export type PublishDecision = { action: 'upload'; reason: string } | { action: 'skip'; reason: string } | { action: 'refuse'; reason: string };

/**
 * Whether one artefact may be published. Pure, so every rule is tested without S3: a mismatch or a
 * missing digest refuses; the same digest again is a no-op only when the stored bytes, metadata and
 * .sha256 file all still carry it; a different digest, or a stored copy that no longer matches its own
 * metadata (bytes swapped under it), needs --force, which always uploads again.
 */
export function decidePublish(check: ArtifactCheck): PublishDecision {
  const label = `linux-${check.arch}`;
  if (check.expected && check.expected !== check.actual) {
    return { action: 'refuse', reason: `${label}: sha256 ${check.actual} does not match the ${check.expectedSource} digest ${check.expected}` };
  }
  if (check.published && check.published !== check.actual) {
    return { action: 'refuse', reason: `${label}: sha256 ${check.actual} does not match the release's .sha256 (${check.published})` };
  }
  if (!check.expected && !(check.fromFile && check.trustFile)) {
    const how = check.fromFile
      ? 'pass --sha256 with a digest verified out of band, or --trust-file'
      : 'pass --sha256 with a digest verified out of band (the release .sha256 comes from the same origin as the binary)';
    return { action: 'refuse', reason: `${label}: no pinned digest for this version; ${how}` };
  }
  const stored = check.stored;
  if (!stored) return { action: 'upload', reason: `${label}: new` };
  const damage = storedDamage(stored, check.actual);
  if (check.force) return { action: 'upload', reason: `${label}: ${damage ? `repairing (--force): ${damage}` : 'replacing (--force)'}` };
  if (stored.metadata && stored.metadata !== check.actual) {
    return { action: 'refuse', reason: `${label}: already published with a different digest (${stored.metadata}); pass --force to replace it` };
  }
  if (damage) return { action: 'refuse', reason: `${label}: the stored copy is damaged or was tampered with: ${damage}; pass --force to upload it again` };
  return { action: 'skip', reason: `${label}: already published with this digest (bytes, metadata and .sha256 checked)` };
}

/** How a stored copy differs from the digest it should carry; undefined when bytes, metadata and .sha256 agree. */
export function storedDamage(stored: StoredArtifact, digest: string): string | undefined {
  const problems: string[] = [];
  if (stored.bytes !== digest) problems.push(`its bytes have sha256 ${stored.bytes}`);
  if (stored.metadata !== digest) problems.push(stored.metadata ? `its metadata says ${stored.metadata}` : 'it has no sha256 metadata');
  if (stored.checksumFile !== digest) problems.push(stored.checksumFile ? `its .sha256 file says ${stored.checksumFile}` : 'its .sha256 file is missing');
  return problems.length > 0 ? `${problems.join(', ')} (expected ${digest})` : undefined;
}
