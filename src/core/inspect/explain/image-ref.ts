import { ConfigError } from '../../../errors.js';
import { lowerCaseHostname } from '../../formats/docker-auth.js';

/**
 * An image reference as the Docker client reads it (distribution's `reference.ParseNormalizedNamed`):
 * a first component without `.` or `:` that is not `localhost` and has no upper case is a Docker Hub
 * path (`docker.io`), `index.docker.io` is `docker.io`, a one-component Docker Hub path gets
 * `library/`, the repository path must be lower case, and no tag and no digest means `latest`.
 */
export interface ImageReference {
  /** As given. */
  text: string;
  /** The registry's name: `docker.io`, `HOST` or `HOST:PORT`. */
  domain: string;
  /** Repository path inside the registry: `library/ubuntu`, `team/app`. */
  repository: string;
  tag?: string;
  digest?: string;
  /** What a manifest request names: the digest when there is one, else the tag (default `latest`). */
  reference: string;
  /** Where the registry API answers: Docker Hub's is `registry-1.docker.io`. */
  endpointHost: string;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ENDPOINT = 'registry-1.docker.io';
const DOMAIN_LABEL = '[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?';
const DOMAIN = new RegExp(`^(?:\\[[a-fA-F0-9:]+\\]|${DOMAIN_LABEL}(?:\\.${DOMAIN_LABEL})*)(?::[0-9]+)?$`);
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^\w[\w.-]{0,127}$/;
const DIGEST = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;

/** Parses an image reference like the Docker client; a malformed one is a ConfigError naming `--image`. */
export function parseImageReference(text: string): ImageReference {
  const invalid = (reason: string) => new ConfigError([`--image: "${text}" is not an image reference: ${reason}`]);
  if (/^[a-f0-9]{64}$/.test(text)) throw invalid('a 64-character hexadecimal string is an image id, not a name');
  const at = text.indexOf('@');
  const named = at === -1 ? text : text.slice(0, at);
  const digest = at === -1 ? undefined : text.slice(at + 1);
  if (digest !== undefined && !DIGEST.test(digest)) throw invalid(`bad digest "${digest}"`);
  const slash = named.lastIndexOf('/');
  const colon = named.lastIndexOf(':');
  const tag = colon > slash ? named.slice(colon + 1) : undefined;
  const name = tag === undefined ? named : named.slice(0, colon);
  if (tag !== undefined && !TAG.test(tag)) throw invalid(`bad tag "${tag}"`);
  const { domain, remainder } = splitDockerDomain(name);
  if (!DOMAIN.test(domain)) throw invalid(`bad registry host "${domain}"`);
  if (remainder.toLowerCase() !== remainder) throw invalid(`the repository name (${remainder}) must be lower case`);
  if (remainder.split('/').some((component) => !PATH_COMPONENT.test(component))) throw invalid(`bad repository name "${remainder}"`);
  if (domain.length + 1 + remainder.length > 255) throw invalid('the name is longer than 255 characters');
  return {
    text,
    domain,
    repository: remainder,
    tag,
    digest,
    reference: digest ?? tag ?? 'latest',
    endpointHost: domain === DOCKER_HUB ? DOCKER_HUB_ENDPOINT : domain,
  };
}

function splitDockerDomain(name: string): { domain: string; remainder: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const isHubPath = slash === -1 || (!/[.:]/.test(first) && first !== 'localhost' && first.toLowerCase() === first);
  if (isHubPath) return { domain: DOCKER_HUB, remainder: name.includes('/') ? name : `library/${name}` };
  const domain = first === 'index.docker.io' ? DOCKER_HUB : first;
  const remainder = name.slice(slash + 1);
  return { domain, remainder: domain === DOCKER_HUB && !remainder.includes('/') ? `library/${remainder}` : remainder };
}

/**
 * The path under which the GitLab Runner looks up credentials for an image (`normalizeImageRef` in
 * its `helpers/docker/auth/auth.go`), which is not Docker's normalisation: everything from the first
 * `:` of the last component is cut (a digest leaves `app@sha256`), a Docker Hub image gets `docker.io/`
 * but no `library/`, `index.docker.io` becomes `docker.io`, and the host is lower-cased.
 */
export function runnerImagePath(image: string): string {
  const slash = image.lastIndexOf('/');
  const dir = image.slice(0, slash + 1);
  const last = image.slice(slash + 1).split(':')[0] ?? '';
  const normalised = cleanPath(`${dir}${last}`);
  const parts = normalised.split('/');
  const first = parts[0] ?? '';
  const isDockerHub = parts.length === 1 || (!first.includes('.') && !first.includes(':') && first.toLowerCase() !== 'localhost');
  if (isDockerHub) return lowerCaseHostname(cleanPath(`${DOCKER_HUB}/${normalised}`));
  if (first.toLowerCase() === `index.${DOCKER_HUB}`) return lowerCaseHostname(normalised.slice(normalised.indexOf('.') + 1));
  return lowerCaseHostname(normalised);
}

/** The parent of a lookup path (`a/b/c` → `a/b`), or '' at the top: the Runner tries each in turn. */
export function parentPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** Go's `path.Join` cleaning, for the relative paths image names are: no empty or `.` parts, `..` resolved. */
function cleanPath(path: string): string {
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..' && parts.length > 0 && parts[parts.length - 1] !== '..') parts.pop();
    else parts.push(part);
  }
  return parts.join('/');
}
