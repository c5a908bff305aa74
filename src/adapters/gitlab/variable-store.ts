import { GroupVariables, InstanceLevelCICDVariables, ProjectVariables } from '@gitbeaker/core';
import { createRequesterFn, type RequestHandlerFn } from '@gitbeaker/requester-utils';
import type { CiVariableStore, ExistenceHint, StoredVariable, VariableOwner, VariableRef, VariableWrite } from '../../core/ports.js';
import { GitLabApiError } from '../../errors.js';
import type { createGitLabTransport } from './transport.js';

interface VariableBody {
  value: string | null;
  hidden?: boolean;
  masked?: boolean;
  protected?: boolean;
  raw?: boolean;
  environment_scope?: string;
}

/** The subset of gitbeaker's variable resources this store calls; all three share it. */
interface VariableResource {
  show(key: string, options: Record<string, unknown>): Promise<VariableBody>;
  create(key: string, value: string, options: Record<string, unknown>): Promise<VariableBody>;
  edit(key: string, value: string, options: Record<string, unknown>): Promise<VariableBody>;
}

export interface GitLabStoreOptions {
  url: string;
  token: string;
  transport: ReturnType<typeof createGitLabTransport>;
}

/** GitLab's "not found" for the variable itself, as opposed to its project or group. */
const VARIABLE_NOT_FOUND = /(Group|Instance)?Variable Not Found/i;
const ALREADY_TAKEN = /has already been taken/i;

/**
 * CI/CD variables through gitbeaker's resource classes with this project's transport. GitLab has no
 * upsert, so a write tries the likely verb first and switches on the documented answers
 * (PUT 404 → POST, POST 400 "already taken" → PUT). Every call carries filter[environment_scope].
 */
export class GitLabVariableStore implements CiVariableStore {
  private readonly projects: ProjectVariables;
  private readonly groups: GroupVariables;
  private readonly instance: InstanceLevelCICDVariables;

  constructor(options: GitLabStoreOptions) {
    const requesterFn = createRequesterFn((_service, requestOptions) => Promise.resolve(requestOptions), options.transport as unknown as RequestHandlerFn);
    const common = { host: options.url.replace(/\/+$/, ''), token: options.token, requesterFn, rateLimits: {} };
    this.projects = new ProjectVariables(common);
    this.groups = new GroupVariables(common);
    this.instance = new InstanceLevelCICDVariables(common);
  }

  async read(ref: VariableRef): Promise<StoredVariable | undefined> {
    try {
      const body = await this.resource(ref.owner).show(ref.key, scopeFilter(ref));
      return {
        value: body.value ?? null,
        hidden: body.hidden === true || body.value === null,
        masked: body.masked === true,
        protected: body.protected === true,
        raw: body.raw === true,
        environmentScope: body.environment_scope,
      };
    } catch (error) {
      if (isVariableNotFound(error)) return undefined;
      throw explain(error, ref.owner);
    }
  }

  async write(ref: VariableRef, variable: VariableWrite, hint: ExistenceHint): Promise<'created' | 'updated'> {
    try {
      if (hint === 'missing') {
        try {
          return await this.create(ref, variable);
        } catch (error) {
          if (!(error instanceof GitLabApiError && error.status === 400 && ALREADY_TAKEN.test(error.message))) throw error;
          return await this.update(ref, variable);
        }
      }
      try {
        return await this.update(ref, variable);
      } catch (error) {
        if (!isVariableNotFound(error)) throw error;
        return await this.create(ref, variable);
      }
    } catch (error) {
      throw explain(error, ref.owner);
    }
  }

  private async create(ref: VariableRef, variable: VariableWrite): Promise<'created'> {
    const options: Record<string, unknown> = {
      variableType: variable.variableType,
      raw: true,
      description: variable.description,
      protected: variable.protected,
      masked: variable.masked,
    };
    if (ref.environmentScope !== undefined) options.environmentScope = ref.environmentScope;
    const body = await this.resource(ref.owner).create(ref.key, variable.value, options);
    if (ref.environmentScope !== undefined && body.environment_scope !== undefined && body.environment_scope !== ref.environmentScope) {
      throw new GitLabApiError(
        `GitLab stored the variable in environment scope "${body.environment_scope}" instead of "${ref.environmentScope}" (scoped group variables need a licensed tier); remove environmentScope from this target or check the duplicate`,
        201,
      );
    }
    return 'created';
  }

  /** Masked and hidden cannot change on update, so they are not sent; protected and raw can. */
  private async update(ref: VariableRef, variable: VariableWrite): Promise<'updated'> {
    const options: Record<string, unknown> = {
      variableType: variable.variableType,
      raw: true,
      description: variable.description,
      protected: variable.protected,
      ...scopeFilter(ref),
    };
    await this.resource(ref.owner).edit(ref.key, variable.value, options);
    return 'updated';
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
  return hint ? new GitLabApiError(`${error.message} — ${hint}`, error.status) : error;
}
