/**
 * A GitLab API emulator for the CI/CD variables endpoints (and the few lookups `doctor` needs),
 * following ../shared/reference/gitlab-ci-variables-api.md: permission order 401 → 404 → 403, no
 * upsert, 409 for ambiguous scopes (except group PUT), masked-value rules, hidden values, pagination
 * with Link headers, string flags on groups, unlicensed group scopes, text/plain 429s, and fault
 * injection (latency, 5xx, dropped connections, 429 bursts, a server-side rate limit). Served over HTTP or
 * HTTPS, at the root or under a path (a GitLab with a relative URL root). For the footprint suite:
 * scripted faults that apply a write and then lose its answer, a record of which variable row each
 * request addressed, and a full reset.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

export type AccessLevel = 10 | 20 | 30 | 40 | 50;
export const ACCESS = { guest: 10, reporter: 20, developer: 30, maintainer: 40, owner: 50 } as const;

export interface EmulatedVariable {
  id: number;
  key: string;
  value: string;
  variable_type: 'env_var' | 'file';
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  environment_scope: string;
  description: string | null;
}

interface Namespace {
  id: number;
  fullPath: string;
  parentId?: number;
  /** Groups a project is shared with (it inherits none of their variables). */
  sharedWith?: number[];
}

interface TokenInfo {
  id: number;
  userId: number;
  scopes: string[];
  name: string;
  /** `YYYY-MM-DD`; a token stops working at the start of that day (UTC). */
  expiresAt?: string;
  revoked: boolean;
  /** Tokens rotated from one another share a family (GitLab's reuse detection revokes all of it). */
  family: number;
  /** Set once the token was rotated: its successor. */
  rotatedTo?: string;
}

export interface Faults {
  /** Added before every answer. */
  latencyMs: number;
  /** Probability of a 500/502/503 (split evenly). */
  errorRate: number;
  /** Probability that the connection is destroyed without an answer. */
  dropRate: number;
  /** Probability of an extra `slowMs` of latency. */
  slowRate: number;
  slowMs: number;
  /** Server-side throttle per token per fixed 60 s window (gitlab.com: 2000). 0 = off. */
  limitPerWindow: number;
  windowMs: number;
  /** Where the limit's RateLimit-* headers appear: on every answer (gitlab.com), or only on the 429. */
  rateLimitHeaders: 'always' | 'on429';
  /** Every request answers 429 with this Retry-After (seconds) while the burst lasts. */
  burst429: { remaining: number; retryAfterSeconds: number };
}

export interface InjectedResponse {
  match: (method: string, path: string) => boolean;
  status: number;
  body?: unknown;
  times: number;
}

/** An answer that is not GitLab's own (see garbleAfterApply). */
export interface GarbledAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface RequestRecord {
  method: string;
  path: string;
  /** What the client received: the HTTP status, or -1 when the connection was dropped. */
  status: number;
  /** The variables' owner the request addressed (`project:ID`, `group:ID`, `instance`), ids resolved from paths. */
  owner?: string;
  /** The variable key of a single-variable request, or of a POST's body. */
  variableKey?: string;
  /** `filter[environment_scope]` of a single-variable request, or the scope a POST asks for ("*" for instance rows). */
  scope?: string;
  /** A GET of a whole variables list. */
  list?: boolean;
  /** A scripted fault that hit this request. */
  fault?: ScriptedFaultEffect;
  /** For faults after apply: the status GitLab applied the request with (its answer was then lost). */
  appliedStatus?: number;
}

/** How the emulator is served (docs/network.md: private networks). */
export interface Serving {
  /** Serve HTTPS with this key and certificate chain (PEM). */
  tls?: { key: string; cert: string };
  /** A relative URL root such as `/gitlab`: the API is then under `/gitlab/api/v4`, like GitLab's relative_url_root. */
  pathPrefix?: string;
}

const NO_FAULTS: Faults = {
  latencyMs: 0,
  errorRate: 0,
  dropRate: 0,
  slowRate: 0,
  slowMs: 0,
  limitPerWindow: 0,
  windowMs: 60_000,
  rateLimitHeaders: 'always',
  burst429: { remaining: 0, retryAfterSeconds: 1 },
};

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(typeof body === 'string' ? body : JSON.stringify(body));
  }
}

const MASKED_PLAIN = /^[a-zA-Z0-9_+=/@:.~-]{8,}$/;
const MASKED_RAW = /^\S{8,}$/;
const KEY = /^[a-zA-Z0-9_]+$/;
const SCOPE = /^[a-zA-Z0-9_/${}. \-*]+$/;

export class GitLabEmulator {
  faults: Faults = structuredClone(NO_FAULTS);
  /** Scoped group variables need a licensed tier; without it GitLab silently stores them in "*". */
  groupScopesLicensed = true;
  readonly requests: RequestRecord[] = [];
  private readonly injected: InjectedResponse[] = [];
  private readonly users = new Map<number, { id: number; username: string; admin: boolean }>();
  private readonly tokens = new Map<string, TokenInfo>();
  private readonly groups = new Map<number, Namespace>();
  private readonly projects = new Map<number, Namespace>();
  private readonly members = new Map<string, AccessLevel>();
  private readonly byPath = new Map<string, Namespace>();
  private readonly redirects = new Map<string, Namespace>();
  private readonly variables = new Map<string, EmulatedVariable[]>();
  private nextId = 1;
  private server?: Server;
  private serving: Serving = {};
  private window = new Map<string, { start: number; count: number }>();
  private rng: () => number = seeded(42);

