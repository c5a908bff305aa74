import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CoverSource, coverRefusal } from '../../src/core/refresh/cover-shadowing.js';
import { scopesOverlap, scopeWithin, wildcardMatches } from '../../src/domain/gitlab-wildcards.js';

/** GitLab's own matching, spelled out independently: `*` is any text, the whole name must match. */
function gitlabMatches(scope: string, environment: string): boolean {
  const parts = scope.split('*');
  if (parts.length === 1) return scope === environment;
  if (!environment.startsWith(parts[0] as string) || !environment.endsWith(parts.at(-1) as string)) return false;
  let at = (parts[0] as string).length;
  const end = environment.length - (parts.at(-1) as string).length;
  if (end < at) return false;
  for (const part of parts.slice(1, -1)) {
    const found = environment.indexOf(part, at);
    if (found === -1 || found + part.length > end) return false;
    at = found + part.length;
  }
  return true;
}

describe('Function: wildcardMatches', () => {
  it.each([
    ['*', 'review/app-1\nsecond line', true],
    ['review/*', 'review/a/b', true],
    ['review/*', 'review', false],
    ['a.b', 'aXb', false],
    ['a+(b)?[c]$^|{1}\\', 'a+(b)?[c]$^|{1}\\', true],
    ['review_%', 'reviewXY', false],
    ['Review/*', 'review/app', false],
    ['*-stable', '16-stable-x', false],
  ])('%s matches %j: %s', (pattern, text, expected) => {
    expect(wildcardMatches(pattern, text)).toBe(expected);
  });

  it("agrees with GitLab's matching, spelled out independently, on random patterns and names", () => {
    const text = fc.stringMatching(/^[ab/.*\n]{0,6}$/);
    fc.assert(
      fc.property(text, text, (pattern, name) => {
        expect(wildcardMatches(pattern, name)).toBe(gitlabMatches(pattern, name));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('Function: scopeWithin', () => {
  it.each([
    ['production', '*', true],
    ['production', 'production', true],
    ['*', 'production', false],
    ['review/app-1', 'review/*', true],
    ['review/*', 'review/*', true],
    ['review/*', 'review/app-1', false],
    ['review/app-*', 'review/*', true],
    ['review/*', 'review/app-*', false],
    ['*-prod', '*', true],
    ['eu-*-prod', '*-prod', true],
    ['Production', 'production', false],
  ])('%s within %s → %s', (inner, outer, expected) => {
    expect(scopeWithin(inner, outer)).toBe(expected);
  });

  const scope = fc.stringMatching(/^[ab/*]{1,6}$/);

  /** An environment the inner scope matches: each `*` filled with some text. */
  const innerAndName = scope.chain((inner) =>
    fc.array(fc.stringMatching(/^[ab/z]{0,3}$/), { minLength: inner.split('*').length, maxLength: inner.split('*').length }).map((fills) => ({
      inner,
      name: inner.split('*').reduce((name, part, index) => (index === 0 ? part : `${name}${fills[index] ?? ''}${part}`), ''),
    })),
  );
  /** Outer scopes: arbitrary ones, and ones made wider than the inner by turning characters into `*`. */
  const outerFor = (inner: string) =>
    fc.oneof(
      scope,
      fc.array(fc.boolean(), { minLength: inner.length, maxLength: inner.length }).map((stars) => [...inner].map((c, i) => (stars[i] ? '*' : c)).join('')),
    );

  it('is sound: when it says within, every environment the inner scope matches, the outer matches too', () => {
    fc.assert(
      fc.property(
        innerAndName.chain(({ inner, name }) => outerFor(inner).map((outer) => ({ inner, name, outer }))),
        ({ inner, name, outer }) => {
          expect(gitlabMatches(inner, name)).toBe(true);
          if (scopeWithin(inner, outer)) expect(gitlabMatches(outer, name)).toBe(true);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('is complete: when it says not within, an environment matched by the inner scope alone exists', () => {
    fc.assert(
      fc.property(scope, scope, (inner, outer) => {
        fc.pre(!scopeWithin(inner, outer));
        // `z` occurs in no generated scope, so only a `*` can match it.
        const witness = inner.replaceAll('*', 'z');
        expect(gitlabMatches(inner, witness)).toBe(true);
        expect(gitlabMatches(outer, witness)).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('implies overlap', () => {
    fc.assert(fc.property(scope, scope, (inner, outer) => !scopeWithin(inner, outer) || scopesOverlap(inner, outer)));
  });
});

describe('Function: coverRefusal', () => {
  const source = (overrides: Partial<CoverSource> = {}): CoverSource => ({
    group: 'platform',
    key: 'DOCKER_AUTH_CONFIG',
    scope: '*',
    protected: false,
    access: 'pull',
    ...overrides,
  });

  it('covers a row at least as protected, in a scope within the target scope', () => {
    expect(coverRefusal({ protected: false, environmentScope: 'production' }, source())).toBeUndefined();
    expect(coverRefusal({ protected: true, environmentScope: 'production' }, source({ scope: 'production', protected: true }))).toBeUndefined();
  });

  it('refuses a wider scope, whatever the protection', () => {
    expect(coverRefusal({ protected: true, environmentScope: '*' }, source({ scope: 'production' }))).toMatch(/^not covered: wider scope than group:platform's DOCKER_AUTH_CONFIG/);
  });

  it('refuses an unprotected row when the group variable is protected, or when its protection is unknown', () => {
    expect(coverRefusal({ protected: false, environmentScope: '*' }, source({ protected: true }))).toMatch(/less protected .*\(which is protected\)/);
    expect(coverRefusal({ protected: false, environmentScope: '*' }, source({ protected: undefined }))).toMatch(/whose protection could not be read/);
  });

  it('never lets push credentials into an unprotected row, even from an unprotected source', () => {
    expect(coverRefusal({ protected: false, environmentScope: '*' }, source({ access: 'push', protected: false }))).toMatch(
      /push credentials, which go only into protected variables/,
    );
    expect(coverRefusal({ protected: true, environmentScope: '*' }, source({ access: 'push', protected: true }))).toBeUndefined();
  });
});

describe('Function: scopesOverlap (some environment name matches both)', () => {
  it.each([
    ['*-prod', 'eu-*', true],
    ['review/*', '*/app-1', true],
    ['a*b', 'b*a', false],
    ['eu-*', 'us-*', false],
    ['*', '', true],
    ['x*', '', false],
  ])('%s ~ %s → %s', (a, b, expected) => {
    expect(scopesOverlap(a, b)).toBe(expected);
    expect(scopesOverlap(b, a)).toBe(expected);
  });

  /** Every name over the scopes' own letters, up to the longest witness two such scopes can need. */
  const names = (alphabet: string[], maxLength: number): string[] => {
    const all = [''];
    for (let length = 1, layer = ['']; length <= maxLength; length++) {
      layer = layer.flatMap((prefix) => alphabet.map((letter) => prefix + letter));
      all.push(...layer);
    }
    return all;
  };
  const universe = names(['a', 'b', '-'], 8);

  it('agrees with trying every name (scopes of up to 4 characters over a, b, -)', () => {
    const scope = fc.stringMatching(/^[ab*-]{0,4}$/);
    let overlapping = 0;
    fc.assert(
      fc.property(scope, scope, (a, b) => {
        const witness = universe.some((name) => wildcardMatches(a, name) && wildcardMatches(b, name));
        if (witness) overlapping++;
        expect(scopesOverlap(a, b)).toBe(witness);
      }),
      { numRuns: 300 },
    );
    // Both answers occur, so the property could fail either way.
    expect(overlapping).toBeGreaterThan(30);
    expect(overlapping).toBeLessThan(270);
  });
});
