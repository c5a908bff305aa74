import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createS3Client, S3HelperStore } from '../adapters/aws/s3-helper-store.js';
import { loadConfigFile } from '../config/load.js';
import { HELPER_ARCHITECTURES, type HelperArch } from '../config/schema.js';
import { checksumKey, helperKey, OFFICIAL_RELEASES, officialUrl, parseSha256File, pinnedDigest, sha256sumLine } from '../core/helper/artifacts.js';
import { decidePublish, type PublishDecision, type StoredArtifact, storedDamage } from '../core/helper/publish-plan.js';
import { ConfigError, describeError, HelperVerificationError } from '../errors.js';
import type { CliIo } from './io.js';

export const HELPER_USAGE = `Usage:
  ecr-gitlab-refresher helper publish --version V --bucket B [--arch amd64,arm64] [--sha256 HEX] [--force] [--config FILE]
  ecr-gitlab-refresher helper publish --version V --bucket B --from-file PATH --arch A [--sha256 HEX | --trust-file] [--force]`;

interface PublishOptions {
  version: string;
  bucket: string;
  arches: HelperArch[];
  fromFile?: string;
  sha256?: string;
  trustFile: boolean;
  force: boolean;
  configPath?: string;
}

export function parsePublishArgs(argv: string[]): PublishOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        version: { type: 'string' },
        bucket: { type: 'string' },
        arch: { type: 'string' },
        'from-file': { type: 'string' },
        sha256: { type: 'string' },
        'trust-file': { type: 'boolean' },
        force: { type: 'boolean' },
        config: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new ConfigError([`arguments: ${(error as Error).message}`]);
  }
  const problems: string[] = [];
  const version = String(values.version ?? '');
  if (!/^\d+\.\d+\.\d+$/.test(version)) problems.push('--version: expected a release version such as 0.12.0');
  const bucket = String(values.bucket ?? '');
  if (!bucket) problems.push('--bucket: required');
  const arches = String(values.arch ?? (values['from-file'] ? '' : HELPER_ARCHITECTURES.join(',')))
    .split(',')
    .filter(Boolean);
  if (arches.length === 0) problems.push('--arch: required with --from-file (amd64 or arm64)');
  for (const arch of arches) if (!(HELPER_ARCHITECTURES as readonly string[]).includes(arch)) problems.push(`--arch: "${arch}" is not amd64 or arm64`);
  if (values['from-file'] && arches.length > 1) problems.push('--arch: one architecture per --from-file');
  const sha256 = values.sha256 === undefined ? undefined : String(values.sha256).toLowerCase();
  if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) problems.push('--sha256: expected 64 hex digits');
  if (sha256 && arches.length > 1) problems.push('--sha256: give one --arch with it');
  if (values['trust-file'] && !values['from-file']) problems.push('--trust-file: only with --from-file');
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    version,
    bucket,
    arches: arches as HelperArch[],
    fromFile: values['from-file'] as string | undefined,
    sha256,
    trustFile: values['trust-file'] === true,
    force: values.force === true,
    configPath: values.config as string | undefined,
  };
}

interface Obtained {
  arch: HelperArch;
  bytes: Uint8Array;
  published?: string;
}

/**
 * Verifies every requested architecture first and uploads only when all pass, so a refusal leaves the
 * bucket exactly as it was.
 */