  async start(serving: Serving = {}): Promise<string> {
    this.serving = { ...serving, pathPrefix: serving.pathPrefix?.replace(/\/+$/, '') };
    const handler = (request: IncomingMessage, response: ServerResponse) => void this.handle(request, response);
    this.server = serving.tls ? createTlsServer(serving.tls, handler) : createServer(handler);
    this.server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return this.url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | undefined;
    if (!address) throw new Error('emulator not started');
    return `${this.serving.tls ? 'https' : 'http'}://127.0.0.1:${address.port}${this.serving.pathPrefix ?? ''}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  seed(value: number): void {
    this.rng = seeded(value);
  }

  // ---- seeding -------------------------------------------------------------------------------

  addUser(username: string, options: { admin?: boolean } = {}): number {
    const id = this.nextId++;
    this.users.set(id, { id, username, admin: options.admin ?? false });
    return id;
  }

  addToken(token: string, userId: number, scopes: string[] = ['api'], name = 'refresher', options: { expiresAt?: string; family?: number } = {}): void {
    const id = this.nextId++;
    this.tokens.set(token, { id, userId, scopes, name, expiresAt: options.expiresAt, revoked: false, family: options.family ?? id });
  }

  /** Every token of a family that still works (rotation leaves exactly one). */
  activeTokensOfFamily(token: string): string[] {
    const family = this.tokens.get(token)?.family;
    return [...this.tokens].filter(([, info]) => info.family === family && !info.revoked).map(([value]) => value);
  }

  /** The stored record of a token, for tests (revoked, expiry). */
  tokenInfo(token: string): Readonly<TokenInfo> | undefined {
    return this.tokens.get(token);
  }

  /** GitLab's maximum access token lifetime (365 days by default). */
  maxTokenLifetimeDays = 365;

  addGroup(fullPath: string): number {
    const parentPath = fullPath.includes('/') ? fullPath.slice(0, fullPath.lastIndexOf('/')) : undefined;
    const parent = parentPath ? this.findByPath(this.groups, parentPath) : undefined;
    if (parentPath && !parent) throw new Error(`parent group ${parentPath} missing`);
    const id = this.nextId++;
    const group = { id, fullPath, parentId: parent?.id };
    this.groups.set(id, group);
    this.byPath.set(`group:${fullPath.toLowerCase()}`, group);
    return id;
  }

  addProject(fullPath: string): number {
    const groupPath = fullPath.slice(0, fullPath.lastIndexOf('/'));
    const group = this.findByPath(this.groups, groupPath);
    if (!group) throw new Error(`group ${groupPath} missing`);
    const id = this.nextId++;
    const project = { id, fullPath, parentId: group.id };
    this.projects.set(id, project);
    this.byPath.set(`project:${fullPath.toLowerCase()}`, project);
    return id;
  }

  /** Shares a project with a group: GitLab lists it under that group's projects (with_shared), but it inherits nothing. */
  shareProject(projectId: number, groupId: number): void {
    const project = this.projects.get(projectId);
    if (!project) throw new Error(`project ${projectId} missing`);
    project.sharedWith = [...(project.sharedWith ?? []), groupId];
  }

  /**
   * Moves a project to another group, keeping its id. Its old path keeps answering GETs (GitLab's
   * redirect routes), while writes to the old path get 405.
   */
  moveProject(projectId: number, newPath: string): void {
    const project = this.projects.get(projectId);
    const group = this.findByPath(this.groups, newPath.slice(0, newPath.lastIndexOf('/')));
    if (!project || !group) throw new Error(`cannot move project ${projectId} to ${newPath}`);
    this.redirects.set(`project:${project.fullPath.toLowerCase()}`, project);
    this.byPath.delete(`project:${project.fullPath.toLowerCase()}`);
    project.fullPath = newPath;
    project.parentId = group.id;
    this.byPath.set(`project:${newPath.toLowerCase()}`, project);
  }

  addMember(kind: 'group' | 'project', id: number, userId: number, level: AccessLevel): void {
    this.members.set(`${kind}:${id}:${userId}`, level);
  }

  /** Stores a variable directly, bypassing validation (to seed odd values such as non-JSON). */
  putVariable(owner: 'instance' | { project: number } | { group: number }, variable: Partial<EmulatedVariable> & { key: string; value: string }): EmulatedVariable {
    const stored: EmulatedVariable = {
      id: this.nextId++,
      variable_type: 'env_var',
      protected: false,
      masked: false,
      hidden: false,
      raw: false,
      environment_scope: '*',
      description: null,
      ...variable,
    };
    this.list(ownerKey(owner)).push(stored);
    return stored;
  }

  getVariable(owner: 'instance' | { project: number } | { group: number }, key: string, scope = '*'): EmulatedVariable | undefined {
    return this.list(ownerKey(owner)).find((variable) => variable.key === key && (ownerKey(owner) === 'instance' || variable.environment_scope === scope));
  }

  /** A deep copy of every variable, for before/after comparisons. */
  snapshot(): Record<string, EmulatedVariable[]> {
    return structuredClone(Object.fromEntries([...this.variables].filter(([, list]) => list.length > 0)));
  }

  inject(response: Omit<InjectedResponse, 'times'> & { times?: number }): void {
    this.injected.push({ times: 1, ...response });
  }

  clearVariables(): void {
    this.variables.clear();
  }

  resetFaults(): void {
    this.faults = structuredClone(NO_FAULTS);
    this.injected.length = 0;
    this.scriptedFaults.length = 0;
    this.garbledAfterApply.length = 0;
    this.window.clear();
  }

  // ---- explain: namespaces, default branches, refs, protected refs, and the oracle --------------

  private readonly personalProjects = new Set<number>();
  private readonly defaultBranches = new Map<number, string>();
  private readonly repositoryRefs = new Map<number, { branches: Set<string>; tags: Set<string> }>();
  private readonly protectedRules = new Map<number, { branches: string[]; tags: string[] }>();

  /** A project in a user's personal namespace (`alice/tool`): GitLab passes it no group variables. */
  addPersonalProject(fullPath: string): number {
    const id = this.nextId++;
    const project = { id, fullPath };
    this.projects.set(id, project);
    this.personalProjects.add(id);
    this.byPath.set(`project:${fullPath.toLowerCase()}`, project);
    return id;
  }

  /** Branches and tags that exist in the project's repository (the default branch always does). */
  addRefs(projectId: number, refs: { branches?: string[]; tags?: string[] }): void {
    const known = this.refsOf(projectId);
    for (const branch of refs.branches ?? []) known.branches.add(branch);
    for (const tag of refs.tags ?? []) known.tags.add(tag);
  }

  setDefaultBranch(projectId: number, branch: string): void {
    this.defaultBranches.set(projectId, branch);
  }

  /** Protected branch and tag rules: exact names or wildcards such as `release/*`. */
  protectRefs(projectId: number, rules: { branches?: string[]; tags?: string[] }): void {
    const current = this.protectedRules.get(projectId) ?? { branches: [], tags: [] };
    this.protectedRules.set(projectId, { branches: [...current.branches, ...(rules.branches ?? [])], tags: [...current.tags, ...(rules.tags ?? [])] });
  }

  /**
   * ORACLE (tests only): which definitions of `key` a job of this project receives, computed by GitLab's
   * rules (lib/gitlab/ci/variables/builder.rb, HasEnvironmentScope, Project#protected_for?) from the
   * emulator's own state, independently of the code under test: instance rows, then each group's root
   * first, then the project's, each level's matching rows ordered `*`, wildcards, exact; protected rows
   * only on a protected ref; the last one wins. Two different wildcards tied at the end have no order.
   * `ref` is what a pipeline runs for: `refs/heads/NAME`, `refs/tags/NAME`, `refs/merge-requests/N/head`,
   * or a bare name that GitLab expands (tag first, then branch).
   */
  oracleJobVariable(projectId: number, job: { environment?: string; ref: string }, key = 'DOCKER_AUTH_CONFIG'): OracleAnswer {
    const project = this.projects.get(projectId);
    if (!project) throw new Error(`project ${projectId} missing`);
    const isProtected = this.oracleProtectedFor(projectId, job.ref);
    const ordered: Array<{ level: string; variable: EmulatedVariable; rank: number }> = [];
    const take = (level: string, owner: string, scoped: boolean) => {
      const rows = this.list(owner).filter((row) => row.key === key && (isProtected || !row.protected));
      const ranked = rows.map((variable) => ({ level, variable, rank: scoped ? oracleRank(variable.environment_scope, job.environment) : 0 })).filter((row) => row.rank >= 0);
      // A stable sort keeps id order within a rank, where GitLab's SQL leaves the order open.
      ordered.push(...ranked.sort((a, b) => a.rank - b.rank));
    };
    take('instance', 'instance', false);
    const groups: Namespace[] = [];
    for (let parent = project.parentId; parent !== undefined; parent = this.groups.get(parent)?.parentId) groups.unshift(this.groups.get(parent) as Namespace);
    for (const group of groups) take(`group:${group.fullPath}`, `group:${group.id}`, true);
    take(`project:${project.fullPath}`, `project:${project.id}`, true);
    const last = ordered[ordered.length - 1];
    if (!last) return { kind: 'none', protectedRef: isProtected };
    const tied = ordered.filter((row) => row.level === last.level && row.rank === last.rank);
    if (tied.length > 1) return { kind: 'undefined-order', variables: tied.map((row) => ({ level: row.level, variable: row.variable })), protectedRef: isProtected };
    return { kind: 'one', level: last.level, variable: last.variable, protectedRef: isProtected };
  }

  private oracleProtectedFor(projectId: number, ref: string): boolean {
    const rules = this.protectedRules.get(projectId) ?? { branches: [], tags: [] };
    const known = this.refsOf(projectId);
    let kind: 'branch' | 'tag' | undefined;
    let name = ref;
    if (ref.startsWith('refs/heads/')) [kind, name] = ['branch', ref.slice('refs/heads/'.length)];
    else if (ref.startsWith('refs/tags/')) [kind, name] = ['tag', ref.slice('refs/tags/'.length)];
    else if (!ref.startsWith('refs/')) kind = known.tags.has(ref) ? 'tag' : known.branches.has(ref) ? 'branch' : undefined;
    if (kind === undefined) return false;
    return (kind === 'branch' ? rules.branches : rules.tags).some((rule) => rule === name || (rule.includes('*') && globMatch(name, rule)));
  }

  private refsOf(projectId: number): { branches: Set<string>; tags: Set<string> } {
    let refs = this.repositoryRefs.get(projectId);
    if (!refs) {
      refs = { branches: new Set([this.defaultBranches.get(projectId) ?? 'main']), tags: new Set() };
      this.repositoryRefs.set(projectId, refs);
    }
    return refs;
  }

  /** What GET /projects/:id and /groups/:id add: the namespace and default branch, and a group's parent id. */
  private namespaceDetails(kind: 'project' | 'group', owner: Namespace): Record<string, unknown> {
    if (kind === 'group') return { parent_id: owner.parentId ?? null };
    if (this.personalProjects.has(owner.id)) {
      const path = owner.fullPath.slice(0, owner.fullPath.lastIndexOf('/'));
      return { default_branch: this.defaultBranches.get(owner.id) ?? 'main', namespace: { id: 0, kind: 'user', full_path: path, path, parent_id: null } };
    }
    const group = this.groups.get(owner.parentId as number);
    return {
      default_branch: this.defaultBranches.get(owner.id) ?? 'main',
      namespace: { id: group?.id, kind: 'group', full_path: group?.fullPath, path: group?.fullPath.split('/').pop(), parent_id: group?.parentId ?? null },
    };
  }

  /**
   * Protected branches and tags (GitLab lists group-level protected branches too, at most 100), and
   * single branches and tags of the repository. Reading code needs Reporter; unknown refs are 404s.
   */
  private explainRoute(method: string, url: URL, path: string, auth: TokenInfo): { status: number; body: unknown; headers?: Record<string, string> } | undefined {
    if (method !== 'GET') return undefined;
    const rules = /^\/projects\/([^/]+)\/protected_(branches|tags)$/.exec(path);
    const single = /^\/projects\/([^/]+)\/repository\/(branches|tags)\/(.+)$/.exec(path);
    const match = rules ?? single;
    if (!match) return undefined;
    const project = this.resolve('project', match[1] as string, auth.userId);
    if (!this.users.get(auth.userId)?.admin && this.accessLevel('project', project.id, auth.userId) < ACCESS.reporter) throw new HttpError(403, { message: '403 Forbidden' });
    this.requireScope(auth, method);
    if (rules) {
      const stored = this.protectedRules.get(project.id) ?? { branches: [], tags: [] };
      const names = rules[2] === 'branches' ? stored.branches : stored.tags;
      return this.page(
        url,
        names.map((name, index) => ({ id: index + 1, name, ...(rules[2] === 'branches' ? { push_access_levels: [], merge_access_levels: [] } : { create_access_levels: [] }) })),
      );
    }
    const name = decodeURIComponent(match[3] as string);
    const refs = this.refsOf(project.id);
    const isBranch = match[2] === 'branches';
    if (!(isBranch ? refs.branches : refs.tags).has(name)) throw new HttpError(404, { message: `404 ${isBranch ? 'Branch' : 'Tag'} Not Found` });
    return { status: 200, body: { name, ...(isBranch ? { default: name === (this.defaultBranches.get(project.id) ?? 'main') } : {}) } };
  }

  // ---- HTTP ----------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://emulator');
    const method = request.method ?? 'GET';
    const record: RequestRecord = { method, path: url.pathname + url.search, status: 0 };
    this.requests.push(record);
    if (!this.insidePrefix(url)) return this.send(response, record, 404, 'Not Found\n');
    const body = await readBody(request);
    Object.assign(record, this.describeRow(method, url, body));
    const scripted = this.takeScriptedFault(method, url.pathname, record);
    if (scripted && this.failBeforeApply(scripted, request, response, record)) return;
    const faults = this.faults;
    const latency = faults.latencyMs + (this.rng() < faults.slowRate ? faults.slowMs : 0);
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (this.rng() < faults.dropRate) {
      record.status = -1;
      request.socket.destroy();
      return;
    }
    const token = this.tokenOf(request);
    if (method === 'POST' && url.pathname.endsWith('/personal_access_tokens/self/rotate')) this.detectReuse(token);
    const throttled = this.throttle(token);
    if (throttled) return this.send(response, record, 429, 'Retry later\n', throttled);
    const rateHeaders = this.rateHeaders(token);
    if (this.rng() < faults.errorRate) {
      const status = [500, 502, 503][Math.floor(this.rng() * 3)] as number;
      return this.send(response, record, status, { message: `${status} emulated failure` }, rateHeaders);
    }
    const injected = this.injected.find((candidate) => candidate.times > 0 && candidate.match(method, url.pathname));
    if (injected) {
      injected.times--;
      return this.send(response, record, injected.status, injected.body ?? { message: `${injected.status} injected` }, rateHeaders);
    }
    try {
      const result = this.route(method, url, body, token);
      if (scripted) return this.loseAnswer(scripted, request, response, record, result.status);
      const garbled = this.takeGarbledAfterApply(method, url.pathname);
      if (garbled) {
        record.status = garbled.status;
        response.writeHead(garbled.status, { 'Content-Type': garbled.contentType }).end(garbled.body);
        return;
      }
      this.send(response, record, result.status, result.body, { ...rateHeaders, ...result.headers });
    } catch (error) {
      if (scripted) return this.loseAnswer(scripted, request, response, record, error instanceof HttpError ? error.status : 500);
      if (error instanceof HttpError) return this.send(response, record, error.status, error.body, rateHeaders);
      this.send(response, record, 500, { message: `500 Internal Server Error: ${(error as Error).message}` }, rateHeaders);
    }
  }

