import { GroupMembers, ProjectMembers, Users } from '@gitbeaker/core';
import type { GitLabInspector, GitLabUser } from '../../core/ports.js';
import { GitLabApiError } from '../../errors.js';
import { type GitLabStoreOptions, gitbeakerOptions } from './variable-store.js';

type Owner = { kind: 'project' | 'group'; id: string };

/** Read-only GitLab lookups for `doctor`, through gitbeaker and the project's transport. */
export class GitLabApiInspector implements GitLabInspector {
  private readonly api;

  constructor(options: GitLabStoreOptions) {
    const common = gitbeakerOptions(options);
    this.api = {
      users: new Users(common),
      projectMembers: new ProjectMembers(common),
      groupMembers: new GroupMembers(common),
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
}
