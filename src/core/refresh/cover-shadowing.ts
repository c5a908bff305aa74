import { gitlabOf } from '../../config/gitlab-mode.js';
import type { Config, TargetConfig } from '../../config/schema.js';
import { scopesOverlap, scopeWithin } from '../../domain/gitlab-wildcards.js';
import { describeError } from '../../errors.js';
import type { CiVariableStore, DescendantOwner, GitLabDiscovery, StoredVariable } from '../ports.js';
import { type PlannedVariable, type RefreshPlan, variableRef } from './plan.js';
import type { TargetWork } from './refresh-target.js';
import { type ShadowingRow, scanShadowing } from './shadowing.js';
import type { TargetResult } from './summary.js';
import { type VariableSpec, variableSpecs } from './variables.js';

export interface CoverContext {
  config: Config;
  discovery: GitLabDiscovery;
  /** Reads the group target's own variables, whose protection a covered variable must match. */
  variables: Pick<CiVariableStore, 'read'>;
  now: () => number;
  /** The run's plan for the group target's own variables (registries narrowed, credentials chosen). */
  workFor: (planned: PlannedVariable) => Pick<TargetWork, 'credentials' | 'managesHost' | 'dryRun'>;
  /** Runs one variable within the run's time budget, logging and counting it like any target. */
  run: (work: TargetWork) => Promise<TargetResult>;
  /** Rows already written in this run, so nested covering groups write each once (explicit targets are never scanned). */
  seen: Set<string>;
}

/** `coverShadowing` for every group target of the run that has it on, one group after the other. */
export async function coverShadowingGroups(plan: RefreshPlan, context: CoverContext): Promise<TargetResult[]> {
  const covering = [...new Set(plan.variables.map((planned) => planned.target))].filter((target) => target.coverShadowing !== undefined);
  const results: TargetResult[] = [];
  for (const target of covering)
    results.push(
      ...(await coverShadowing(
        target,
        plan.variables.filter((planned) => planned.target === target),
        context,
      )),
    );
  return results;
}

/**
 * `coverShadowing` for one group target: every project and subgroup below it that defines one of its
 * variables in an overlapping scope gets the same fresh entries merged into *its existing* variable,
 * addressed by numeric id (a project that moves keeps its id). Nothing is ever created below the group.
 */
export async function coverShadowing(target: TargetConfig, planned: PlannedVariable[], context: CoverContext): Promise<TargetResult[]> {
  const group = target.group as string;
  const limit = target.coverShadowing?.maxOwners ?? 0;
  const results: TargetResult[] = [];
  const sources = new Map<string, CoverSource>();
  for (const { spec } of planned) sources.set(spec.key, await coverSource(target, spec, context.variables));
  try {
    const nested = await nestedGroupTargets(target, context.config, context.discovery);
    const scan = { limit, concurrency: gitlabOf(context.config).concurrency };
    await scanShadowing(
      target,
      context.config,
      context.discovery,
      scan,
      async (owner, found) => {
        if ('error' in found) {
          results.push({
            target: `${owner.kind}:${owner.fullPath}`,
            variable: '*',
            via: `group:${group}`,
            status: 'failed',
            error: `could not list its variables: ${found.error}`,
          });
          return;
        }
        for (const row of found.rows) {
          const plan = planned.find((candidate) => candidate.spec.key === row.spec.key);
          const rowKey = `${owner.kind}:${owner.id}|${row.variable.key}|${row.variable.environmentScope}`;
          // Not in this run's plan (narrowed away), or already written by another covering group.
          if (!plan || context.seen.has(rowKey)) continue;
          const claim = nestedClaim(owner, row.variable, nested);
          if (claim) {
            // The nearer group target decides: it covers the row itself, or the row is left alone and reported
            // (a row on that group itself is below no scan of its own, so it is reported even when it covers).
            if (!nestedCovers(owner, claim)) results.push(nestedSkip(target, owner, row, claim));
            continue;
          }
          context.seen.add(rowKey);
          results.push(await context.run(coverWork(target, owner, row, plan, context, found.listedAt, sources.get(row.spec.key) as CoverSource)));
        }
      },
      context.now,
    );
  } catch (error) {
    results.push({ target: `group:${group}`, variable: planned.map((p) => p.spec.key).join(', '), via: 'coverShadowing', status: 'failed', error: describeError(error) });
  }
  return results;
}

