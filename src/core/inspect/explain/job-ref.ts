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
