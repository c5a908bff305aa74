import type { HelperArch, HelperConfig } from '../../config/schema.js';

export interface HelperRequest {
  version: string;
  arch: HelperArch;
  json: boolean;
}

export class HelperRequestError extends Error {
  override name = 'HelperRequestError';
  constructor(
    readonly statusCode: 400 | 404 | 405 | 409 | 500,
    message: string,
  ) {
    super(message);
  }
}

const KNOWN_PARAMS = new Set(['arch', 'version', 'format']);

/**
 * Validates a helper-url query against the config's allow-lists. Only (version, arch) pairs from the
 * config ever reach the signer, so no caller can make the function sign another key.
 */
export function parseHelperRequest(query: Record<string, string | undefined>, accept: string | undefined, helper: HelperConfig): HelperRequest {
  const unknown = Object.keys(query).filter((key) => !KNOWN_PARAMS.has(key));
  if (unknown.length > 0) throw new HelperRequestError(400, `unknown query parameter ${unknown.join(', ')} (allowed: arch, version, format)`);
  const arch = query.arch;
  if (!arch) throw new HelperRequestError(400, `arch is required (one of ${helper.architectures.join(', ')})`);
  if (!(helper.architectures as string[]).includes(arch)) throw new HelperRequestError(400, `arch "${arch}" is not allowed (one of ${helper.architectures.join(', ')})`);
  const version = query.version ?? helper.defaultVersion;
  if (!helper.versions.includes(version)) throw new HelperRequestError(400, `version "${version}" is not allowed (one of ${helper.versions.join(', ')})`);
  if (query.format !== undefined && query.format !== 'json') throw new HelperRequestError(400, 'format must be json when given');
  const json = query.format === 'json' || (accept ?? '').includes('application/json');
  return { version, arch: arch as HelperArch, json };
}
