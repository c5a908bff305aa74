import { describe, expect, it } from 'vitest';
import {
  dropManagedCredHelpers,
  encodeAuth,
  findHelperOverrides,
  helperWarnings,
  METADATA_KEY,
  mergeDockerAuth,
  normaliseRegistryKey,
  parseDockerConfig,
  readMetadata,
  redactDockerConfig,
  serialiseDockerConfig,
} from '../../src/core/formats/docker-auth.js';
import { UnsafeMergeError } from '../../src/errors.js';

const ECR = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const now = new Date('2026-11-22T06:00:00Z');
const credential = { host: ECR, username: 'AWS', password: 'fresh-password', expiresAt: new Date('2026-11-22T18:00:00Z') };

describe('Function: mergeDockerAuth', () => {
  it('keeps foreign auths entries, credHelpers, credsStore and unknown keys untouched', () => {
    const current = {
      auths: { 'https://index.docker.io/v1/': { auth: 'aHViOmh1Yg==' }, 'registry.gitlab.com': { auth: 'Z2w6Z2w=', email: 'x@y' } },
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'desktop',
      HttpHeaders: { 'User-Agent': 'ci' },
    };
    const result = mergeDockerAuth(current, [credential], now);
    expect(result.config.auths?.['https://index.docker.io/v1/']).toEqual({ auth: 'aHViOmh1Yg==' });
    expect(result.config.auths?.['registry.gitlab.com']).toEqual({ auth: 'Z2w6Z2w=', email: 'x@y' });
    expect(result.config.credHelpers).toEqual({ 'gcr.io': 'gcloud' });
    expect(result.config.credsStore).toBe('desktop');
    expect(result.config.HttpHeaders).toEqual({ 'User-Agent': 'ci' });
    expect(result.config.auths?.[ECR]).toEqual({ auth: encodeAuth('AWS', 'fresh-password') });
    expect(result).toMatchObject({ added: [ECR], replaced: [], kept: ['https://index.docker.io/v1/', 'registry.gitlab.com'] });
  });

  it('replaces the managed host whatever spelling the value used, leaving one entry', () => {
    const current = { auths: { [`https://${ECR.toUpperCase()}/`]: { auth: 'b2xkOm9sZA==' } } };
    const result = mergeDockerAuth(current, [credential], now);
    expect(Object.keys(result.config.auths ?? {})).toEqual([ECR]);
    expect(result.replaced).toEqual([ECR]);
    expect(result.added).toEqual([]);
  });

  it('replaces a scheme-and-path spelling of the host: the Runner reduces it to the host', () => {
    const current = { auths: { [`https://${ECR}/v2/`]: { auth: 'b2xkOm9sZA==' } } };
    const result = mergeDockerAuth(current, [credential], now);
    expect(Object.keys(result.config.auths ?? {})).toEqual([ECR]);
    expect(result.replaced).toEqual([ECR]);
  });

  it('drops expiry records of hosts the config no longer manages, keeping their entries', () => {
    const gone = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';
    const first = mergeDockerAuth({}, [{ ...credential, host: gone }, credential], now);
    const second = mergeDockerAuth(first.config, [credential], now, { managesHost: (host) => host === ECR });
    expect(Object.keys(readMetadata(second.config)?.expiresAt ?? {})).toEqual([ECR]);
    expect(second.config.auths?.[gone]).toBeDefined();
    // A registry that failed this run (not minted, still configured) keeps its record.
    const third = mergeDockerAuth(first.config, [credential], now, { managesHost: () => true });
    expect(Object.keys(readMetadata(third.config)?.expiresAt ?? {}).sort()).toEqual([gone, ECR].sort());
  });

  it('keeps an entry for a path below the host: it is a different key for the Runner', () => {
    const current = { auths: { [`${ECR}/team/app`]: { auth: 'cGF0aDpwYXRo' } } };
    const result = mergeDockerAuth(current, [credential], now);
    expect(result.config.auths?.[`${ECR}/team/app`]).toEqual({ auth: 'cGF0aDpwYXRo' });
    expect(result.kept).toEqual([`${ECR}/team/app`]);
  });

  it('records expiry per managed host and keeps earlier records of other hosts', () => {
    const first = mergeDockerAuth({}, [{ ...credential, host: 'public.ecr.aws' }], now);
    const second = mergeDockerAuth(first.config, [credential], now);
    expect(readMetadata(second.config)).toEqual({
      refreshedAt: now.toISOString(),
      expiresAt: { 'public.ecr.aws': credential.expiresAt.toISOString(), [ECR]: credential.expiresAt.toISOString() },
    });
  });

  it('drops the expiry record of a host whose entry was removed from the value', () => {
    const first = mergeDockerAuth({}, [{ ...credential, host: 'public.ecr.aws' }, credential], now);
    const { 'public.ecr.aws': _removed, ...rest } = first.config.auths as Record<string, unknown>;
    const second = mergeDockerAuth({ ...first.config, auths: rest }, [credential], now);
    expect(Object.keys(readMetadata(second.config)?.expiresAt ?? {})).toEqual([ECR]);
  });

  it('does not modify its input', () => {
    const current = { auths: { 'a.example.com': { auth: 'YTph' } } };
    const copy = structuredClone(current);
    mergeDockerAuth(current, [credential], now);
    expect(current).toEqual(copy);
  });
});