  // ---- relative URL root -------------------------------------------------------------------------

  /** Strips the path prefix from `url`; false when the request is outside it (the web server's 404). */
  private insidePrefix(url: URL): boolean {
    const prefix = this.serving.pathPrefix;
    if (!prefix) return true;
    if (!url.pathname.startsWith(`${prefix}/`)) return false;
    url.pathname = url.pathname.slice(prefix.length);
    return true;
  }

  private send(response: ServerResponse, record: RequestRecord, status: number, body: unknown, headers: Record<string, string> = {}): void {
    record.status = status;
    if (status === 204) {
      response.writeHead(204, headers).end();
      return;
    }
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const contentType = typeof body === 'string' ? 'text/plain' : 'application/json';
    response.writeHead(status, { 'Content-Type': contentType, ...headers }).end(text);
  }

  private tokenOf(request: IncomingMessage): string | undefined {
    const privateToken = request.headers['private-token'];
    if (typeof privateToken === 'string') return privateToken;
    const bearer = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    return bearer?.[1];
  }

  /** 429 headers when the token is over its budget or a burst is active, else undefined. */
  private throttle(token: string | undefined): Record<string, string> | undefined {
    const { burst429, limitPerWindow, windowMs } = this.faults;
    if (burst429.remaining > 0) {
      burst429.remaining--;
      return { 'Retry-After': String(burst429.retryAfterSeconds), 'RateLimit-Name': 'throttle_authenticated_api' };
    }
    if (limitPerWindow <= 0) return undefined;
    const now = Date.now();
    const key = token ?? 'anonymous';
    let window = this.window.get(key);
    if (!window || now - window.start >= windowMs) {
      window = { start: now, count: 0 };
      this.window.set(key, window);
    }
    window.count++;
    if (window.count <= limitPerWindow) return undefined;
    const resetMs = window.start + windowMs;
    return {
      'Retry-After': String(Math.max(1, Math.ceil((resetMs - now) / 1000))),
      'RateLimit-Name': 'throttle_authenticated_api',
      'RateLimit-Limit': String(limitPerWindow),
      'RateLimit-Observed': String(window.count),
      'RateLimit-Remaining': '0',
      'RateLimit-Reset': String(Math.ceil(resetMs / 1000)),
      'RateLimit-ResetTime': new Date(resetMs).toUTCString(),
    };
  }

