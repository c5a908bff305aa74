import { isPlainObject, jsonSyntaxDetail, normaliseRegistryKey } from '../../formats/docker-auth.js';
import { parentPath, runnerImagePath } from './image-ref.js';

/**
 * How GitLab Runner reads one `DOCKER_AUTH_CONFIG` value for one image, from its
 * `helpers/docker/auth/auth.go` (Runner 18.3 and later) and the Docker CLI's `configfile` it uses:
 * - the value is decoded like Go's `json.Decoder` into Docker's ConfigFile (only the first JSON value
 *   is read; keys match fields case-insensitively; a field of the wrong type is an error), then every
 *   `auths` entry's `auth` is base64-decoded into `user:password` (an error if that fails);
 * - a value without `auths`, `credsStore` or `credHelpers` is no source at all;
 * - `credsStore` runs the helper's `list` and `get`, `credHelpers` runs each helper's `get`, each
 *   overriding the entries with the same key string; any error drops the whole value, and a helper
 *   name with a path fails the resolution outright;
 * - keys are sorted, each reduced to a path (normaliseRegistryKey), and the first key for a path wins;
 * - the image's lookup path and then each parent are tried: the longest matching path wins.
 */
export type RunnerReading = { kind: 'no-source'; reason: string } | { kind: 'dropped'; reason: string } | { kind: 'refused'; reason: string } | ReadValue;

export interface ReadValue {
  kind: 'read';
  /** One per registry path, in the Runner's order (sorted keys, first key per path). */
  entries: RunnerEntry[];
  /** Keys the Runner ignores because an earlier-sorted key has the same path. */
  ignored: RunnerEntry[];
  credsStore?: string;
  /** Every `credHelpers` entry: the Runner runs each helper, whatever host the image is on. */
  credHelpers: Array<{ key: string; helper: string }>;
  /** The image's lookup path and its parents, longest first. */
  tried: string[];
  match?: RunnerEntry;
}

export interface RunnerEntry {
  key: string;
  path: string;
  source: 'auths' | 'credHelpers';
  helper?: string;
  /** What the entry would send; never printed. Undefined for helper entries (the helper decides). */
  credentials?: EntryCredentials;
}

export interface EntryCredentials {
  username: string;
  password: string;
  identityToken: string;
  registryToken: string;
}

/** Reads a value the way the Runner does for `image`. The value is used as given (expand it first if the variable is not raw). */
export function readAsRunner(value: string, image: string): RunnerReading {
  const decoded = decodeConfigFile(value);
  if ('problem' in decoded) return { kind: 'dropped', reason: decoded.problem };
  if (decoded.empty) return { kind: 'no-source', reason: 'the value is empty' };
  const { auths, credsStore, credHelpers } = decoded;
  if (Object.keys(auths).length === 0 && !credsStore && Object.keys(credHelpers).length === 0) {
    return { kind: 'no-source', reason: 'the value has no auths, credsStore or credHelpers' };
  }
  // An empty credHelpers name fails this check too (Go's filepath.Base("") is ".").
  const helperNames = [...(credsStore ? [credsStore] : []), ...Object.values(credHelpers)];
  const traversal = helperNames.find((helper) => helper !== goBase(helper));
  if (traversal !== undefined) {
    return { kind: 'refused', reason: `helper name "${traversal}" contains a path: the Runner stops with "path traversal is not allowed"` };
  }
  const byKey = new Map<string, RunnerEntry>();
  for (const [key, credentials] of Object.entries(auths)) byKey.set(key, { key, path: normaliseRegistryKey(key), source: 'auths', credentials });
  for (const [key, helper] of Object.entries(credHelpers)) byKey.set(key, { key, path: normaliseRegistryKey(key), source: 'credHelpers', helper });
  const entries: RunnerEntry[] = [];
  const ignored: RunnerEntry[] = [];
  for (const key of [...byKey.keys()].sort(compareBytes)) {
    const entry = byKey.get(key) as RunnerEntry;
    (entries.some((kept) => kept.path === entry.path) ? ignored : entries).push(entry);
  }
  const tried: string[] = [];
  for (let path = runnerImagePath(image); path !== ''; path = parentPath(path)) tried.push(path);
  const match = tried.map((path) => entries.find((entry) => entry.path === path)).find((entry) => entry !== undefined);
  return {
    kind: 'read',
    entries,
    ignored,
    credsStore: credsStore || undefined,
    credHelpers: Object.entries(credHelpers).map(([key, helper]) => ({ key, helper })),
    tried,
    match,
  };
}

