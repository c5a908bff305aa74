import type { TargetConfig } from '../../config/schema.js';
import { targetSelector } from './plan.js';
import { variableSpecs } from './variables.js';

export type OwnerKind = 'project' | 'group';

/**
 * Targets that write a variable an earlier target writes too, with the reason. The config already
 * refuses the same path twice (in any case); this catches a numeric id and a path naming one owner,
 * which would race each other in a run (the older token could win). Ids are resolved only when a path
 * target of the same kind exists: two ids can never name one owner.
 */
export async function findDuplicateTargets(targets: TargetConfig[], fullPath: (kind: OwnerKind, id: string) => Promise<string>): Promise<Map<TargetConfig, string>> {
  const kindOf = (target: TargetConfig): OwnerKind | undefined => (target.project !== undefined ? 'project' : target.group !== undefined ? 'group' : undefined);
  const isId = (id: string) => /^\d+$/.test(id);
  const withPaths = new Set(targets.filter((t) => !isId(t.project ?? t.group ?? '0')).map(kindOf));
  const owners = new Map<TargetConfig, string>();
  for (const target of targets) {
    const kind = kindOf(target);
    const id = target.project ?? target.group;
    if (!kind || id === undefined) continue;
    if (!isId(id)) owners.set(target, `${kind}:${id.toLowerCase()}`);
    else if (withPaths.has(kind)) {
      const path = await fullPath(kind, id).catch(() => undefined);
      // An id GitLab cannot resolve fails on its own when its variable is read.
      if (path) owners.set(target, `${kind}:${path.toLowerCase()}`);
    }
  }
  const firstWriter = new Map<string, TargetConfig>();
  const duplicates = new Map<TargetConfig, string>();
  for (const target of targets) {
    const owner = owners.get(target);
    if (!owner) continue;
    for (const spec of variableSpecs(target)) {
      const row = `${owner}|${spec.key}|${target.environmentScope ?? '*'}`;
      const earlier = firstWriter.get(row);
      if (earlier && earlier !== target) {
        duplicates.set(target, `${targetSelector(target)} is ${owner}, which ${targetSelector(earlier)} already targets for ${spec.key}: remove one of the two targets`);
      } else firstWriter.set(row, target);
    }
  }
  return duplicates;
}