  private rateHeaders(token: string | undefined): Record<string, string> {
    const { limitPerWindow, windowMs, rateLimitHeaders } = this.faults;
    const window = this.window.get(token ?? 'anonymous');
    if (limitPerWindow <= 0 || !window || rateLimitHeaders === 'on429') return {};
    return {
      'RateLimit-Limit': String(limitPerWindow),
      'RateLimit-Observed': String(window.count),
      'RateLimit-Remaining': String(Math.max(0, limitPerWindow - window.count)),
      'RateLimit-Reset': String(Math.ceil((window.start + windowMs) / 1000)),
    };
  }

  // ---- routing -------------------------------------------------------------------------------

  private route(method: string, url: URL, body: Record<string, unknown>, token: string | undefined): { status: number; body: unknown; headers?: Record<string, string> } {
    const path = url.pathname.replace(/^\/api\/v4/, '');
    const auth = this.authenticate(token);
    const forExplain = this.explainRoute(method, url, path, auth);
    if (forExplain) return forExplain;
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/user') return { status: 200, body: this.userBody(auth.userId) };
    if (method === 'GET' && path === '/personal_access_tokens/self') return { status: 200, body: tokenBody(auth) };
    if (method === 'POST' && path === '/personal_access_tokens/self/rotate') return this.rotate(auth, body);
    if ((match = /^\/(projects|groups)\/([^/]+)$/.exec(path)) && method === 'GET') {
      const kind = match[1] === 'projects' ? 'project' : 'group';
      const owner = this.resolve(kind, match[2] as string, auth.userId);
      return {
        status: 200,
        body: {
          id: owner.id,
          full_path: owner.fullPath,
          path_with_namespace: owner.fullPath,
          permissions: this.permissionsBody(kind, owner.id, auth.userId),
          ...this.namespaceDetails(kind, owner),
        },
      };
    }
    if ((match = /^\/(projects|groups)\/([^/]+)\/members\/all\/(\d+)$/.exec(path)) && method === 'GET') {
      const kind = match[1] === 'projects' ? 'project' : 'group';
      const owner = this.resolve(kind, match[2] as string, auth.userId);
      const memberId = Number(match[3]);
      const level = this.accessLevel(kind, owner.id, memberId);
      if (level === 0) throw new HttpError(404, { message: '404 Not found' });
      return { status: 200, body: { id: memberId, username: this.users.get(memberId)?.username, access_level: level } };
    }
    if ((match = /^\/groups\/([^/]+)\/(projects|descendant_groups)$/.exec(path)) && method === 'GET') {
      const group = this.resolve('group', match[1] as string, auth.userId);
      const below = match[2] === 'projects' ? this.groupProjects(group, url) : [...this.groups.values()].filter((candidate) => candidate.fullPath.startsWith(`${group.fullPath}/`));
      return this.page(
        url,
        below.map((candidate) => ({ id: candidate.id, full_path: candidate.fullPath, path_with_namespace: candidate.fullPath })),
      );
    }
    if ((match = /^\/(projects|groups)\/([^/]+)\/variables(?:\/([^/]+))?$/.exec(path))) {
      const kind = match[1] === 'projects' ? 'project' : 'group';
      const owner = this.resolve(kind, match[2] as string, auth.userId, method);
      this.authorise(kind, owner.id, auth, method);
      return this.variablesRoute(method, url, body, `${kind}:${owner.id}`, kind, match[3] ? decodeURIComponent(match[3]) : undefined);
    }
    if ((match = /^\/admin\/ci\/variables(?:\/([^/]+))?$/.exec(path))) {
      if (!this.users.get(auth.userId)?.admin) throw new HttpError(403, { message: '403 Forbidden' });
      this.requireScope(auth, method);
      return this.variablesRoute(method, url, body, 'instance', 'instance', match[1] ? decodeURIComponent(match[1]) : undefined);
    }
    throw new HttpError(404, { error: '404 Not Found' });
  }

