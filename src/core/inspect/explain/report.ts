import type { ProbeAnswer } from '../../ports.js';

/** What `explain` answers, as the CLI prints it (`--json` prints it as it is). It never holds a credential. */

export type ExitCode = 0 | 1 | 2;

export interface Verdict {
  exitCode: ExitCode;
  /** One line: would authenticate / would not / cannot tell, and why. */
  summary: string;
  /** The rule that decided. */
  rule: string;
  fix?: string;
}

export interface CandidateReport {
  level: string;
  scope: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  variableType: 'env_var' | 'file';
  sent: boolean;
  outcome: 'wins' | 'loses' | 'not-sent' | 'undefined-order' | 'overridden-by-job-secret';
  why: string;
}

export interface ExplainReport {
  project: { path: string; namespace: string; defaultBranch?: string };
  image: { reference: string; registry: string; repository: string; tagOrDigest: string; runnerLookupPath: string };
  job: { environment?: string; ref: string; refProtected?: boolean; protection: string };
  levels: Array<{ level: string; readable: boolean; detail?: string }>;
  candidates: CandidateReport[];
  jobSecret?: { source: string; readable: boolean };
  /** Which definition the Runner receives, in words. */
  received: string;
  runner?: RunnerReport;
  validity?: { state: 'fresh' | 'expired' | 'not-recorded' | 'not-ecr' | 'from-helper' | 'no-entry'; expiresAt?: string; detail: string };
  probe?: ProbeReport;
  notes: string[];
  verdict: Verdict;
}

export interface RunnerReport {
  /** How the value was read: raw, or `$`-expanded; a file variable's content is used. */
  reading: string;
  outcome: 'read' | 'dropped' | 'no-source' | 'refused';
  detail?: string;
  entries: Array<{ key: string; path: string; source: 'auths' | 'credHelpers'; helper?: string }>;
  ignoredKeys: string[];
  credsStore?: string;
  credHelpers: Array<{ key: string; helper: string }>;
  tried: string[];
  match?: { key: string; path: string; source: 'auths' | 'credHelpers'; helper?: string };
}

export interface ProbeReport {
  ran: boolean;
  reason?: string;
  steps: ProbeAnswer['steps'];
  outcome?: 'authenticated' | 'unauthenticated' | 'denied' | 'not-found' | 'anonymous' | 'failed';
  meaning?: string;
}
