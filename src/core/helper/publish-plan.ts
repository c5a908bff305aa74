import type { HelperArch } from '../../config/schema.js';

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
  /** Digest of the object already in the bucket, if any. */
  existing?: string;
  force: boolean;
}

export type PublishDecision = { action: 'upload'; reason: string } | { action: 'skip'; reason: string } | { action: 'refuse'; reason: string };

/**
 * Whether one artefact may be published. Pure, so every rule is tested without S3: a mismatch or a
 * missing digest refuses, the same digest again is a no-op, a different digest needs --force.
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
  if (check.existing === check.actual) return { action: 'skip', reason: `${label}: already published with this digest` };
  if (check.existing && !check.force) {
    return { action: 'refuse', reason: `${label}: already published with a different digest (${check.existing}); pass --force to replace it` };
  }
  return { action: 'upload', reason: `${label}: ${check.existing ? 'replacing (--force)' : 'new'}` };
}