  private variablesRoute(method: string, url: URL, body: Record<string, unknown>, key: string, kind: 'project' | 'group' | 'instance', variableKey: string | undefined) {
    const variables = this.list(key);
    if (variableKey === undefined) {
      if (method === 'GET')
        return this.page(
          url,
          variables.map((variable) => present(variable, kind)),
        );
      if (method === 'POST') return { status: 201, body: present(this.create(variables, body, kind), kind) };
      throw new HttpError(405, { message: '405 Method Not Allowed' });
    }
    const filter = kind === 'instance' ? undefined : scopeFilter(url, body);
    const notFound = { project: '404 Variable Not Found', group: '404 GroupVariable Not Found', instance: '404 InstanceVariable Not Found' }[kind];
    const matches = variables.filter((variable) => variable.key === variableKey && (filter === undefined || variable.environment_scope === filter));
    const ambiguous = matches.length > 1 && !(kind === 'group' && method === 'PUT');
    if (ambiguous) throw new HttpError(409, { message: "There are multiple variables with provided parameters. Please use 'filter[environment_scope]'" });
    // GitLab's group PUT (Ci::ChangeVariableService) falls back to find_by!(key:) when the filtered lookup
    // finds nothing: it overwrites a row of another scope and answers 200 with that row.
    const groupPutFallback = kind === 'group' && method === 'PUT' && matches.length === 0;
    const found = groupPutFallback ? variables.find((variable) => variable.key === variableKey) : matches[0];
    if (!found) throw new HttpError(404, { message: notFound });
    if (method === 'GET') return { status: 200, body: present(found, kind) };
    if (method === 'PUT') return { status: 200, body: present(this.update(found, body, kind), kind) };
    if (method === 'DELETE') {
      variables.splice(variables.indexOf(found), 1);
      return { status: 204, body: null };
    }
    throw new HttpError(405, { message: '405 Method Not Allowed' });
  }

  private create(variables: EmulatedVariable[], body: Record<string, unknown>, kind: 'project' | 'group' | 'instance'): EmulatedVariable {
    const key = typeof body.key === 'string' ? body.key.trim() : '';
    if (!key) throw new HttpError(400, { error: 'key is missing' });
    if (typeof body.value !== 'string') throw new HttpError(400, { error: 'value is missing' });
    if (key.length > 255 || !KEY.test(key)) throw new HttpError(400, { message: { key: ["can contain only letters, digits and '_'."] } });
    let scope = kind === 'instance' ? '*' : typeof body.environment_scope === 'string' ? body.environment_scope : '*';
    if (!SCOPE.test(scope)) throw new HttpError(400, { message: { environment_scope: ['has invalid format'] } });
    if (kind === 'group' && !this.groupScopesLicensed) scope = '*';
    if (variables.some((variable) => variable.key === key && variable.environment_scope === scope)) {
      throw new HttpError(400, { message: { key: [`(${key}) has already been taken`] } });
    }
    if (kind === 'instance' && variables.length >= 25) throw new HttpError(400, { message: { base: ['Maximum number of instance ci variables (25) exceeded'] } });
    const hidden = flag(body.masked_and_hidden, kind, 'masked_and_hidden');
    const variable: EmulatedVariable = {
      id: this.nextId++,
      key,
      value: body.value,
      variable_type: parseType(body.variable_type),
      protected: flag(body.protected, kind),
      masked: hidden || flag(body.masked, kind),
      hidden,
      raw: flag(body.raw, kind),
      environment_scope: scope,
      description: typeof body.description === 'string' ? body.description : null,
    };
    validate(variable, kind);
    variables.push(variable);
    return variable;
  }

  private update(found: EmulatedVariable, body: Record<string, unknown>, kind: 'project' | 'group' | 'instance'): EmulatedVariable {
    const next = { ...found };
    if (typeof body.value === 'string') next.value = body.value;
    if (body.protected !== undefined) next.protected = flag(body.protected, kind);
    if (body.raw !== undefined) next.raw = flag(body.raw, kind);
    if (body.variable_type !== undefined) next.variable_type = parseType(body.variable_type);
    if (typeof body.description === 'string') next.description = body.description;
    // Ci::HidableVariable: `hidden` never changes, and `masked` cannot change on a hidden variable; a visible
    // variable may switch masking on or off with the same PUT.
    if (body.masked !== undefined && flag(body.masked, kind) !== found.masked) {
      if (found.hidden) throw new HttpError(400, { message: { base: ['The visibility setting cannot be changed for masked and hidden variables.'] } });
      next.masked = flag(body.masked, kind);
    }
    validate(next, kind);
    Object.assign(found, next);
    return found;
  }

