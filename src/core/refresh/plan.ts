import type { Config, ProfileConfig, RegistryConfig, TargetConfig } from '../../config/schema.js';
import { ConfigError } from '../../errors.js';
import type { AwsRole, MintRequest, VariableOwner, VariableRef } from '../ports.js';
import { mainVariable, type VariableSpec, variableSpecs } from './variables.js';

export const PUBLIC_REGION = 'us-east-1';

/** One (registry, region) pair whose token the run needs. */
export interface RegistrySlot {
  registry: string;
  region: string;
  /** The account whose registry host the token is written for; undefined: the minting identity's own. */
  accountId?: string;
}

export interface MintCall {
  request: MintRequest;
  slots: RegistrySlot[];
}

export interface Selection {
  targets?: string[];
  registries?: string[];
  /** Profile names; a run narrowed to targets or profiles refreshes only those. */
  profiles?: string[];
}

/** One variable to write in this run, with the registries it carries (after narrowing). */
export interface PlannedVariable {
  target: TargetConfig;
  spec: VariableSpec;
  registries: string[];
}

/** One profile secret to write in this run, with the registries it carries (after narrowing). */
export interface PlannedProfile {
  profile: ProfileConfig;
  registries: string[];
}

export interface RefreshPlan {
  calls: MintCall[];
  variables: PlannedVariable[];
  profiles: PlannedProfile[];
}

/** `project:platform/api`, `group:platform`, `instance` — the selector syntax of the CLI and manual events. */
export function targetSelector(target: TargetConfig): string {
  if (target.project !== undefined) return `project:${target.project}`;
  if (target.group !== undefined) return `group:${target.group}`;
  return 'instance';
}

export function targetOwner(target: TargetConfig): VariableOwner {
  if (target.project !== undefined) return { kind: 'project', id: target.project };
  if (target.group !== undefined) return { kind: 'group', id: target.group };
  return { kind: 'instance' };
}

export function variableRef(target: TargetConfig, spec: VariableSpec = mainVariable(target)): VariableRef {
  const owner = targetOwner(target);
  if (owner.kind === 'instance') return { owner, key: spec.key };
  return { owner, key: spec.key, environmentScope: target.environmentScope ?? '*' };
}

/**
 * Decides which targets and profiles run and which tokens to mint, one call per (credentials, region):
 * the registries some selected target or profile needs, and, when the config has a `secrets` section
 * and the run is not narrowed to targets or profiles, every other registry too (its host secrets are
 * for Secrets Manager readers; see `unusedRegistries`).
 */
export function planRefresh(config: Config, selection: Selection = {}): RefreshPlan {
  const selectedRegistries = resolveRegistrySelection(config, selection.registries);
  const everyRegistry = config.registries.map((registry) => registry.name);
  const narrowed = (selection.targets?.length ?? 0) > 0 || (selection.profiles?.length ?? 0) > 0;
  const chosenTargets = narrowed && !selection.targets?.length ? [] : resolveTargetSelection(config, selection.targets);
  const variables = chosenTargets.flatMap((target) =>
    variableSpecs(target)
      .map((spec) => ({ target, spec, registries: (spec.registries ?? everyRegistry).filter((name) => selectedRegistries.has(name)) }))
      .filter((planned) => planned.registries.length > 0),
  );
  const chosenProfiles = narrowed && !selection.profiles?.length ? [] : resolveProfileSelection(config, selection.profiles);
  const profiles = chosenProfiles
    .map((profile) => ({ profile, registries: profile.registries.filter((name) => selectedRegistries.has(name)) }))
    .filter((planned) => planned.registries.length > 0);
  const needed = new Set([...variables.flatMap((planned) => planned.registries), ...profiles.flatMap((planned) => planned.registries)]);
  if (config.secrets && !narrowed) for (const name of selectedRegistries) needed.add(name);
  const registries = config.registries.filter((registry) => needed.has(registry.name));
  return { calls: planMintCalls(registries), variables, profiles };
}

/** Registries that no target variable and no profile carries: only host secrets can hold their tokens. */
export function unusedRegistries(config: Config): RegistryConfig[] {
  const used = new Set<string>(config.profiles.flatMap((profile) => profile.registries));
  for (const target of config.targets) {
    for (const spec of variableSpecs(target)) for (const name of spec.registries ?? config.registries.map((registry) => registry.name)) used.add(name);
  }
  return config.registries.filter((registry) => !used.has(registry.name));
}

/** Every registry a variable is configured with, whatever a run was narrowed to. */
export function configuredRegistries(config: Config, spec: VariableSpec): RegistryConfig[] {
  return spec.registries ? config.registries.filter((registry) => spec.registries?.includes(registry.name)) : config.registries;
}

/** One call per (credentials, region): every registry reached with the same role in a region shares its token. */
export function planMintCalls(registries: RegistryConfig[]): MintCall[] {
  const calls = new Map<string, MintCall>();
  for (const registry of registries) {
    const role: AwsRole | undefined = registry.roleArn ? { arn: registry.roleArn, externalId: registry.externalId } : undefined;
    const roleKey = `${registry.roleArn ?? ''}|${registry.externalId ?? ''}`;
    const regions = registry.public ? [PUBLIC_REGION] : (registry.regions ?? []);
    for (const region of regions) {
      const key = `${registry.public ? 'public' : 'private'}|${roleKey}|${region}`;
      const request: MintRequest = registry.public ? { kind: 'public', role } : { kind: 'private', region, role };
      const call = calls.get(key) ?? { request, slots: [] };
      call.slots.push({ registry: registry.name, region, accountId: registry.accountId });
      calls.set(key, call);
    }
  }
  return [...calls.values()];
}

function resolveRegistrySelection(config: Config, names: string[] | undefined): Set<string> {
  const known = new Set(config.registries.map((registry) => registry.name));
  if (!names || names.length === 0) return known;
  const unknown = names.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(unknown.map((name) => `registry "${name}": not in the config (known: ${[...known].join(', ')})`));
  }
  return new Set(names);
}

function resolveTargetSelection(config: Config, selectors: string[] | undefined): TargetConfig[] {
  if (!selectors || selectors.length === 0) return config.targets;
  const problems: string[] = [];
  const chosen = new Set<TargetConfig>();
  for (const selector of selectors) {
    const matches = config.targets.filter((target) => targetSelector(target) === normaliseSelector(selector));
    if (matches.length === 0) problems.push(`target "${selector}": no such target in the config (use project:PATH, group:PATH or instance)`);
    for (const match of matches) chosen.add(match);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config.targets.filter((target) => chosen.has(target));
}

function resolveProfileSelection(config: Config, names: string[] | undefined): ProfileConfig[] {
  if (!names || names.length === 0) return config.profiles;
  const unknown = names.filter((name) => !config.profiles.some((profile) => profile.name === name));
  if (unknown.length > 0) {
    const known = config.profiles.map((profile) => profile.name).join(', ') || 'none';
    throw new ConfigError(unknown.map((name) => `profile "${name}": not in the config (known: ${known})`));
  }
  return config.profiles.filter((profile) => names.includes(profile.name));
}

function normaliseSelector(selector: string): string {
  return selector.trim() === 'instance:' ? 'instance' : selector.trim();
}