/** Go sorts strings byte by byte (UTF-8), which differs from JavaScript's UTF-16 order outside the BMP. */
function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Go's `filepath.Base` on Linux. */
function goBase(path: string): string {
  if (path === '') return '.';
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

/** The value after the Runner's `$` expansion (Go's `os.Expand` with the job's variables), and the names it looked up. */
export interface Expansion {
  value: string;
  /** Variable names referenced (`$NAME`, `${NAME}`): their values are the job's, unknown here, taken as empty. */
  references: string[];
  changed: boolean;
}

/**
 * Expands a non-raw value like the Runner (`Variables.Expand` in its `common/spec/variables.go`, Go's
 * `os.Expand` over the job's variables): `$$` is `$`, `$NAME` and `${NAME}` become the job's
 * variable (empty when undefined; taken as undefined here), `$1`…`$9`, `$*`, `$#`, `$@`, `$!`, `$?`, `$-`
 * become empty, `${}` disappears, and a `$` before anything else stays.
 */
export function expandAsRunner(value: string): Expansion {
  const references: string[] = [];
  let out = '';
  let i = 0;
  while (i < value.length) {
    const dollar = value.indexOf('$', i);
    if (dollar === -1 || dollar === value.length - 1) break;
    out += value.slice(i, dollar);
    const { name, width } = shellName(value.slice(dollar + 1));
    if (name === '' && width === 0) out += '$';
    else if (name === '$') out += '$';
    else if (name !== '' && /^\w+$/.test(name) && !/^\d$/.test(name)) references.push(name);
    i = dollar + 1 + width;
  }
  out += value.slice(i);
  return { value: out, references: [...new Set(references)], changed: out !== value };
}

const SHELL_SPECIAL = '*#$@!?-0123456789';

function shellName(rest: string): { name: string; width: number } {
  if (rest[0] === '{') {
    if (rest.length > 2 && SHELL_SPECIAL.includes(rest[1] as string) && rest[2] === '}') return { name: rest[1] as string, width: 3 };
    const close = rest.indexOf('}');
    if (close === 1) return { name: '', width: 2 };
    if (close === -1) return { name: '', width: 1 };
    return { name: rest.slice(1, close), width: close + 1 };
  }
  if (SHELL_SPECIAL.includes(rest[0] as string)) return { name: rest[0] as string, width: 1 };
  const alnum = /^\w*/.exec(rest)?.[0] ?? '';
  return { name: alnum, width: alnum.length };
}

type Decoded = { problem: string } | { empty: true } | { empty: false; auths: Record<string, EntryCredentials>; credsStore: string; credHelpers: Record<string, string> };

type Shape = 'string' | 'stringMap' | 'stringList' | 'authMap' | 'proxyMap' | 'pluginMap';

/** Docker's ConfigFile fields and their Go types (docker/cli `cli/config/configfile/file.go`). */
const CONFIG_FIELDS: Record<string, Shape> = {
  auths: 'authMap',
  httpheaders: 'stringMap',
  psformat: 'string',
  imagesformat: 'string',
  networksformat: 'string',
  pluginsformat: 'string',
  volumesformat: 'string',
  statsformat: 'string',
  detachkeys: 'string',
  credsstore: 'string',
  credhelpers: 'stringMap',
  serviceinspectformat: 'string',
  servicesformat: 'string',
  tasksformat: 'string',
  secretformat: 'string',
  configformat: 'string',
  nodesformat: 'string',
  prunefilters: 'stringList',
  proxies: 'proxyMap',
  currentcontext: 'string',
  clipluginsextradirs: 'stringList',
  plugins: 'pluginMap',
  aliases: 'stringMap',
  features: 'stringMap',
};
const AUTH_FIELDS = ['username', 'password', 'auth', 'serveraddress', 'identitytoken', 'registrytoken'];
const PROXY_FIELDS = ['httpproxy', 'httpsproxy', 'noproxy', 'ftpproxy', 'allproxy'];

/** Go's `json.Decoder.Decode` into ConfigFile, then `LoadFromReader`'s decoding of each `auth`. */
function decodeConfigFile(value: string): Decoded {
  const first = firstJsonValue(value);
  if (first === undefined) return { empty: true };
  let parsed: unknown;
  try {
    parsed = JSON.parse(first);
  } catch (error) {
    return { problem: `not JSON (${jsonSyntaxDetail(error)})` };
  }
  if (parsed === null) return { empty: false, auths: {}, credsStore: '', credHelpers: {} };
  if (!isPlainObject(parsed)) return { problem: `JSON ${describeJson(parsed)}, not an object` };
  const fields: Partial<Record<string, unknown>> = {};
  for (const [key, field] of Object.entries(parsed)) {
    const name = key.toLowerCase();
    const shape = CONFIG_FIELDS[name];
    if (shape === undefined || field === null) continue;
    const problem = checkShape(field, shape, key);
    if (problem) return { problem };
    fields[name] = field;
  }
  const auths: Record<string, EntryCredentials> = {};
  for (const [key, entry] of Object.entries((fields.auths ?? {}) as Record<string, Record<string, unknown> | null>)) {
    const decodedEntry = decodeAuthEntry(entry ?? {});
    if ('problem' in decodedEntry) return { problem: `auths["${key}"].auth: ${decodedEntry.problem}` };
    auths[key] = decodedEntry;
  }
  const credHelpers = Object.fromEntries(Object.entries((fields.credhelpers ?? {}) as Record<string, string | null>).map(([key, helper]) => [key, helper ?? '']));
  return { empty: false, auths, credsStore: (fields.credsstore as string | undefined) ?? '', credHelpers };
}

function checkShape(value: unknown, shape: Shape, name: string): string | undefined {
  const wrong = (expected: string, at: string, actual: unknown) => `"${at}" is JSON ${describeJson(actual)} where Docker's config file has ${expected}`;
  const stringMap = (map: unknown, at: string, expected = 'an object of strings') => {
    if (!isPlainObject(map)) return wrong(expected, at, map);
    for (const [key, item] of Object.entries(map)) if (item !== null && typeof item !== 'string') return wrong('a string', `${at}.${key}`, item);
    return undefined;
  };
  const knownFields = (map: unknown, at: string, fields: string[]) => {
    if (!isPlainObject(map)) return wrong('an object', at, map);
    for (const [key, item] of Object.entries(map)) {
      if (fields.includes(key.toLowerCase()) && item !== null && typeof item !== 'string') return wrong('a string', `${at}.${key}`, item);
    }
    return undefined;
  };
  const eachValue = (map: unknown, at: string, check: (item: unknown, itemAt: string) => string | undefined) => {
    if (!isPlainObject(map)) return wrong('an object', at, map);
    for (const [key, item] of Object.entries(map)) {
      const problem = item === null ? undefined : check(item, `${at}["${key}"]`);
      if (problem) return problem;
    }
    return undefined;
  };
  switch (shape) {
    case 'string':
      return typeof value === 'string' ? undefined : wrong('a string', name, value);
    case 'stringMap':
      return stringMap(value, name);
    case 'stringList':
      if (!Array.isArray(value)) return wrong('a list of strings', name, value);
      return value.some((item) => item !== null && typeof item !== 'string') ? wrong('a list of strings', name, value) : undefined;
    case 'authMap':
      return eachValue(value, name, (item, at) => knownFields(item, at, AUTH_FIELDS));
    case 'proxyMap':
      return eachValue(value, name, (item, at) => knownFields(item, at, PROXY_FIELDS));
    case 'pluginMap':
      return eachValue(value, name, (item, at) => stringMap(item, at));
  }
}

/** An `auths` entry as Docker loads it: a non-empty `auth` is standard base64 of `user:password` and replaces both fields. */
function decodeAuthEntry(entry: Record<string, unknown>): EntryCredentials | { problem: string } {
  const field = (name: string) => {
    const found = Object.entries(entry).filter(([key]) => key.toLowerCase() === name);
    const value = found[found.length - 1]?.[1];
    return typeof value === 'string' ? value : '';
  };
  const base = { username: field('username'), password: field('password'), identityToken: field('identitytoken'), registryToken: field('registrytoken') };
  const auth = field('auth');
  if (auth === '') return base;
  const compact = auth.replace(/[\r\n]/g, '');
  if (compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(compact)) return { problem: 'not standard base64 (the Runner drops the whole value)' };
  const decoded = Buffer.from(compact, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return { problem: 'does not decode to "user:password" with a user (the Runner drops the whole value)' };
  return { ...base, username: decoded.slice(0, colon), password: decoded.slice(colon + 1).replace(/^\0+|\0+$/g, '') };
}

/** The text of the first JSON value, as Go's Decoder reads it (anything after it is ignored); undefined when there is none. */
function firstJsonValue(text: string): string | undefined {
  const start = text.search(/\S/);
  if (start === -1) return undefined;
  const opening = text[start];
  if (opening !== '{' && opening !== '[' && opening !== '"') {
    // A number or literal ends at the first delimiter; whatever it is, only `null` decodes into ConfigFile.
    const end = text.slice(start).search(/[\s,{}[\]"]/);
    return end === -1 ? text.slice(start) : text.slice(start, start + end);
  }
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      if (!inString && depth === 0) return text.slice(start, i + 1);
    } else if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return text.slice(start, i + 1);
    }
  }
  return text.slice(start);
}

function describeJson(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
