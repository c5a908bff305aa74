import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import type { JobVariableSource, ListedVariable, ProbeAnswer, ProbeRequest, ProjectInfo, RegistryProbe, VariableLevel } from '../../src/core/ports.js';
import { GitLabApiError } from '../../src/errors.js';

export const ECR_HOST = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
export const ECR_IMAGE = `${ECR_HOST}/platform/app:v1`;
export const PASSWORD = 'ecr-password-never-printed';

/** A DOCKER_AUTH_CONFIG row as the list endpoints return it. */
export function aVariable(value: string | null, overrides: Partial<ListedVariable> = {}): ListedVariable {
  return {
    key: 'DOCKER_AUTH_CONFIG',
    value,
    hidden: value === null,
    masked: false,
    protected: false,
    raw: true,
    variableType: 'env_var',
    description: null,
    environmentScope: '*',
    ...overrides,
  };
}

/** A value as this tool writes it: the host's entry and the recorded expiry. */
export function toolValue(expiresAt: string, host = ECR_HOST, password = PASSWORD, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    ...extra,
    auths: { ...((extra.auths as object | undefined) ?? {}), [host]: { auth: encodeAuth('AWS', password) } },
    ecrGitlabRefresher: { refreshedAt: '2026-01-01T00:00:00.000Z', expiresAt: { [host]: expiresAt } },
  });
}

const levelKey = (level: VariableLevel) => (level.kind === 'instance' ? 'instance' : `${level.kind}:${level.path}`);

/** A hand-written GitLab for explain: variables per level ('instance', 'group:PATH', 'project:PATH'), refs, and failures. */
export class FakeJobVariables implements JobVariableSource {
  readonly variablesByLevel = new Map<string, ListedVariable[]>();
  readonly failing = new Map<string, string>();
  protectedBranches: string[] = [];
  protectedTags: string[] = [];
  branches = new Set<string>(['main']);
  tags = new Set<string>();
  protectedRefsError?: string;
  readonly calls: string[] = [];

  constructor(readonly info: ProjectInfo = { id: 7, fullPath: 'platform/backend/api', defaultBranch: 'main', namespace: { kind: 'group', fullPath: 'platform/backend' } }) {}

  define(level: string, ...variables: ListedVariable[]): this {
    this.variablesByLevel.set(level, [...(this.variablesByLevel.get(level) ?? []), ...variables]);
    return this;
  }

  async project(path: string): Promise<ProjectInfo> {
    this.calls.push(`project ${path}`);
    if (path !== this.info.fullPath) throw new GitLabApiError('GET /api/v4/projects returned 404: 404 Project Not Found', 404);
    return this.info;
  }

  async variables(level: VariableLevel): Promise<ListedVariable[]> {
    const key = levelKey(level);
    this.calls.push(`variables ${key}`);
    const failure = this.failing.get(key);
    if (failure) throw new GitLabApiError(failure, Number(/\d{3}/.exec(failure)?.[0] ?? 500));
    return this.variablesByLevel.get(key) ?? [];
  }

  async protectedRefs(projectPath: string): Promise<{ branches: string[]; tags: string[] }> {
    this.calls.push(`protectedRefs ${projectPath}`);
    if (this.protectedRefsError) throw new GitLabApiError(this.protectedRefsError, 403);
    return { branches: this.protectedBranches, tags: this.protectedTags };
  }

  async refExists(projectPath: string, kind: 'branch' | 'tag', name: string): Promise<boolean> {
    this.calls.push(`refExists ${projectPath} ${kind} ${name}`);
    return (kind === 'branch' ? this.branches : this.tags).has(name);
  }
}

/** A registry that answers the manifest request with a fixed status, and records what it was asked. */
export class FakeRegistryProbe implements RegistryProbe {
  readonly requests: ProbeRequest[] = [];
  constructor(private readonly answer: Partial<ProbeAnswer>) {}

  async probe(request: ProbeRequest): Promise<ProbeAnswer> {
    this.requests.push(request);
    return { steps: [{ request: 'GET /v2/', status: 401 }], challenge: 'basic', ...this.answer };
  }
}