  private page(url: URL, items: unknown[]) {
    const perPage = Math.min(100, Math.max(1, Number(url.searchParams.get('per_page') ?? 20) || 20));
    const page = Math.max(1, Number(url.searchParams.get('page') ?? 1) || 1);
    const totalPages = Math.max(1, Math.ceil(items.length / perPage));
    const link = (target: number) => {
      const next = new URL(url.toString().replace('http://emulator', this.url));
      next.searchParams.set('page', String(target));
      next.searchParams.set('per_page', String(perPage));
      return next.toString();
    };
    const links = [`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`];
    if (page < totalPages) links.unshift(`<${link(page + 1)}>; rel="next"`);
    if (page > 1) links.unshift(`<${link(page - 1)}>; rel="prev"`);
    return {
      status: 200,
      body: items.slice((page - 1) * perPage, page * perPage),
      headers: {
        'X-Page': String(page),
        'X-Per-Page': String(perPage),
        'X-Next-Page': page < totalPages ? String(page + 1) : '',
        'X-Prev-Page': page > 1 ? String(page - 1) : '',
        'X-Total': String(items.length),
        'X-Total-Pages': String(totalPages),
        Link: links.join(', '),
      },
    };
  }

  /**
   * GET /groups/:id/projects as GitLab answers it: direct projects only unless include_subgroups=true,
   * and projects *shared with* the group too unless with_shared=false (GitLab's default is true).
   */
  private groupProjects(group: Namespace, url: URL): Namespace[] {
    const subgroups = url.searchParams.get('include_subgroups') === 'true';
    const withShared = url.searchParams.get('with_shared') !== 'false';
    return [...this.projects.values()].filter((project) => {
      const inside = subgroups ? project.fullPath.startsWith(`${group.fullPath}/`) : project.parentId === group.id;
      return inside || (withShared && (project.sharedWith ?? []).includes(group.id));
    });
  }

  // ---- answers lost after GitLab applied the request, and token reuse detection ----------------

  /** The next `times` matching requests are applied, then their connection is destroyed without an answer (a scripted fault). */
  dropAfterApply(match: (method: string, path: string) => boolean, times = 1): void {
    this.script({ match: ({ method, path }) => match(method, path), effect: 'drop-after-apply', times });
  }

  // ---- answers that arrive after GitLab applied the request, but not as GitLab sent them -------------

  private readonly garbledAfterApply: Array<{ match: (method: string, path: string) => boolean; times: number; answer: GarbledAnswer }> = [];

  /**
   * The next `times` matching requests are applied, then answered with `answer` instead of GitLab's body:
   * what a proxy, load balancer or WAF between the tool and GitLab may hand back (an HTML page, a cut body).
   */
  garbleAfterApply(match: (method: string, path: string) => boolean, answer: GarbledAnswer, times = 1): void {
    this.garbledAfterApply.push({ match, times, answer });
  }

  private takeGarbledAfterApply(method: string, path: string): GarbledAnswer | undefined {
    const garbled = this.garbledAfterApply.find((candidate) => candidate.times > 0 && candidate.match(method, path));
    if (garbled) garbled.times--;
    return garbled?.answer;
  }

  /**
   * GitLab (issue 524639): a rotate sent with a token that was already rotated revokes the whole token
   * family, the successor nobody may have received included. The request itself then fails with 401.
   */
  private detectReuse(token: string | undefined): void {
    const info = token ? this.tokens.get(token) : undefined;
    if (!info?.rotatedTo) return;
    for (const other of this.tokens.values()) if (other.family === info.family) other.revoked = true;
  }

  // ---- identity and permissions ---------------------------------------------------------------

  private authenticate(token: string | undefined): TokenInfo {
    const info = token ? this.tokens.get(token) : undefined;
    const expired = info?.expiresAt !== undefined && Date.parse(`${info.expiresAt}T00:00:00Z`) <= Date.now();
    if (!info || info.revoked || expired) throw new HttpError(401, { message: '401 Unauthorized' });
    return info;
  }

  /**
   * POST /personal_access_tokens/self/rotate (GitLab 16.10+): needs api or self_rotate; revokes the
   * token at once and returns its successor. Without expires_at the successor lives 7 days.
   */
  private rotate(auth: TokenInfo, body: Record<string, unknown>) {
    if (!auth.scopes.some((scope) => scope === 'api' || scope === 'self_rotate')) {
      throw new HttpError(403, {
        error: 'insufficient_scope',
        error_description: 'The request requires higher privileges than provided by the access token.',
        scope: 'api self_rotate',
      });
    }
    const today = Date.parse(new Date().toISOString().slice(0, 10));
    const requested = typeof body.expires_at === 'string' ? body.expires_at : new Date(today + 7 * 86_400_000).toISOString().slice(0, 10);
    const at = Date.parse(`${requested}T00:00:00Z`);
    if (!Number.isFinite(at) || at <= today || at > today + this.maxTokenLifetimeDays * 86_400_000) {
      throw new HttpError(400, { message: `400 Bad request - Expiration date must be between tomorrow and ${this.maxTokenLifetimeDays} days from now` });
    }
    auth.revoked = true;
    const successor = `glpat-rotated${Math.random().toString(36).slice(2).padEnd(20, '0')}`;
    auth.rotatedTo = successor;
    this.addToken(successor, auth.userId, auth.scopes, auth.name, { expiresAt: requested, family: auth.family });
    return { status: 200, body: { ...tokenBody(this.tokens.get(successor) as TokenInfo), token: successor } };
  }

  private requireScope(auth: TokenInfo, method: string): void {
    const allowed = method === 'GET' ? auth.scopes.some((scope) => scope === 'api' || scope === 'read_api') : auth.scopes.includes('api');
    if (!allowed)
      throw new HttpError(403, { error: 'insufficient_scope', error_description: 'The request requires higher privileges than provided by the access token.', scope: 'api' });
  }

