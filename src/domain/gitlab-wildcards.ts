/**
 * GitLab's `*` wildcards, in one place: environment scopes of CI/CD variables
 * (`Ci::HasEnvironmentScope`) and protected branch and tag names (`RefMatcher`). Both read the same way:
 * `*` stands for any text, `/` and line breaks included; every other character, `.` `%` `_` too,
 * stands for itself; case counts; the pattern must match the whole name.
 */

/** The one matcher: whether `pattern` (with `*` wildcards) matches all of `text`. */
export function wildcardMatches(pattern: string, text: string): boolean {
  return wildcardPattern(pattern).test(text);
}

function wildcardPattern(pattern: string): RegExp {
  return new RegExp(`^${pattern.split('*').map(escapeRegExp).join('[\\s\\S]*')}$`);
}

/** `text` as a regular expression that matches exactly it. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// --- Environment scopes ------------------------------------------------------------------------------

/**
 * Whether some environment name matches both scopes (`review/*` and `review/app-1`; `*` and anything;
 * also `*-prod` and `eu-*`, which meet in `eu-prod` though neither matches the other's text).
 */
export function scopesOverlap(a: string, b: string): boolean {
  // meet(i, j): some text matches both a[i..] and b[j..]. A `*` on either side may stand for nothing, or
  // take the other side's next character (a literal, or whatever the other side's `*` stands for).
  const memo = new Map<number, boolean>();
  const meet = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (i === a.length && j === b.length) result = true;
    else if (a[i] === '*') result = meet(i + 1, j) || (j < b.length && meet(i, j + 1));
    else if (b[j] === '*') result = meet(i, j + 1) || (i < a.length && meet(i + 1, j));
    else result = i < a.length && j < b.length && a[i] === b[j] && meet(i + 1, j + 1);
    memo.set(key, result);
    return result;
  };
  return meet(0, 0);
}

/**
 * Whether every environment `inner` matches is matched by `outer` too (`production` lies within `*`,
 * `review/app-1` within `review/*`, but `*` not within `production`). Each `*` of `inner` becomes a
 * character no scope may hold, which only a `*` of `outer` can match: `outer` matches that probe exactly
 * when it matches every name `inner` does.
 */
export function scopeWithin(inner: string, outer: string): boolean {
  return wildcardMatches(outer, inner.replaceAll('*', '\u0000'));
}

/**
 * Where a row sits in GitLab's order within one level: `*` first (0), then other matching wildcards (1),
 * then the exact environment name (2); the last row sent wins. Undefined when the row is not sent:
 * its scope does not match the whole name, or the job has no environment and the scope is not `*`.
 */
export function environmentRank(scope: string, environment: string | undefined): 0 | 1 | 2 | undefined {
  if (scope === '*') return 0;
  if (environment === undefined) return undefined;
  if (scope === environment) return 2;
  return wildcardMatches(scope, environment) ? 1 : undefined;
}

// --- Protected refs ----------------------------------------------------------------------------------

/**
 * A protected branch or tag name: an exact name, or with `*` a wildcard for any characters (`release/*`
 * protects `release/1.0` and `release/a/b`); an empty pattern protects nothing.
 */
export function refPatternMatches(pattern: string, name: string): boolean {
  if (pattern === '') return false;
  return pattern === name || (pattern.includes('*') && wildcardMatches(pattern, name));
}
