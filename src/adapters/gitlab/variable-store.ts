import { GroupVariables, InstanceLevelCICDVariables, ProjectVariables } from '@gitbeaker/core';
import { createRequesterFn, type RequestHandlerFn } from '@gitbeaker/requester-utils';
import type { CiVariableStore, ListedVariable, StoredVariable, VariableOwner, VariableRef, VariableSettings, VariableWrite, WriteConditions } from '../../core/ports.js';
import { GitLabApiError, MaskRefusedError, StaleReadError } from '../../errors.js';
import { type createGitLabTransport, writePolicy } from './transport.js';

interface VariableBody {
  value: string | null;
  variable_type?: string;
  hidden?: boolean;
  masked?: boolean;
  protected?: boolean;
  raw?: boolean;
  environment_scope?: string;
  description?: string | null;
}

/** The subset of gitbeaker's variable resources this store calls; all three share it. */
interface VariableResource {
  show(key: string, options: Record<string, unknown>): Promise<VariableBody>;
  create(key: string, value: string, options: Record<string, unknown>): Promise<VariableBody>;
  edit(key: string, value: string, options: Record<string, unknown>): Promise<VariableBody>;
}

export interface GitLabStoreOptions {
  url: string;
  /** A function when the token can change during a run (rotation). */
  token: string | (() => Promise<string>);
  transport: ReturnType<typeof createGitLabTransport>;
}

/** GitLab's "not found" for the variable itself, as opposed to its project or group. */
const VARIABLE_NOT_FOUND = /(Group|Instance)?Variable Not Found/i;
const ALREADY_TAKEN = /has already been taken/i;
const VALUE_INVALID = /"value":\["is invalid"\]/;

/** gitbeaker's camelCase option names for each setting (snake_cased on the wire). */
const SETTING_OPTIONS: Record<keyof VariableSettings, string> = {
  variableType: 'variableType',
  protected: 'protected',
  masked: 'masked',
  raw: 'raw',
  description: 'description',
};

/** Builds gitbeaker resources that send every request through this project's transport. */
export function gitbeakerOptions(options: GitLabStoreOptions) {
  const requesterFn = createRequesterFn((_service, requestOptions) => Promise.resolve(requestOptions), options.transport as unknown as RequestHandlerFn);
  // queryTimeout 0: gitbeaker would hold a 300 s AbortSignal.timeout per call; the transport times each attempt itself.
  return { host: options.url.replace(/\/+$/, ''), token: options.token, requesterFn, rateLimits: {}, queryTimeout: 0 };
}

/**
 * CI/CD variables through gitbeaker's resource classes with this project's transport. GitLab has no
 * upsert and its group PUT writes to *another* scope's row when the requested scope has none, so a
 * write does exactly what the read established (PUT an existing row, POST a missing one), checks the
 * scope GitLab answers with, and hands every surprise back as StaleReadError so the caller reads again.
 */
export class GitLabVariableStore implements CiVariableStore {
  private readonly projects: ProjectVariables;
  private readonly groups: GroupVariables;
  private readonly instance: InstanceLevelCICDVariables;

  constructor(options: GitLabStoreOptions) {
    const common = gitbeakerOptions(options);
    this.projects = new ProjectVariables(common);
    this.groups = new GroupVariables(common);
    this.instance = new InstanceLevelCICDVariables(common);
  }

  async read(ref: VariableRef): Promise<StoredVariable | undefined> {
    try {
      return toStoredVariable(await this.resource(ref.owner).show(ref.key, scopeFilter(ref)));
    } catch (error) {
      if (isVariableNotFound(error)) return undefined;
      throw explain(error, ref.owner);
    }
  }

  async write(ref: VariableRef, variable: VariableWrite, conditions: WriteConditions): Promise<'created' | 'updated'> {
    return writePolicy.run({ sendBy: conditions.sendBy }, async () => {
      try {
        return conditions.exists ? await this.update(ref, variable) : await this.create(ref, variable);
      } catch (error) {
        if (error instanceof GitLabApiError && error.status === 400 && VALUE_INVALID.test(error.message)) {
          throw new MaskRefusedError('GitLab refused to mask the value ({"value":["is invalid"]})');
        }
        throw explain(error, ref.owner);
      }
    });
  }

  private async create(ref: VariableRef, variable: VariableWrite): Promise<'created'> {
    const options = settingOptions(variable.settings);
    if (ref.environmentScope !== undefined) options.environmentScope = ref.environmentScope;
    let body: VariableBody;
    try {
      body = await this.resource(ref.owner).create(ref.key, variable.value, options);
    } catch (error) {
      if (!(error instanceof GitLabApiError && error.status === 400 && ALREADY_TAKEN.test(error.message))) throw error;
      throw await this.explainTaken(ref);
    }
    const stored = body.environment_scope;
    if (ref.environmentScope !== undefined && stored !== undefined && stored !== ref.environmentScope) {
      throw new GitLabApiError(
        `GitLab created ${ref.key} in environment scope "${stored}" instead of "${ref.environmentScope}" (this group's tier has no scoped group variables): remove environmentScope from the target, and check the "${stored}" variable it created`,
        201,
      );
    }
    return 'created';
  }