function coverWork(
  target: TargetConfig,
  owner: DescendantOwner,
  row: ShadowingRow,
  plan: PlannedVariable,
  context: CoverContext,
  listedAt: number,
  source: CoverSource,
): TargetWork {
  const id = String(owner.id);
  const below: TargetConfig = {
    ...target,
    project: owner.kind === 'project' ? id : undefined,
    group: owner.kind === 'group' ? id : undefined,
    environmentScope: row.variable.environmentScope,
    ownership: 'merge',
    coverShadowing: undefined,
    variables: undefined,
  };
  return {
    target: below,
    // Someone else's variable: the group target's own settings (protection, type, description) are not imposed on it.
    spec: { ...row.spec, variableType: undefined, protected: undefined, description: undefined },
    ...context.workFor(plan),
    prefetched: { variable: row.variable, readAt: listedAt },
    mustExist: true,
    // Checked on every read, so a variable that became less protected since it was listed is left alone too.
    guard: (current) => coverRefusal({ protected: current.protected, environmentScope: row.variable.environmentScope }, source),
    label: `${owner.kind}:${owner.fullPath}`,
    via: `group:${target.group}`,
  };
}

/** The group target's own variable, which the credentials of a covered variable come from. */
export interface CoverSource {
  group: string;
  key: string;
  scope: string;
  /** After this run: as the config sets it, else as GitLab holds it; undefined when it could not be read. */
  protected: boolean | undefined;
  access: VariableSpec['access'];
}

/** Reads how protected the group target's variable is (or will be once this run creates it). */
export async function coverSource(target: TargetConfig, spec: VariableSpec, variables: Pick<CiVariableStore, 'read'>): Promise<CoverSource> {
  const ref = variableRef(target, spec);
  let stored: StoredVariable | undefined | null;
  try {
    stored = await variables.read(ref);
  } catch {
    stored = null;
  }
  const held = stored === null ? undefined : (stored?.protected ?? spec.createProtected);
  return { group: String(target.group), key: spec.key, scope: ref.environmentScope ?? '*', protected: spec.protected ?? held, access: spec.access };
}

/**
 * Why a variable below a covering group must not receive the group's credentials, or undefined when it
 * may: a credential never moves into a variable less protected or wider-scoped than the one it came
 * from, and push credentials never into an unprotected one.
 */
export function coverRefusal(row: { protected: boolean; environmentScope: string }, source: CoverSource): string | undefined {
  const theirs = `group:${source.group}'s ${source.key}`;
  if (!scopeWithin(row.environmentScope, source.scope)) {
    return `not covered: wider scope than ${theirs} ("${row.environmentScope}" reaches environments "${source.scope}" does not, which would get its credentials); narrow this variable's scope to "${source.scope}", or make it a target of its own`;
  }
  if (row.protected) return undefined;
  if (source.access === 'push') {
    return `not covered: less protected than ${theirs}: this variable is unprotected and ${source.key} carries push credentials, which go only into protected variables; protect this variable in GitLab (or delete it so the group's reaches the project)`;
  }
  if (source.protected === false) return undefined;
  const why = source.protected ? 'which is protected' : 'whose protection could not be read';
  return `not covered: less protected than ${theirs} (${why}): unprotected branches would receive its credentials; protect this variable in GitLab (or delete it so the group's reaches the project)`;
}

// --- Group targets nested below a covering group ------------------------------------------------------

/** Another group target below a covering group: what lies below it hides *its* value, not the outer group's. */
export interface NestedGroupTarget {
  /** As the result names it (`group:platform/dev`). */
  label: string;
  /** Its full path, lower-cased. */
  path: string;
  key: string;
  scope: string;
  /** Whether it has coverShadowing itself (then it covers the rows below it with its own credentials). */
  covers: boolean;
}

