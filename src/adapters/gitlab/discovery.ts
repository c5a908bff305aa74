import { Groups, GroupVariables, Projects, ProjectVariables } from '@gitbeaker/core';
import type { DescendantOwner, GitLabDiscovery, ListedVariable } from '../../core/ports.js';
import { type GitLabStoreOptions, gitbeakerOptions, GITLAB_PAGE_SIZE as PER_PAGE, toListedVariable } from './variable-store.js';

/** The list endpoints behind group discovery (doctor and `coverShadowing`), paged with Link headers by gitbeaker. */
export class GitLabDiscoveryApi implements GitLabDiscovery {
  private readonly groups: Groups;
  private readonly projects: Projects;
  private readonly projectVariables: ProjectVariables;
  private readonly groupVariables: GroupVariables;

  constructor(options: GitLabStoreOptions) {
    const common = gitbeakerOptions(options);
    this.groups = new Groups(common);
    this.projects = new Projects(common);
    this.projectVariables = new ProjectVariables(common);
    this.groupVariables = new GroupVariables(common);
  }

  async descendants(groupId: string, limit: number): Promise<DescendantOwner[]> {
    const maxPages = Math.ceil((limit + 1) / PER_PAGE);
    const [projects, groups] = await Promise.all([
      // with_shared=false: a project shared with the group lives elsewhere and inherits none of its variables.
      this.groups.allProjects(groupId, { includeSubgroups: true, withShared: false, perPage: PER_PAGE, maxPages }) as Promise<Array<{ id: number; path_with_namespace: string }>>,
      this.groups.allDescendantGroups(groupId, { perPage: PER_PAGE, maxPages }) as Promise<Array<{ id: number; full_path: string }>>,
    ]);
    return [
      ...groups.map((group): DescendantOwner => ({ kind: 'group', id: group.id, fullPath: group.full_path })),
      ...projects.map((project): DescendantOwner => ({ kind: 'project', id: project.id, fullPath: project.path_with_namespace })),
    ];
  }

  async fullPath(kind: 'project' | 'group', id: string): Promise<string> {
    if (kind === 'project') return ((await this.projects.show(id)) as { path_with_namespace: string }).path_with_namespace;
    return ((await this.groups.show(id)) as { full_path: string }).full_path;
  }

  async variables(owner: { kind: 'project' | 'group'; id: string }): Promise<ListedVariable[]> {
    const resource = owner.kind === 'project' ? this.projectVariables : this.groupVariables;
    const variables = (await resource.all(owner.id, { perPage: PER_PAGE })) as unknown as Array<Parameters<typeof toListedVariable>[0]>;
    return variables.map(toListedVariable);
  }
}
