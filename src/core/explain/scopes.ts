/**
 * GitLab's matching rules for one job, read in its source: environment scopes
 * (`HasEnvironmentScope.for_environment`/`on_environment`, later `Ci::HasEnvironmentScope`) and
 * protected branch and tag names (`ProtectedRefMatcher`/`RefMatcher`).
 */

/**
 * Where a row sits in GitLab's order within one level: `*` first (0), then other matching wildcards (1),
 * then the exact environment name (2); the last row sent wins. Undefined when the row is not sent:
 * its scope does not match the whole name (`*` matches any characters, `/` included; other
 * characters, `%` and `_` too, match themselves; case-sensitive), or the job has no environment and
 * the scope is not `*`.
 */
export function environmentRank(scope: string, environment: string | undefined): 0 | 1 | 2 | undefined {
  if (scope === '*') return 0;
  if (environment === undefined) return undefined;
  if (scope === environment) return 2;
  return globMatches(scope, environment) ? 1 : undefined;
}

/**
 * A protected branch or tag name: an exact name, or with `*` a wildcard for any characters (`release/*`
 * protects `release/1.0` and `release/a/b`), anchored at both ends, case-sensitive.
 */
export function refPatternMatches(pattern: string, name: string): boolean {
  if (pattern === '') return false;
  return pattern === name || (pattern.includes('*') && globMatches(pattern, name));
}

function globMatches(pattern: string, text: string): boolean {
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 's').test(text);
}

/** The ref a pipeline runs for, as `--ref` names it. */
export type JobRef =
  | { kind: 'branch'; name: string }
  | { kind: 'tag'; name: string }
  /** A bare name: GitLab's `expand_ref` looks for a tag first, then a branch. */
  | { kind: 'unqualified'; name: string }
  /** `refs/merge-requests/N/head` (or `/merge`): not a branch or tag, so never protected. */
  | { kind: 'merge-request'; name: string };

export function parseJobRef(text: string): JobRef {
  if (text.startsWith('refs/heads/')) return { kind: 'branch', name: text.slice('refs/heads/'.length) };
  if (text.startsWith('refs/tags/')) return { kind: 'tag', name: text.slice('refs/tags/'.length) };
  if (text.startsWith('refs/merge-requests/')) return { kind: 'merge-request', name: text };
  return { kind: 'unqualified', name: text };
}