  private resolve(kind: 'project' | 'group', rawId: string, userId: number, method = 'GET'): Namespace {
    const id = decodeURIComponent(rawId);
    const pool = kind === 'project' ? this.projects : this.groups;
    const redirected = kind === 'project' && !/^\d+$/.test(id) ? this.redirects.get(`project:${id.toLowerCase()}`) : undefined;
    if (redirected && !this.findByPath(pool, id) && method !== 'GET') throw new HttpError(405, { message: '405 Method Not Allowed' });
    const found = /^\d+$/.test(id) ? pool.get(Number(id)) : (this.findByPath(pool, id) ?? redirected);
    if (!found || (!this.users.get(userId)?.admin && this.accessLevel(kind, found.id, userId) === 0)) {
      throw new HttpError(404, { message: `404 ${kind === 'project' ? 'Project' : 'Group'} Not Found` });
    }
    return found;
  }

  private authorise(kind: 'project' | 'group', id: number, auth: TokenInfo, method: string): void {
    const needed = kind === 'project' ? ACCESS.maintainer : ACCESS.owner;
    if (!this.users.get(auth.userId)?.admin && this.accessLevel(kind, id, auth.userId) < needed) throw new HttpError(403, { message: '403 Forbidden' });
    this.requireScope(auth, method);
  }

  /** Direct membership, or the highest inherited from any ancestor group. */
  accessLevel(kind: 'project' | 'group', id: number, userId: number): number {
    let level = this.members.get(`${kind}:${id}:${userId}`) ?? 0;
    let parentId = (kind === 'project' ? this.projects : this.groups).get(id)?.parentId;
    while (parentId !== undefined) {
      level = Math.max(level, this.members.get(`group:${parentId}:${userId}`) ?? 0);
      parentId = this.groups.get(parentId)?.parentId;
    }
    return level;
  }

  private permissionsBody(kind: 'project' | 'group', id: number, userId: number) {
    const level = this.accessLevel(kind, id, userId);
    return kind === 'project' ? { project_access: level ? { access_level: level } : null, group_access: null } : { group_access: level ? { access_level: level } : null };
  }

  private userBody(userId: number) {
    const user = this.users.get(userId);
    return { id: userId, username: user?.username, is_admin: user?.admin ?? false };
  }

  private findByPath(pool: Map<number, Namespace>, fullPath: string): Namespace | undefined {
    return this.byPath.get(`${pool === this.projects ? 'project' : 'group'}:${fullPath.toLowerCase()}`);
  }

  private list(key: string): EmulatedVariable[] {
    let variables = this.variables.get(key);
    if (!variables) {
      variables = [];
      this.variables.set(key, variables);
    }
    return variables;
  }

  // ---- footprint hooks (test-only): reset, scripted faults, request rows, token reuse ------------

  private readonly scriptedFaults: Array<ScriptedFault & { skip: number; times: number }> = [];

  /** Forgets everything (namespaces, users, tokens, variables, requests, faults): ids start at 1 again. */
  reset(): void {
    for (const map of [this.users, this.tokens, this.groups, this.projects, this.members, this.byPath, this.redirects, this.variables]) map.clear();
    for (const explainState of [this.personalProjects, this.defaultBranches, this.repositoryRefs, this.protectedRules]) explainState.clear();
    this.nextId = 1;
    this.requests.length = 0;
    this.groupScopesLicensed = true;
    this.maxTokenLifetimeDays = 365;
    this.resetFaults();
    this.rng = seeded(42);
  }

  /**
   * Adds a fault for the requests `match` selects: after `skip` matching requests, the next `times`
   * (default 1) fail as `effect` says. `*-after-apply` effects apply the request first, so the client
   * cannot tell whether it happened (the ambiguous answers a non-idempotent request must survive).
   */
  script(fault: ScriptedFault): void {
    this.scriptedFaults.push({ ...fault, skip: fault.skip ?? 0, times: fault.times ?? 1 });
  }

  private takeScriptedFault(method: string, path: string, record: RequestRecord): ScriptedFaultEffect | undefined {
    const fault = this.scriptedFaults.find((candidate) => candidate.times > 0 && candidate.match({ method, path, record }));
    if (!fault) return undefined;
    if (fault.skip > 0) {
      fault.skip--;
      return undefined;
    }
    fault.times--;
    record.fault = fault.effect;
    return fault.effect;
  }

  /** Before-apply effects answer at once (true); after-apply effects let the request through (false). */
  private failBeforeApply(effect: ScriptedFaultEffect, request: IncomingMessage, response: ServerResponse, record: RequestRecord): boolean {
    if (effect === 'drop-before') {
      record.status = -1;
      request.socket.destroy();
      return true;
    }
    if (effect === '5xx-before') {
      this.send(response, record, 503, { message: '503 Service Unavailable' });
      return true;
    }
    if (effect === '429') {
      this.send(response, record, 429, 'Retry later\n', { 'Retry-After': '0', 'RateLimit-Name': 'throttle_authenticated_api' });
      return true;
    }
    return false;
  }

  /** The request was applied (or refused) with `appliedStatus`; the client gets a dropped connection, a 502 or a CDN's 524 page instead. */
  private loseAnswer(effect: ScriptedFaultEffect, request: IncomingMessage, response: ServerResponse, record: RequestRecord, appliedStatus: number): void {
    record.appliedStatus = appliedStatus;
    if (effect === 'drop-after-apply') {
      record.status = -1;
      request.socket.destroy();
      return;
    }
    if (effect === 'cdn-5xx-after-apply') {
      // What a CDN in front of GitLab sends when the origin answered too late: outside the usual retry set.
      this.send(response, record, 524, '<html><body>A timeout occurred</body></html>');
      return;
    }
    this.send(response, record, 502, { message: '502 Bad Gateway' });
  }