  /** PUT only after a read showed this scope's row (the caller's `exists`), and check which row GitLab changed. */
  private async update(ref: VariableRef, variable: VariableWrite): Promise<'updated'> {
    let body: VariableBody;
    try {
      body = await this.resource(ref.owner).edit(ref.key, variable.value, { ...settingOptions(variable.settings), ...scopeFilter(ref) });
    } catch (error) {
      if (isVariableNotFound(error)) throw new StaleReadError(`${ref.key} was deleted since it was read`);
      throw error;
    }
    const stored = body.environment_scope;
    if (ref.environmentScope !== undefined && stored !== undefined && stored !== ref.environmentScope) {
      throw new GitLabApiError(
        `GitLab wrote ${ref.key} of environment scope "${stored}" instead of "${ref.environmentScope}" (a group PUT whose scope has no row changes another scope's row): check and restore the "${stored}" value; the "${ref.environmentScope}" row vanished after it was read`,
        200,
      );
    }
    return 'updated';
  }

  /**
   * POST said "already taken". Either someone created the row since the read (read again), or, for a
   * group, GitLab dropped the scope (unlicensed tier) and the "*" row is taken: never PUT then, since
   * a group PUT would overwrite that other row.
   */
  private async explainTaken(ref: VariableRef): Promise<Error> {
    if (ref.owner.kind !== 'group') return new StaleReadError(`${ref.key} was created by someone else since it was read`);
    if (await this.read(ref)) return new StaleReadError(`${ref.key} (scope ${ref.environmentScope}) was created by someone else since it was read`);
    return new GitLabApiError(
      `GitLab answered "${ref.key} has already been taken" but holds no row in environment scope "${ref.environmentScope}": this group's tier has no scoped group variables, so GitLab stores the scope as "*", where ${ref.key} already exists; remove environmentScope from this target (the "*" value was left as it was)`,
      400,
    );
  }

  private resource(owner: VariableOwner): VariableResource {
    if (owner.kind === 'instance') {
      const instance = this.instance;
      return {
        show: (key) => instance.show(key) as Promise<VariableBody>,
        create: (key, value, options) => instance.create(key, value, options) as Promise<VariableBody>,
        edit: (key, value, options) => instance.edit(key, value, options) as Promise<VariableBody>,
      };
    }
    const api = (owner.kind === 'project' ? this.projects : this.groups) as unknown as {
      show(id: string, key: string, options: Record<string, unknown>): Promise<VariableBody>;
      create(id: string, key: string, value: string, options: Record<string, unknown>): Promise<VariableBody>;
      edit(id: string, key: string, value: string, options: Record<string, unknown>): Promise<VariableBody>;
    };
    return {
      show: (key, options) => api.show(owner.id, key, options),
      create: (key, value, options) => api.create(owner.id, key, value, options),
      edit: (key, value, options) => api.edit(owner.id, key, value, options),
    };
  }
}

/** GitLab's largest page: list endpoints are read to their last page in as few requests as it allows. */
export const GITLAB_PAGE_SIZE = 100;

/** A list entry (a variable with its key and scope) in the port's shape. */
export function toListedVariable(body: VariableBody & { key: string }): ListedVariable {
  return { ...toStoredVariable(body), key: body.key, environmentScope: body.environment_scope ?? '*' };
}

/** GitLab's answer (single variable or list entry) in the port's shape. */
export function toStoredVariable(body: VariableBody): StoredVariable {
  return {
    value: body.value ?? null,
    hidden: body.hidden === true || body.value === null,
    masked: body.masked === true,
    protected: body.protected === true,
    raw: body.raw === true,
    variableType: body.variable_type === 'file' ? 'file' : 'env_var',
    description: body.description ?? null,
    environmentScope: body.environment_scope,
  };
}

function settingOptions(settings: Partial<VariableSettings>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [setting, option] of Object.entries(SETTING_OPTIONS) as Array<[keyof VariableSettings, string]>) {
    if (settings[setting] !== undefined) options[option] = settings[setting];
  }
  return options;
}

function scopeFilter(ref: VariableRef): Record<string, unknown> {
  return ref.environmentScope === undefined ? {} : { filter: { environment_scope: ref.environmentScope } };
}

function isVariableNotFound(error: unknown): boolean {
  return error instanceof GitLabApiError && error.status === 404 && VARIABLE_NOT_FOUND.test(error.message);
}

/** Adds the fix to the statuses people hit most. */
function explain(error: unknown, owner: VariableOwner): unknown {
  if (!(error instanceof GitLabApiError)) return error;
  const need = owner.kind === 'project' ? 'Maintainer on the project' : owner.kind === 'group' ? 'Owner on the group' : 'an administrator';
  const hints: Record<number, string> = {
    401: 'the GitLab token is invalid, expired or revoked; create a new one and update the token secret',
    403: `the token needs the api scope and the role of ${need}`,
    404: `${owner.kind} not found, or not visible to the token (check the path or id, and that the token's user is ${need})`,
    405: 'the project may have moved: use its new path or its numeric id',
  };
  const hint = error.status !== undefined && !isVariableNotFound(error) ? hints[error.status] : undefined;
  return hint && !error.message.includes(' — ') ? new GitLabApiError(`${error.message} — ${hint}`, error.status) : error;
}