describe('Function: parseDockerConfig', () => {
  it.each([
    ['not json', /not JSON/],
    ['[1,2]', /not an object/],
    ['"text"', /not an object/],
    ['null', /not an object/],
    ['{"auths": []}', /"auths" that is not an object/],
  ])('refuses %s', (value, message) => {
    expect(() => parseDockerConfig(value)).toThrowError(UnsafeMergeError);
    expect(() => parseDockerConfig(value)).toThrowError(message);
  });

  it('accepts an object without auths', () => {
    expect(parseDockerConfig('{"credsStore":"ecr-login"}')).toEqual({ credsStore: 'ecr-login' });
  });
});

describe('Function: normaliseRegistryKey', () => {
  it.each([
    // The Runner's convertToRegistryPath: Docker Hub's legacy index key is docker.io.
    ['https://Index.Docker.io/v1/', 'docker.io'],
    ['index.docker.io', 'index.docker.io'],
    ['https://111111111111.dkr.ecr.us-east-1.amazonaws.com/v2/', '111111111111.dkr.ecr.us-east-1.amazonaws.com'],
    ['http://localhost:5000/v2', 'localhost:5000'],
    ['HTTPS://ABC.example.com', 'abc.example.com'],
    ['registry.example.com:5000', 'registry.example.com:5000'],
    ['registry.example.com/Team', 'registry.example.com/Team'],
    // Without a scheme: one trailing slash goes, and a tag after the last slash; the port stays.
    ['Registry.example.com:5000/', 'registry.example.com:5000'],
    ['registry.example.com:5000/team//', 'registry.example.com:5000/team/'],
    ['registry.example.com:5000/team/app:v1', 'registry.example.com:5000/team/app'],
    // Only http(s) is a scheme to the Runner: anything else stays a (useless) path.
    ['ftp://registry.example.com', 'ftp://registry.example.com'],
  ])('%s → %s', (key, expected) => {
    expect(normaliseRegistryKey(key)).toBe(expected);
  });
});

describe('Function: serialiseDockerConfig', () => {
  it('writes compact JSON with no whitespace, so GitLab can mask it', () => {
    const text = serialiseDockerConfig(mergeDockerAuth({}, [credential], now).config);
    expect(text).not.toMatch(/\s/);
    expect(JSON.parse(text)[METADATA_KEY]).toBeDefined();
  });
});

describe('Function: redactDockerConfig', () => {
  it('removes every credential field at any depth', () => {
    const redacted = JSON.stringify(redactDockerConfig({ auths: { a: { auth: 'c2VjcmV0', password: 'p', identitytoken: 't' } }, credsStore: 'x' }));
    expect(redacted).not.toMatch(/c2VjcmV0|"p"|"t"/);
    expect(redacted).toContain('"credsStore":"x"');
  });
});

describe('Function: findHelperOverrides', () => {
  const managed = (host: string) => host === ECR || host === 'public.ecr.aws';

  it.each([
    [ECR, true],
    [ECR.toUpperCase(), true],
    [`https://${ECR}`, true],
    [`https://${ECR}/v2/`, true],
    [`HTTP://${ECR.toUpperCase()}/`, true],
    ['public.ecr.aws', true],
    [`${ECR}/team/app`, false],
    ['gcr.io', false],
  ])('treats credHelpers key %s as overriding a managed host: %s', (key, expected) => {
    const overrides = findHelperOverrides({ credHelpers: { [key]: 'ecr-login' } }, managed);
    expect(overrides.credHelpers.length > 0).toBe(expected);
  });

  it('reports credsStore whatever the hosts, and nothing for an empty one', () => {
    expect(findHelperOverrides({ credsStore: 'ecr-login' }, managed).credsStore).toBe('ecr-login');
    expect(findHelperOverrides({ credsStore: '' }, managed).credsStore).toBeUndefined();
    expect(findHelperOverrides({ credHelpers: 'not-an-object' } as never, managed).credHelpers).toEqual([]);
  });

  it('words each warning with what the Runner does and the fix', () => {
    const [store, helpers] = helperWarnings({ credsStore: 'ecr-login', credHelpers: [{ key: ECR, helper: 'ecr-login' }] });
    expect(store).toMatchObject({ code: 'creds-store', message: expect.stringMatching(/drops the whole value.*remove credsStore/) });
    expect(helpers).toMatchObject({ code: 'cred-helpers', message: expect.stringMatching(/takes credHelpers over auths.*helpers: drop-for-managed-hosts/) });
    expect(helperWarnings({ credHelpers: [] })).toEqual([]);
  });
});

describe('Function: dropManagedCredHelpers', () => {
  it('removes only the entries for managed hosts, and credHelpers itself when it ends empty', () => {
    const managed = (host: string) => host === ECR;
    expect(dropManagedCredHelpers({ credHelpers: { [`https://${ECR}`]: 'ecr-login', 'gcr.io': 'gcloud' }, credsStore: 'x' }, managed)).toEqual({
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'x',
    });
    expect(dropManagedCredHelpers({ credHelpers: { [ECR]: 'ecr-login' }, auths: {} }, managed)).toEqual({ auths: {} });
  });
});
