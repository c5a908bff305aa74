import { gitlabOf, gitlabPort } from '../../config/gitlab-mode.js';
import type { Config } from '../../config/schema.js';
import { registryHostMatcher } from '../../domain/hosts.js';
import { describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import type { CiVariableStore, Clock, GitLabDiscovery, Logger, SecretStore, TokenMinter } from '../ports.js';
import { checkGitLabToken, type GitLabTokenDeps } from '../token/gitlab-token.js';
import { coverShadowingGroups } from './cover-shadowing.js';
import { findDuplicateTargets } from './duplicates.js';
import { callerAccountFromMints, credentialsFor, type MintedSlot, mintAll, needsCallerAccount, toRegistryResults } from './mint.js';
import { configuredRegistries, type PlannedVariable, planRefresh, type Selection, targetSelector, variableRef } from './plan.js';
import { refreshProfiles } from './profile-secrets.js';
import { outOfTimeMessage, refreshTarget, type TargetWork } from './refresh-target.js';
import { storeSecrets } from './store-secrets.js';
import { isSummaryOk, type RefreshSummary, type TargetResult } from './summary.js';

export interface RefreshDeps {
  minter: TokenMinter;
  /** GitLab's CI/CD variables; absent when the config has no targets (then nothing talks to GitLab). */
  variables?: CiVariableStore;
  /** Needed when the config has a `secrets` section or profiles. */
  secretStore?: SecretStore;
  clock: Clock;
  logger: Logger;
  /** Receives every secret value as soon as it exists, so log output can scrub it. */
  onSecret: (secret: string) => void;
  /** Epoch ms by which the run must be over (the Lambda's remaining time); none for local runs. */
  deadline?: number;
  /** Lists what lies below group targets, for coverShadowing; without it no group is covered. */
  discovery?: GitLabDiscovery;
  /** The account of the identity the run mints with (STS), asked only when no mint showed it. */
  callerAccount?: () => Promise<string>;
  /** The refresher's own GitLab token: its expiry is reported, and it is rotated when configured. */
  gitlabToken?: Omit<GitLabTokenDeps, 'clock' | 'logger' | 'onSecret' | 'deadline'>;
  onTargetDone?: (result: TargetResult, done: number, total: number) => void;
}

export interface RefreshOptions {
  dryRun: boolean;
  selection?: Selection;
}

/** Time kept in hand per target: a read, a write, and a retry or two at GitLab's usual latency. */
const MIN_TARGET_BUDGET_MS = 3_000;
/** A target is started only with at least this many times the slowest target so far still left. */
const BUDGET_FACTOR = 2;

/** The whole refresh: plan, mint, store secrets, then every target concurrently. Never throws for one failure. */
export async function runRefresh(config: Config, options: RefreshOptions, deps: RefreshDeps): Promise<RefreshSummary> {
  const started = deps.clock.now();
  const plan = planRefresh(config, options.selection);
  deps.logger.info('refresh started', { dryRun: options.dryRun, variables: plan.variables.length, profiles: plan.profiles.length, mintCalls: plan.calls.length });

  const gitlabToken = deps.gitlabToken
    ? await checkGitLabToken(gitlabOf(config), { ...deps.gitlabToken, clock: deps.clock, logger: deps.logger, onSecret: deps.onSecret, deadline: deps.deadline }, options.dryRun)
    : undefined;
  const slots = await mintAll(plan.calls, deps.minter, deps.logger, deps.onSecret);
  const callerAccount = await resolveCallerAccount(config, slots, deps);
  const now = new Date(deps.clock.now());
  const publicRegistries = new Set(config.registries.filter((registry) => registry.public).map((registry) => registry.name));
  const secrets =
    config.secrets && deps.secretStore
      ? await storeSecrets(
          { settings: config.secrets, slots, publicRegistries, dryRun: options.dryRun, now, managesHost: registryHostMatcher(config.registries, callerAccount) },
          deps.secretStore,
          deps.logger,
        )
      : [];
  const profiles =
    plan.profiles.length > 0 && deps.secretStore
      ? await refreshProfiles({ config, planned: plan.profiles, slots, dryRun: options.dryRun, now, callerAccount }, deps.secretStore, deps.logger)
      : [];

  let done = 0;
  let total = plan.variables.length;
  const budget = new TargetBudget(deps);
  const run = async (work: TargetWork): Promise<TargetResult> => {
    const result = budget.allowsAnother() ? await budget.timed(() => refreshTarget(work, gitlabPort(deps.variables), deps.clock)) : outOfTime(work);
    logTarget(deps.logger, result);
    deps.onTargetDone?.(result, ++done, Math.max(total, done));
    return result;
  };
  const workFor = ({ spec, registries }: PlannedVariable) => ({
    credentials: credentialsFor(slots, registries),
    managesHost: registryHostMatcher(configuredRegistries(config, spec), callerAccount),
    dryRun: options.dryRun,
  });
  const duplicates = deps.discovery ? await findDuplicateTargets([...new Set(plan.variables.map((p) => p.target))], deps.discovery.fullPath.bind(deps.discovery)) : new Map();
  const explicit = await mapWithConcurrency(plan.variables, config.gitlab?.concurrency ?? 1, (planned) => {
    const duplicate = duplicates.get(planned.target);
    return duplicate ? Promise.resolve(refused(planned, duplicate)) : run({ target: planned.target, spec: planned.spec, ...workFor(planned) });
  });
  const runFound = (work: TargetWork) => {
    total += 1;
    return run(work);
  };
  const covered = deps.discovery
    ? await coverShadowingGroups(plan, {
        config,
        discovery: deps.discovery,
        variables: gitlabPort(deps.variables),
        now: () => deps.clock.now(),
        workFor,
        run: runFound,
        seen: new Set<string>(),
      })
    : [];
  const targets = [...explicit, ...covered];

  const registries = toRegistryResults(slots);
  const summary: RefreshSummary = {
    ok: isSummaryOk({ registries, secrets, targets, gitlabToken, profiles }),
    dryRun: options.dryRun,
    durationMs: deps.clock.now() - started,
    ...(gitlabToken ? { gitlabToken } : {}),
    registries,
    secrets,
    targets,
    profiles,
  };
  deps.logger.info('refresh finished', {
    ok: summary.ok,
    durationMs: summary.durationMs,
    targets: targets.length,
    failedTargets: targets.filter((t) => t.status === 'failed').length,
    failedProfiles: profiles.filter((p) => p.status === 'failed').length,
  });
  return summary;
}

/**
 * The caller's account decides which hosts a registry without accountId manages. A mint usually shows
 * it; otherwise STS is asked, and when that fails too no host of such a registry counts as managed.
 */
async function resolveCallerAccount(config: Config, slots: MintedSlot[], deps: RefreshDeps): Promise<string | undefined> {
  const fromMints = callerAccountFromMints(slots, config.registries);
  if (fromMints || !needsCallerAccount(config.registries) || !deps.callerAccount) return fromMints;
  try {
    return await deps.callerAccount();
  } catch (error) {
    deps.logger.warn('could not learn the caller account; hosts of registries without accountId are treated as unknown', { error: describeError(error) });
    return undefined;
  }
}

/**
 * Decides whether a new target can still finish before the deadline, from how long targets have
 * actually taken in this run (retries and 429 pauses included), never less than a fixed floor.
 */
class TargetBudget {
  private slowestMs = 0;
  constructor(private readonly deps: Pick<RefreshDeps, 'clock' | 'deadline'>) {}

  allowsAnother(): boolean {
    if (this.deps.deadline === undefined) return true;
    const needed = Math.max(MIN_TARGET_BUDGET_MS, BUDGET_FACTOR * this.slowestMs);
    return this.deps.deadline - this.deps.clock.now() >= needed;
  }

  async timed<T>(work: () => Promise<T>): Promise<T> {
    const started = this.deps.clock.now();
    try {
      return await work();
    } finally {
      this.slowestMs = Math.max(this.slowestMs, this.deps.clock.now() - started);
    }
  }
}

function refused({ target, spec }: PlannedVariable, error: string): TargetResult {
  return { target: targetSelector(target), variable: spec.key, environmentScope: variableRef(target, spec).environmentScope, status: 'failed', error };
}

function outOfTime(work: TargetWork): TargetResult {
  return {
    target: work.label ?? targetSelector(work.target),
    variable: work.spec.key,
    environmentScope: variableRef(work.target, work.spec).environmentScope,
    ...(work.via ? { via: work.via } : {}),
    status: 'failed',
    error: outOfTimeMessage(),
  };
}

function logTarget(logger: Logger, result: TargetResult): void {
  const fields = {
    target: result.target,
    variable: result.variable,
    environmentScope: result.environmentScope,
    via: result.via,
    status: result.status,
    hosts: result.hosts,
    changes: result.changes,
    warnings: result.warnings?.map((warning) => warning.message),
    error: result.error,
  };
  if (result.status === 'failed') logger.error('target failed', fields);
  else logger.info('target done', fields);
}