export async function helperPublishCommand(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] !== 'publish') {
    io.stderr(`${HELPER_USAGE}\n`);
    return 2;
  }
  let options: PublishOptions;
  try {
    options = parsePublishArgs(argv.slice(1));
  } catch (error) {
    io.stderr(`${(error as ConfigError).problems.map((p) => `error: ${p}`).join('\n')}\n`);
    return 2;
  }
  try {
    const pins = options.configPath ? loadConfigFile(options.configPath).helper : undefined;
    const store = new S3HelperStore(options.bucket, createS3Client(io.env));
    const base = io.env.HELPER_RELEASES_URL ?? OFFICIAL_RELEASES;
    const obtained: Obtained[] = [];
    for (const arch of options.arches) obtained.push(options.fromFile ? { arch, bytes: readFileSync(options.fromFile) } : await download(options.version, arch, base, io));
    const plans: Array<{ item: Obtained; digest: string; decision: PublishDecision }> = [];
    for (const item of obtained) {
      const digest = createHash('sha256').update(item.bytes).digest('hex');
      const pinned = pinnedDigest(options.version, item.arch, pins);
      const stored = await readStored(store, options.version, item.arch);
      const decision = decidePublish({
        arch: item.arch,
        actual: digest,
        expected: options.sha256 ?? pinned,
        expectedSource: options.sha256 ? '--sha256' : 'pinned',
        published: item.published,
        fromFile: Boolean(options.fromFile),
        trustFile: options.trustFile,
        stored,
        force: options.force,
      });
      plans.push({ item, digest, decision });
    }
    const refused = plans.filter((plan) => plan.decision.action === 'refuse');
    if (refused.length > 0) {
      for (const plan of refused) io.stderr(`error: ${plan.decision.reason}\n`);
      io.stderr('nothing was uploaded\n');
      return 1;
    }
    for (const { item, digest, decision } of plans) {
      if (decision.action === 'skip') {
        io.stdout(`${decision.reason} (${digest}): nothing to do\n`);
        continue;
      }
      io.stderr(`uploading linux-${item.arch} (${formatBytes(item.bytes.byteLength)}) to s3://${options.bucket}/${helperKey(options.version, item.arch)}…\n`);
      await store.put(helperKey(options.version, item.arch), item.bytes, digest, 'application/octet-stream');
      await store.put(checksumKey(options.version, item.arch), sha256sumLine(digest), digest, 'text/plain');
      const damage = storedDamage((await readStored(store, options.version, item.arch)) ?? { bytes: 'nothing (the object is missing)' }, digest);
      if (damage) throw new HelperVerificationError(`s3://${options.bucket}/${helperKey(options.version, item.arch)} was uploaded, but reading it back: ${damage}`);
      io.stdout(`published ${options.version} linux-${item.arch} sha256 ${digest} (${decision.reason}); read back: bytes, metadata and .sha256 agree\n`);
    }
    return 0;
  } catch (error) {
    io.stderr(`error: ${describeError(error)}\n`);
    return error instanceof ConfigError ? 2 : 1;
  }
}

/** The object and its .sha256 file as stored now, read in full: what a skip or a re-upload is decided on. */
async function readStored(store: S3HelperStore, version: string, arch: HelperArch): Promise<StoredArtifact | undefined> {
  const object = await store.readDigests(helperKey(version, arch));
  if (!object) return undefined;
  return { ...object, checksumFile: parseSha256File((await store.readText(checksumKey(version, arch))) ?? '') };
}

async function download(version: string, arch: HelperArch, base: string, io: CliIo): Promise<Obtained> {
  const url = officialUrl(version, arch, base);
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`download ${url}: HTTP ${response.status}`);
  const total = Number(response.headers.get('content-length')) || undefined;
  const chunks: Uint8Array[] = [];
  let received = 0;
  let lastReport = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    chunks.push(chunk);
    received += chunk.byteLength;
    const percent = total ? Math.floor((100 * received) / total) : undefined;
    if (percent !== undefined && percent >= lastReport + 10) {
      lastReport = percent - (percent % 10);
      io.stderr(`downloading linux-${arch}: ${lastReport}% of ${formatBytes(total as number)}\n`);
    }
  }
  io.stderr(`downloaded linux-${arch}: ${formatBytes(received)}\n`);
  const checksum = await fetch(`${url}.sha256`);
  const published = checksum.ok ? parseSha256File(await checksum.text()) : undefined;
  return { arch, bytes: Buffer.concat(chunks), published };
}

function formatBytes(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MB`;
}
