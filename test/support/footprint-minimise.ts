/**
 * After fast-check has shrunk a failing footprint case, one more pass makes it minimal: the world is
 * generated from the config (`chain`), which fast-check shrinks only partly, so this removes one thing
 * at a time (a variable, a target, an option, a registry, a fault) and keeps every removal after which
 * the same rule still breaks. What is left is the case to pin as a regression test.
 */
import type { Violation } from './footprint-invariants.js';
import { type FootprintCase, TOKEN_SECRET } from './worlds.js';

/** A violation without its paths, hosts and numbers: the same hazard in a smaller case keeps it. */
export function violationKind(violation: Violation): string {
  return `${violation.invariant}: ${violation.message.replace(/\S*[\d/.:]\S*/g, '#')}`;
}

/** Greedy one-at-a-time reduction; `stillFails` runs a candidate case. At most `budget` candidates are tried. */
export async function minimise(testCase: FootprintCase, stillFails: (candidate: FootprintCase) => Promise<boolean>, budget = 200): Promise<FootprintCase> {
  let current = testCase;
  let tried = 0;
  for (let progress = true; progress && tried < budget; ) {
    progress = false;
    for (const candidate of simplerCases(current)) {
      if (++tried > budget) break;
      if (await stillFails(candidate)) {
        current = candidate;
        progress = true;
        break;
      }
    }
  }
  return current;
}

type Mutable = Record<string, unknown>;

/** Every case one simplification away from this one. */
export function* simplerCases(testCase: FootprintCase): Generator<FootprintCase> {
  const variant = (change: (copy: FootprintCase) => void): FootprintCase => {
    const copy = structuredClone(testCase);
    change(copy);
    return copy;
  };
  if (testCase.dryRun) yield variant((c) => (c.dryRun = false));
  for (const index of testCase.faults.keys()) yield variant((c) => c.faults.splice(index, 1));
  const config = testCase.config as Mutable & { targets: Mutable[]; registries: Mutable[]; gitlab: Mutable };
  const targets = config.targets;
  if (targets.length > 1) for (const index of targets.keys()) yield variant((c) => (c.config.targets as Mutable[]).splice(index, 1));
  for (const index of testCase.world.variables.keys()) yield variant((c) => c.world.variables.splice(index, 1));
  for (const index of testCase.world.shares.keys()) yield variant((c) => c.world.shares.splice(index, 1));
  const targetAt = (c: FootprintCase, index: number) => (c.config.targets as Mutable[])[index] as Mutable;
  const extrasAt = (c: FootprintCase, index: number) => targetAt(c, index).variables as Mutable[];
  for (const [index, target] of targets.entries()) {
    for (const key of Object.keys(target).filter((key) => !['project', 'group', 'instance'].includes(key))) yield variant((c) => delete targetAt(c, index)[key]);
    for (const [position, extra] of ((target.variables ?? []) as Mutable[]).entries()) {
      yield variant((c) => extrasAt(c, index).splice(position, 1));
      for (const key of Object.keys(extra).filter((key) => key !== 'name')) yield variant((c) => delete (extrasAt(c, index)[position] as Mutable)[key]);
    }
  }
  if (config.registries.length > 1) {
    for (const [index, registry] of config.registries.entries()) yield variant((c) => dropRegistry(c.config as typeof config, index, registry.name as string));
  }
  for (const key of ['rotateToken', 'concurrency']) if (key in config.gitlab) yield variant((c) => delete (c.config.gitlab as Mutable)[key]);
  if (config.gitlab.tokenSecretId !== TOKEN_SECRET) yield variant((c) => ((c.config.gitlab as Mutable).tokenSecretId = TOKEN_SECRET));
  if ('secrets' in config) yield variant((c) => delete c.config.secrets);
  for (const [index, variable] of testCase.world.variables.entries()) {
    for (const simpler of simplerContents(variable.content)) yield variant((c) => ((c.world.variables[index] as { content: unknown }).content = simpler));
    for (const flag of ['pretty', 'hidden', 'masked', 'protected', 'raw'] as const) {
      if (variable[flag]) yield variant((c) => ((c.world.variables[index] as Record<typeof flag, boolean>)[flag] = false));
    }
  }
  if (testCase.world.admin) yield variant((c) => (c.world.admin = false));
  if (testCase.world.otherAccess !== 'owner') yield variant((c) => (c.world.otherAccess = 'owner'));
  if (testCase.world.token.secretFormat !== 'json') yield variant((c) => (c.world.token.secretFormat = 'json'));
  if (testCase.world.token.expiresInDays !== 200) yield variant((c) => (c.world.token.expiresInDays = 200));
}

/** A JSON object value with one key (or one entry of an object under a key) less. */
function* simplerContents(content: unknown): Generator<unknown> {
  if (content === null || typeof content !== 'object' || Array.isArray(content)) return;
  const record = content as Mutable;
  for (const key of Object.keys(record)) {
    const { [key]: _removed, ...rest } = record;
    yield rest;
    const inner = record[key];
    if (inner !== null && typeof inner === 'object' && !Array.isArray(inner)) {
      for (const innerKey of Object.keys(inner)) {
        const { [innerKey]: _gone, ...kept } = inner as Mutable;
        yield { ...record, [key]: kept };
      }
    }
  }
}

/** Removes a registry and every reference to it (a target left with none uses every registry). */
function dropRegistry(config: { targets: Mutable[]; registries: Mutable[] }, index: number, name: string): void {
  config.registries.splice(index, 1);
  const unlink = (holder: Mutable) => {
    if (!Array.isArray(holder.registries)) return;
    holder.registries = holder.registries.filter((candidate) => candidate !== name);
    if ((holder.registries as unknown[]).length === 0) delete holder.registries;
  };
  for (const target of config.targets) {
    unlink(target);
    for (const extra of (target.variables ?? []) as Mutable[]) unlink(extra);
  }
}
