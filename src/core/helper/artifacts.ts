import type { HelperArch, HelperConfig } from '../../config/schema.js';

export const HELPER_BINARY = 'docker-credential-ecr-login';
/** Everything the tool publishes or signs lives under this prefix, and nothing else is ever signed. */
export const HELPER_PREFIX = `${HELPER_BINARY}/`;
export const OFFICIAL_RELEASES = 'https://amazon-ecr-credential-helper-releases.s3.us-east-2.amazonaws.com';

/**
 * Digests of official release artefacts, pinned after checking them out of band (not from the same
 * origin as the binary). Empty until a maintainer has verified one: publishing a version that is not
 * here needs --sha256 or a digest pinned in the config's `helper.digests`.
 */
export const PINNED_DIGESTS: Readonly<Record<string, Partial<Record<HelperArch, string>>>> = {};

export function helperKey(version: string, arch: HelperArch): string {
  return `${HELPER_PREFIX}${version}/linux-${arch}/${HELPER_BINARY}`;
}

export function checksumKey(version: string, arch: HelperArch): string {
  return `${helperKey(version, arch)}.sha256`;
}

export function officialUrl(version: string, arch: HelperArch, base = OFFICIAL_RELEASES): string {
  return `${base.replace(/\/+$/, '')}/${version}/linux-${arch}/${HELPER_BINARY}`;
}

/** The digest a (version, arch) must have: the config's pin first, then the built-in table. */
export function pinnedDigest(version: string, arch: HelperArch, helper?: Pick<HelperConfig, 'digests'>): string | undefined {
  return helper?.digests?.[version]?.[arch] ?? PINNED_DIGESTS[version]?.[arch];
}

/** `sha256sum` format, so `sha256sum -c` accepts the file next to the binary. */
export function sha256sumLine(digest: string): string {
  return `${digest}  ${HELPER_BINARY}\n`;
}

/** The first 64-hex word of a .sha256 file, or undefined when there is none. */
export function parseSha256File(text: string): string | undefined {
  return /^([0-9a-f]{64})\b/im.exec(text.trim())?.[1]?.toLowerCase();
}
