import { GroupMembers, Groups, GroupVariables, ProjectMembers, ProjectVariables, Users } from '@gitbeaker/core';
import type { GitLabInspector, GitLabUser } from '../../core/ports.js';
import { GitLabApiError } from '../../errors.js';
import { type GitLabStoreOptions, gitbeakerOptions } from './variable-store.js';

type Owner = { kind: 'project' | 'group'; id: string };
const PER_PAGE = 100;

/** Read-only GitLab lookups for `doctor`, through gitbeaker and the project's transport. */
export class GitLabApiInspector implements GitLabInspector {
  private readonly api;

  constructor(options: GitLabStoreOptions) {
    const common = gitbeakerOptions(options);
    this.api = {
      users: new Users(common),
      projectMembers: new ProjectMembers(common),
      groupMembers: new GroupMembers(common),
      groups: new Groups(common),
      projectVariables: new ProjectVariables(common),
      groupVariables: new GroupVariables(common),
    };
  }

  async currentUser(): Promise<GitLabUser> {
    const user = (await this.api.users.showCurrentUser()) as { id: number; username: string; is_admin?: boolean };
    return { id: user.id, username: user.username, isAdmin: user.is_admin === true };
  }

  async accessLevel(owner: Owner, userId: number): Promise<number> {
    const members = owner.kind === 'project' ? this.api.projectMembers : this.api.groupMembers;
    try {
      const member = (await members.show(owner.id, userId, { includeInherited: true })) as { access_level?: number };
      return member.access_level ?? 0;
    } catch (error) {
      if (error instanceof GitLabApiError && error.status === 404 && !/Project Not Found|Group Not Found/.test(error.message)) return 0;
      throw error;
    }
  }

  async descendants(groupId: string): Promise<{ projects: string[]; groups: string[] }> {
    const [projects, groups] = await Promise.all([
      this.api.groups.allProjects(groupId, { includeSubgroups: true, perPage: PER_PAGE }) as Promise<Array<{ path_with_namespace: string }>>,
      this.api.groups.allDescendantGroups(groupId, { perPage: PER_PAGE }) as Promise<Array<{ full_path: string }>>,
    ]);
    return { projects: projects.map((p) => p.path_with_namespace), groups: groups.map((g) => g.full_path) };
  }

  async variableKeys(owner: Owner): Promise<Array<{ key: string; environmentScope: string }>> {
    const resource = owner.kind === 'project' ? this.api.projectVariables : this.api.groupVariables;
    const variables = (await resource.all(owner.id, { perPage: PER_PAGE })) as Array<{ key: string; environment_scope?: string }>;
    return variables.map((variable) => ({ key: variable.key, environmentScope: variable.environment_scope ?? '*' }));
  }
}