  /** Which variable row a request addresses, with owner paths resolved to ids (unknown owners keep their path). */
  private describeRow(method: string, url: URL, body: Record<string, unknown>): Partial<RequestRecord> {
    const path = url.pathname.replace(/^\/api\/v4/, '');
    const scoped = /^\/(projects|groups)\/([^/]+)\/variables(?:\/([^/]+))?$/.exec(path);
    const instance = /^\/admin\/ci\/variables(?:\/([^/]+))?$/.exec(path);
    if (!scoped && !instance) return {};
    let owner = 'instance';
    if (scoped) {
      const kind = scoped[1] === 'projects' ? 'project' : 'group';
      const id = decodeURIComponent(scoped[2] as string);
      const found = /^\d+$/.test(id)
        ? (kind === 'project' ? this.projects : this.groups).get(Number(id))
        : (this.byPath.get(`${kind}:${id.toLowerCase()}`) ?? this.redirects.get(`${kind}:${id.toLowerCase()}`));
      owner = `${kind}:${found?.id ?? id}`;
    }
    const inPath = (scoped ? scoped[3] : instance?.[1]) ?? undefined;
    if (inPath === undefined) {
      if (method === 'GET') return { owner, list: true };
      const scope = scoped && typeof body.environment_scope === 'string' ? body.environment_scope : '*';
      return { owner, variableKey: typeof body.key === 'string' ? body.key : undefined, scope };
    }
    return { owner, variableKey: decodeURIComponent(inPath), scope: scoped ? scopeFilter(url, body) : '*' };
  }
}

// ---- footprint hooks: scripted fault kinds ------------------------------------------------------

/**
 * `drop-before`, `5xx-before` (503) and `429` (Retry-After 0) answer before anything is applied;
 * `drop-after-apply`, `5xx-after-apply` (502) and `cdn-5xx-after-apply` (a CDN's 524 page) apply the
 * request, then lose its answer.
 */
export type ScriptedFaultEffect = 'drop-before' | '5xx-before' | '429' | 'drop-after-apply' | '5xx-after-apply' | 'cdn-5xx-after-apply';

export interface ScriptedFault {
  /** Selects requests by method and path (`/api/v4/...`); `record` already names the variable row. */
  match: (request: { method: string; path: string; record: RequestRecord }) => boolean;
  effect: ScriptedFaultEffect;
  /** Matching requests let through first (default 0). */
  skip?: number;
  /** Requests that fail (default 1). */
  times?: number;
}

function tokenBody(info: TokenInfo) {
  return { id: info.id, name: info.name, scopes: info.scopes, active: !info.revoked, revoked: info.revoked, user_id: info.userId, expires_at: info.expiresAt ?? null };
}

function ownerKey(owner: 'instance' | { project: number } | { group: number }): string {
  if (owner === 'instance') return 'instance';
  return 'project' in owner ? `project:${owner.project}` : `group:${owner.group}`;
}

function present(variable: EmulatedVariable, kind: 'project' | 'group' | 'instance') {
  const { id: _id, environment_scope, hidden, ...rest } = variable;
  const body: Record<string, unknown> = { ...rest, value: hidden ? null : variable.value };
  if (kind !== 'instance') Object.assign(body, { environment_scope, hidden });
  return body;
}

function validate(variable: EmulatedVariable, kind: 'project' | 'group' | 'instance'): void {
  if (variable.hidden && !variable.masked) throw new HttpError(400, { message: { masked: ['should be true when variable is hidden'] } });
  if (variable.masked && !(variable.raw ? MASKED_RAW : MASKED_PLAIN).test(variable.value)) throw new HttpError(400, { message: { value: ['is invalid'] } });
  if (kind === 'instance' && variable.value.length > 10_000) {
    throw new HttpError(400, { message: { value: ['The value of the provided variable exceeds the 10000 character limit'] } });
  }
  if ((variable.description ?? '').length > 255) throw new HttpError(400, { message: { description: ['is too long (maximum is 255 characters)'] } });
}

/**
 * Booleans as GitLab casts them. Group endpoints declare flags as strings; for masked_and_hidden the
 * emulator treats any non-empty string (even "false") as true, so a client that sends false is caught.
 */
function flag(value: unknown, kind: 'project' | 'group' | 'instance', name?: string): boolean {
  if (value === undefined || value === null) return false;
  if (kind === 'group' && name === 'masked_and_hidden') return value !== '';
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['true', '1', 't', 'yes', 'on'].includes(value.toLowerCase());
  return Boolean(value);
}

function parseType(value: unknown): 'env_var' | 'file' {
  if (value === undefined) return 'env_var';
  if (value === 'env_var' || value === 'file') return value;
  throw new HttpError(400, { error: 'variable_type does not have a valid value' });
}

/** `filter[environment_scope]` from the query, a nested JSON body, or a flat form key. */
function scopeFilter(url: URL, body: Record<string, unknown>): string | undefined {
  const fromQuery = url.searchParams.get('filter[environment_scope]');
  if (fromQuery !== null) return fromQuery;
  const nested = body.filter as Record<string, unknown> | undefined;
  if (nested && typeof nested.environment_scope === 'string') return nested.environment_scope;
  const flat = body['filter[environment_scope]'];
  return typeof flat === 'string' ? flat : undefined;
}

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  if ((request.headers['content-type'] ?? '').includes('application/json')) {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return Object.fromEntries(new URLSearchParams(text));
}

/** Deterministic randomness, so a fault run can be repeated. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

/** The oracle's answer: no definition, the one the job gets, or the tied wildcards GitLab leaves unordered. */
export type OracleAnswer =
  | { kind: 'none'; protectedRef: boolean }
  | { kind: 'one'; level: string; variable: EmulatedVariable; protectedRef: boolean }
  | { kind: 'undefined-order'; variables: Array<{ level: string; variable: EmulatedVariable }>; protectedRef: boolean };

/**
 * GitLab's order of a row within a level for an environment, -1 when not sent. Its SQL: scope IN ('*', env)
 * OR env LIKE the scope with `%`/`_` escaped and `*` turned into `%`; `*` ranks 0, the exact name 2, the rest 1.
 */
function oracleRank(scope: string, environment: string | undefined): number {
  if (scope === '*') return 0;
  if (environment === undefined) return -1;
  if (scope === environment) return 2;
  return globMatch(environment, scope) ? 1 : -1;
}

/** `text` matched whole against `pattern`, where `*` stands for any run of characters (a DP, no regular expressions). */
function globMatch(text: string, pattern: string): boolean {
  const star = '*';
  let previous = new Array<boolean>(text.length + 1).fill(false);
  previous[0] = true;
  for (let j = 0; j < pattern.length; j++) {
    const p = pattern[j];
    const current = new Array<boolean>(text.length + 1).fill(false);
    current[0] = p === star && (previous[0] as boolean);
    for (let i = 1; i <= text.length; i++) {
      current[i] = p === star ? (previous[i] as boolean) || (current[i - 1] as boolean) : (previous[i - 1] as boolean) && text[i - 1] === p;
    }
    previous = current;
  }
  return previous[text.length] as boolean;
}
