import { environmentRank } from '../../../domain/gitlab-wildcards.js';
import type { VariableLevel as Level, ListedVariable } from '../../ports.js';

export function describeLevel(level: Level): string {
  return level.kind === 'instance' ? 'instance' : `${level.kind}:${level.path}`;
}

/** What one level defines, or why it could not be read. Levels are given least specific first. */
export type LevelVariables = { level: Level; variables: ListedVariable[] } | { level: Level; error: string };

export interface Job {
  environment?: string;
  /** Whether the pipeline's ref is a protected branch or tag (never in merge-request pipelines). */
  refProtected: boolean;
}

/** One definition of the key at some level, and what GitLab does with it for this job. */
export interface Candidate {
  level: Level;
  /** Index of its level in the list (higher is more specific). */
  depth: number;
  variable: ListedVariable;
  /** Sent to the job: matching scope, and not protected unless the ref is. */
  sent: boolean;
  /** GitLab's order within the level (0 `*`, 1 wildcard, 2 exact); undefined when not sent. */
  rank?: 0 | 1 | 2;
  /** Why it is or is not sent, in words. */
  why: string;
}

export type Decision = { kind: 'none' } | { kind: 'one'; candidate: Candidate } | { kind: 'undefined-order'; candidates: Candidate[] };

export interface Resolution {
  candidates: Candidate[];
  decision: Decision;
}

/**
 * Which definition of `key` a job receives, by GitLab's variables builder
 * (`lib/gitlab/ci/variables/builder.rb`): instance, then groups root first, then the project are sent
 * in that order, each level's matching rows ordered `*`, wildcards, exact name; the Runner takes the
 * last. So the most specific level with a sent row wins, and within it the best-ranked row. Two
 * different wildcards of the same level both matching have no defined order: both are returned.
 */
export function resolveJobVariable(levels: LevelVariables[], key: string, job: Job): Resolution {
  const candidates = levels.flatMap((entry, depth) =>
    'variables' in entry ? entry.variables.filter((variable) => variable.key === key).map((variable) => judge(entry.level, depth, variable, job)) : [],
  );
  const sent = candidates.filter((candidate) => candidate.sent);
  if (sent.length === 0) return { candidates, decision: { kind: 'none' } };
  const deepest = Math.max(...sent.map((candidate) => candidate.depth));
  const atLevel = sent.filter((candidate) => candidate.depth === deepest);
  const best = Math.max(...atLevel.map((candidate) => candidate.rank ?? 0));
  const top = atLevel.filter((candidate) => candidate.rank === best);
  const decision: Decision = top.length === 1 ? { kind: 'one', candidate: top[0] as Candidate } : { kind: 'undefined-order', candidates: top };
  return { candidates, decision };
}

function judge(level: Level, depth: number, variable: ListedVariable, job: Job): Candidate {
  const scope = level.kind === 'instance' ? '*' : variable.environmentScope;
  const rank = environmentRank(scope, job.environment);
  const base = { level, depth, variable };
  if (rank === undefined) {
    const why =
      job.environment === undefined
        ? `scope ${scope}: a job without an environment gets only * rows`
        : `scope ${scope} does not match environment ${job.environment} (the whole name must match, case-sensitive)`;
    return { ...base, sent: false, why };
  }
  if (variable.protected && !job.refProtected) return { ...base, sent: false, why: 'protected, and the ref is not protected' };
  const how = ['* matches every job', `wildcard ${scope} matches ${job.environment}`, `exact scope ${scope}`][rank] as string;
  return { ...base, sent: true, rank, why: variable.protected ? `${how}; protected, sent on this protected ref` : how };
}
