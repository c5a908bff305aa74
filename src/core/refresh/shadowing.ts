import type { Config, TargetConfig } from '../../config/schema.js';
import { scopesOverlap } from '../../domain/gitlab-wildcards.js';
import { DiscoveryLimitError, describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import type { DescendantOwner, GitLabDiscovery, ListedVariable } from '../ports.js';
import { type VariableSpec, variableSpecs } from './variables.js';

/** A variable below a group target that hides the group's value from that owner's jobs. */
export interface ShadowingRow {
  variable: ListedVariable;
  /** The group target's variable it shadows. */
  spec: VariableSpec;
}

/** One owner's shadowing rows and when they were listed, or why they could not be listed. */
export type OwnerScan = { rows: ShadowingRow[]; listedAt: number } | { error: string };

/**
 * Whether an explicit target writes this exact row (owner, key, scope): then the row is merged by that
 * target, not a shadow. Targets name owners by path (any case) or numeric id; both are compared.
 */
export function explicitlyWritten(config: Config): (owner: DescendantOwner, key: string, scope: string) => boolean {
  const rows = new Set<string>();
  for (const target of config.targets) {
    const id = target.project ?? target.group;
    if (id === undefined) continue;
    const kind = target.project !== undefined ? 'project' : 'group';
    for (const spec of variableSpecs(target)) rows.add(`${kind}:${id.toLowerCase()}|${spec.key}|${target.environmentScope ?? '*'}`);
  }
  return (owner, key, scope) => rows.has(`${owner.kind}:${owner.fullPath.toLowerCase()}|${key}|${scope}`) || rows.has(`${owner.kind}:${owner.id}|${key}|${scope}`);
}

export interface ShadowingScan {
  /** At most this many projects and subgroups below the group are examined. */
  limit: number;
  concurrency: number;
}

/**
 * Lists every project and subgroup below a group target and, owner by owner, the variables that hide
 * one of the target's: the same key, an overlapping scope, and no explicit target writing that row.
 * `visit` runs right after each owner's list, so values are used while they are fresh.
 */
export async function scanShadowing(
  target: TargetConfig,
  config: Config,
  discovery: GitLabDiscovery,
  scan: ShadowingScan,
  visit: (owner: DescendantOwner, found: OwnerScan) => Promise<void>,
  now: () => number = Date.now,
): Promise<void> {
  const group = target.group as string;
  const scope = target.environmentScope ?? '*';
  const specs = variableSpecs(target);
  const written = explicitlyWritten(config);
  const owners = await discovery.descendants(group, scan.limit);
  if (owners.length > scan.limit) {
    throw new DiscoveryLimitError(
      `group:${group} has more than ${scan.limit} projects and subgroups below it; raise coverShadowing.maxOwners, or cover its subgroups with their own group targets`,
    );
  }
  await mapWithConcurrency(owners, scan.concurrency, async function scanOwner(owner) {
    // Before the list, not after: a long paged list holds values older than its end.
    const listedAt = now();
    let variables: ListedVariable[];
    try {
      variables = await discovery.variables({ kind: owner.kind, id: String(owner.id) });
    } catch (error) {
      return visit(owner, { error: describeError(error) });
    }
    const rows = variables.flatMap((variable) => {
      const spec = specs.find((candidate) => candidate.key === variable.key);
      const shadows = spec && scopesOverlap(variable.environmentScope, scope) && !written(owner, variable.key, variable.environmentScope);
      return shadows ? [{ variable, spec }] : [];
    });
    await visit(owner, { rows, listedAt });
  });
}
