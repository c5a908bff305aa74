import type { ListedVariable } from '../ports.js';

/**
 * The narrow, read-only interfaces `explain` needs. Adapters: src/adapters/gitlab/job-variables.ts
 * and src/adapters/registry/registry-probe.ts; unit tests implement them by hand.
 */

export interface ProjectInfo {
  id: number;
  fullPath: string;
  defaultBranch?: string;
  /** `group` namespaces pass their variables (and their ancestors') to the project; personal (`user`) ones pass none. */
  namespace: { kind: 'group' | 'user'; fullPath: string };
}

export type VariableLevel = { kind: 'instance' } | { kind: 'group'; path: string } | { kind: 'project'; path: string };

/** What GitLab holds for one project's jobs. Every method throws (GitLabApiError) when GitLab refuses or fails. */
export interface JobVariableSource {
  project(path: string): Promise<ProjectInfo>;
  /** Every variable the level defines, in every scope, values included (all pages). */
  variables(level: VariableLevel): Promise<ListedVariable[]>;
  /** Names and wildcard patterns of the project's protected branches and tags (group-level ones included, as GitLab lists them). */
  protectedRefs(projectPath: string): Promise<{ branches: string[]; tags: string[] }>;
  /** Whether a branch or tag of that exact name exists. */
  refExists(projectPath: string, kind: 'branch' | 'tag', name: string): Promise<boolean>;
}

/** Exactly what the Runner would hand the registry; never printed. */
export type ProbeCredentials =
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'identity-token'; username: string; token: string }
  | { kind: 'registry-token'; token: string };

export interface ProbeRequest {
  /** Where the registry API answers (`HOST[:PORT]`). */
  endpointHost: string;
  repository: string;
  /** Tag or digest. */
  reference: string;
  credentials: ProbeCredentials;
}

/** One HTTP exchange of the probe, without credentials. */
export interface ProbeStep {
  request: string;
  /** HTTP status, or undefined when no answer came. */
  status?: number;
  detail?: string;
}

export interface ProbeAnswer {
  steps: ProbeStep[];
  /** The registry's challenge on `GET /v2/` without credentials. */
  challenge?: 'none' | 'basic' | 'bearer' | 'other';
  /** A token service refused the credentials (Bearer registries). */
  tokenStatus?: number;
  /** The manifest HEAD's status with the credentials. */
  manifestStatus?: number;
  /** Why the probe could not finish (network, TLS, an answer it could not read). */
  error?: string;
}

/** Asks a registry, with given credentials, whether one manifest can be read (`GET /v2/`, token, `HEAD` manifest). */
export interface RegistryProbe {
  probe(request: ProbeRequest): Promise<ProbeAnswer>;
}