/**
 * The group targets strictly below `target` that write one of its keys, and those on the same group in a
 * narrower scope. A variable below such a group (or in that narrower scope) hides that target's value,
 * so `target`'s credentials never reached it: covering it with them would hand its jobs credentials the
 * nearer (or more specific) target withholds. Groups named by id are resolved to paths.
 */
export async function nestedGroupTargets(target: TargetConfig, config: Config, discovery: Pick<GitLabDiscovery, 'fullPath'>): Promise<NestedGroupTarget[]> {
  const keys = new Set(variableSpecs(target).map((spec) => spec.key));
  const others = config.targets.filter((other) => other !== target && other.group !== undefined && variableSpecs(other).some((spec) => keys.has(spec.key)));
  if (others.length === 0) return [];
  const outer = await groupPath(target, discovery);
  const nested: NestedGroupTarget[] = [];
  for (const other of others) {
    const path = await groupPath(other, discovery);
    if (!path.startsWith(`${outer}/`) && !(path === outer && narrowerScope(other, target))) continue;
    for (const spec of variableSpecs(other)) {
      const scope = other.environmentScope ?? '*';
      const label = path === outer ? `group:${other.group} (environment scope ${scope})` : `group:${other.group}`;
      if (keys.has(spec.key)) nested.push({ label, path, key: spec.key, scope, covers: other.coverShadowing !== undefined });
    }
  }
  return nested;
}

function narrowerScope(other: TargetConfig, target: TargetConfig): boolean {
  const scope = other.environmentScope ?? '*';
  const own = target.environmentScope ?? '*';
  return scope !== own && scopeWithin(scope, own);
}

async function groupPath(target: TargetConfig, discovery: Pick<GitLabDiscovery, 'fullPath'>): Promise<string> {
  const id = target.group as string;
  return (/^\d+$/.test(id) ? await discovery.fullPath('group', id) : id).toLowerCase();
}

/** The nested group target whose value this variable hides (the nearest one), if any. */
export function nestedClaim(owner: DescendantOwner, variable: { key: string; environmentScope: string }, nested: NestedGroupTarget[]): NestedGroupTarget | undefined {
  const path = owner.fullPath.toLowerCase();
  return (
    nested
      .filter((group) => group.key === variable.key && (path === group.path || path.startsWith(`${group.path}/`)) && scopesOverlap(variable.environmentScope, group.scope))
      // The nearest group; on one group, the most specific scope (it lies within the others').
      .sort((a, b) => b.path.length - a.path.length || (scopeWithin(a.scope, b.scope) ? -1 : scopeWithin(b.scope, a.scope) ? 1 : 0))[0]
  );
}

/** Whether the nearer target writes this row itself: it has coverShadowing, which scans only below its group. */
export function nestedCovers(owner: DescendantOwner, claim: NestedGroupTarget): boolean {
  return claim.covers && !onClaimedGroup(owner, claim);
}

/** Whether the row belongs to the claiming group itself. */
function onClaimedGroup(owner: DescendantOwner, claim: NestedGroupTarget): boolean {
  return owner.kind === 'group' && owner.fullPath.toLowerCase() === claim.path;
}

/** Why a row below (or on) a nested group target is left alone, with the fix. */
export function nestedRefusal(claim: NestedGroupTarget, key: string, owner?: DescendantOwner): string {
  if (owner && onClaimedGroup(owner, claim)) {
    return `not covered: a variable of ${claim.label.split(' ')[0]} itself, in a scope that can meet that group's own ${key} target: it hides that target's value, not this one's; make this variable a target`;
  }
  return `not covered: below ${claim.label}, which has its own ${key} target: this variable hides that group's value, not this one's; set coverShadowing on ${claim.label} (it then merges its own entries here), or make this variable a target`;
}

function nestedSkip(target: TargetConfig, owner: DescendantOwner, row: ShadowingRow, claim: NestedGroupTarget): TargetResult {
  return {
    target: `${owner.kind}:${owner.fullPath}`,
    variable: row.variable.key,
    environmentScope: row.variable.environmentScope,
    via: `group:${target.group}`,
    status: 'skipped',
    note: nestedRefusal(claim, row.variable.key, owner),
  };
}
