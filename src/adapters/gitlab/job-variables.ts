import { Branches, GroupVariables, InstanceLevelCICDVariables, Projects, ProjectVariables, ProtectedBranches, ProtectedTags, Tags } from '@gitbeaker/core';
import type { JobVariableSource, ListedVariable, ProjectInfo, VariableLevel } from '../../core/ports.js';
import { GitLabApiError } from '../../errors.js';
import { type GitLabStoreOptions, gitbeakerOptions, GITLAB_PAGE_SIZE as PER_PAGE, toListedVariable } from './variable-store.js';

interface ProjectBody {
  id: number;
  path_with_namespace: string;
  default_branch?: string | null;
  namespace?: { kind?: string; full_path?: string };
}

/** Read-only lookups for `explain`, through gitbeaker and the project's paced, retrying transport. Every list is read to its last page. */
export class GitLabJobVariables implements JobVariableSource {
  private readonly api;

  constructor(options: GitLabStoreOptions) {
    const common = gitbeakerOptions(options);
    this.api = {
      projects: new Projects(common),
      projectVariables: new ProjectVariables(common),
      groupVariables: new GroupVariables(common),
      instanceVariables: new InstanceLevelCICDVariables(common),
      protectedBranches: new ProtectedBranches(common),
      protectedTags: new ProtectedTags(common),
      branches: new Branches(common),
      tags: new Tags(common),
    };
  }

  async project(path: string): Promise<ProjectInfo> {
    const body = (await this.api.projects.show(path)) as unknown as ProjectBody;
    const namespacePath = body.namespace?.full_path ?? body.path_with_namespace.slice(0, body.path_with_namespace.lastIndexOf('/'));
    return {
      id: body.id,
      fullPath: body.path_with_namespace,
      defaultBranch: body.default_branch ?? undefined,
      namespace: { kind: body.namespace?.kind === 'user' ? 'user' : 'group', fullPath: namespacePath },
    };
  }

  async variables(level: VariableLevel): Promise<ListedVariable[]> {
    const paged = { perPage: PER_PAGE };
    const bodies =
      level.kind === 'instance'
        ? // gitbeaker's types leave out paging options for this list, though its requester pages it like the others.
          await this.api.instanceVariables.all(paged as never)
        : level.kind === 'group'
          ? await this.api.groupVariables.all(level.path, paged)
          : await this.api.projectVariables.all(level.path, paged);
    return (bodies as unknown as Array<Parameters<typeof toListedVariable>[0]>).map(toListedVariable);
  }

  async protectedRefs(projectPath: string): Promise<{ branches: string[]; tags: string[] }> {
    const [branches, tags] = await Promise.all([
      this.api.protectedBranches.all(projectPath, { perPage: PER_PAGE }) as Promise<unknown> as Promise<Array<{ name: string }>>,
      this.api.protectedTags.all(projectPath, { perPage: PER_PAGE }) as Promise<unknown> as Promise<Array<{ name: string }>>,
    ]);
    return { branches: branches.map((rule) => rule.name), tags: tags.map((rule) => rule.name) };
  }

  async refExists(projectPath: string, kind: 'branch' | 'tag', name: string): Promise<boolean> {
    try {
      await (kind === 'branch' ? this.api.branches.show(projectPath, name) : this.api.tags.show(projectPath, name));
      return true;
    } catch (error) {
      // "404 Branch Not Found" / "404 Tag Not Found" is an answer; a missing project is not.
      if (error instanceof GitLabApiError && error.status === 404 && /(Branch|Tag) Not Found/i.test(error.message)) return false;
      throw error;
    }
  }
}
