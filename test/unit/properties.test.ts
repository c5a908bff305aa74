import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { validateConfig } from '../../src/config/parse.js';
import { type DockerConfig, encodeAuth, METADATA_KEY, mergeDockerAuth, normaliseRegistryKey, parseDockerConfig } from '../../src/core/formats/docker-auth.js';
import { ConfigError } from '../../src/errors.js';

const host = fc.constantFrom('111111111111.dkr.ecr.us-east-1.amazonaws.com', '222222222222.dkr.ecr.eu-west-1.amazonaws.com', 'public.ecr.aws');
const foreignKey = fc.oneof(
  fc.domain(),
  fc.constantFrom('https://index.docker.io/v1/', 'quay.io', 'registry.example.com:5000/team', 'https://111111111111.dkr.ecr.us-east-1.amazonaws.com/path'),
);
const entry = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 });
const existingConfig = fc.record(
  {
    auths: fc.dictionary(
      fc.oneof(
        foreignKey,
        host,
        host.map((h) => `https://${h.toUpperCase()}/`),
      ),
      entry,
      { maxKeys: 6 },
    ),
    credHelpers: fc.dictionary(fc.domain(), fc.string(), { maxKeys: 3 }),
    credsStore: fc.string(),
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);
const credentials = fc
  .uniqueArray(host, { minLength: 1, maxLength: 3 })
  .map((hosts) => hosts.map((h, i) => ({ host: h, username: 'AWS', password: `pw-${i}-${h}`, expiresAt: new Date(1_800_000_000_000) })));

describe('Property: mergeDockerAuth', () => {
  it('keeps every foreign entry and key as it was, and ends every managed host with the new auth', () => {
    fc.assert(
      fc.property(existingConfig, credentials, (current, minted) => {
        const text = JSON.stringify(current);
        const parsed = parseDockerConfig(text);
        const { config } = mergeDockerAuth(parsed, minted, new Date(0));
        const managed = new Set<string>(minted.map((c) => c.host));
        for (const [key, value] of Object.entries(parsed.auths ?? {})) {
          if (!managed.has(normaliseRegistryKey(key))) expect(config.auths?.[key]).toEqual(value);
        }
        for (const c of minted) expect(config.auths?.[c.host]).toEqual({ auth: encodeAuth(c.username, c.password) });
        const { auths: _a, [METADATA_KEY]: _m, ...rest } = config;
        const { auths: _b, ...originalRest } = parsed as DockerConfig;
        expect(rest).toEqual(originalRest);
        // Exactly one key per managed host remains.
        for (const h of managed) expect(Object.keys(config.auths ?? {}).filter((k) => normaliseRegistryKey(k) === h)).toEqual([h]);
        // The input text still parses to what it was: merge never mutates.
        expect(parsed).toEqual(JSON.parse(text));
      }),
      { numRuns: 300 },
    );
  });
});

const validConfig = {
  gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'tok' },
  registries: [
    { name: 'prod', accountId: '123456789012', regions: ['us-east-1'] },
    { name: 'pub', public: true },
  ],
  secrets: { prefix: 'p/' },
  targets: [{ project: 'a/b', registries: ['prod'] }, { group: 'g' }, { instance: true }],
};

/** Paths to every leaf and object of a JSON value. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const children = Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => paths(child, [...prefix, Array.isArray(value) ? Number(key) : key]));
  return [prefix, ...children];
}

function setAt(root: unknown, path: Array<string | number>, replacement: unknown): unknown {
  if (path.length === 0) return replacement;
  const copy = structuredClone(root) as Record<string | number, unknown>;
  let cursor = copy;
  for (const part of path.slice(0, -1)) cursor = cursor[part] as Record<string | number, unknown>;
  cursor[path[path.length - 1] as string | number] = replacement;
  return copy;
}

const junk = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }), fc.dictionary(fc.string(), fc.string(), { maxKeys: 2 }));
const malformed = fc.tuple(fc.constantFrom(...paths(validConfig)), junk, fc.option(fc.string({ minLength: 1, maxLength: 6 }))).map(([path, value, extraKey]) => {
  const mutated = setAt(validConfig, path, value) as Record<string, unknown>;
  if (extraKey !== null && mutated && typeof mutated === 'object' && !Array.isArray(mutated)) (mutated as Record<string, unknown>)[`x_${extraKey}`] = 1;
  return mutated;
});

const SEGMENT = String.raw`(?:[\w-]+|\[(?:\d+|"(?:[^"\\]|\\.)*")\])`;
/** `targets[2].project: reason`, `["odd key"]: reason`, `(root): reason`. */
const PROBLEM_LINE = new RegExp(String.raw`^(?:\(root\)|${SEGMENT}(?:\.?${SEGMENT})*): \S`);

describe('Property: validateConfig', () => {
  it('answers any malformed config with ConfigError lines "path: reason", never another exception', () => {
    fc.assert(
      fc.property(malformed, (raw) => {
        try {
          validateConfig(raw);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          for (const problem of (error as ConfigError).problems) expect(problem).toMatch(PROBLEM_LINE);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('makes the CLI exit 2 with the field path and no network call', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'prop-config-'));
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    try {
      await fc.assert(
        fc.asyncProperty(malformed, async (raw) => {
          let invalid = false;
          try {
            validateConfig(raw);
          } catch {
            invalid = true;
          }
          fc.pre(invalid);
          const file = join(dir, 'c.json');
          writeFileSync(file, JSON.stringify(raw));
          const err: string[] = [];
          const code = await runCli(['refresh', '--config', file], { stdout: () => {}, stderr: (t) => err.push(t), env: {} });
          expect(code).toBe(2);
          expect(err.join('').split('\n').filter(Boolean)).toEqual(expect.arrayContaining([expect.stringMatching(/^error: /)]));
          for (const line of err.join('').split('\n').filter(Boolean)) expect(line.replace(/^error: /, '')).toMatch(PROBLEM_LINE);
          expect(err.join('')).not.toMatch(/\n\s+at /);
        }),
        { numRuns: 40 },
      );
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      fetchSpy.mockRestore();
    }
  });
});
