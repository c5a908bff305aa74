import type { Config, TargetConfig } from '../config/schema.js';
import { describeError } from '../errors.js';
import { gitlabOf } from './gitlab-mode.js';
import type { PlannedVariable, RefreshPlan } from './plan.js';
import type { DescendantOwner, GitLabDiscovery } from './ports.js';
import type { TargetWork } from './refresh-target.js';
import { type ShadowingRow, scanShadowing } from './shadowing.js';
import type { TargetResult } from './summary.js';

export interface CoverContext {
  config: Config;
  discovery: GitLabDiscovery;
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
  try {
    await scanShadowing(target, context.config, context.discovery, { limit, concurrency: gitlabOf(context.config).concurrency }, async (owner, found) => {
      if ('error' in found) {
        results.push({ target: `${owner.kind}:${owner.fullPath}`, variable: '*', via: `group:${group}`, status: 'failed', error: `could not list its variables: ${found.error}` });
        return;
      }
      for (const row of found.rows) {
        const plan = planned.find((candidate) => candidate.spec.key === row.spec.key);
        const rowKey = `${owner.kind}:${owner.id}|${row.variable.key}|${row.variable.environmentScope}`;
        // Not in this run's plan (narrowed away), or already written by another covering group.
        if (!plan || context.seen.has(rowKey)) continue;
        context.seen.add(rowKey);
        results.push(await context.run(coverWork(target, owner, row, plan, context, found.listedAt)));
      }
    });
  } catch (error) {
    results.push({ target: `group:${group}`, variable: planned.map((p) => p.spec.key).join(', '), via: 'coverShadowing', status: 'failed', error: describeError(error) });
  }
  return results;
}

function coverWork(target: TargetConfig, owner: DescendantOwner, row: ShadowingRow, plan: PlannedVariable, context: CoverContext, listedAt: number): TargetWork {
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
    label: `${owner.kind}:${owner.fullPath}`,
    via: `group:${target.group}`,
  };
}
