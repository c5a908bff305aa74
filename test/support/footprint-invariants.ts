/**
 * The footprint rules (issue 20), checked on what a run actually did: the emulator's variables before
 * and after, the requests it received, the secrets written, the summary and the log. The oracle reads
 * the config itself and uses no code of src/core, so a bug there cannot hide in its own check.
 *
 * 1 footprint   every changed row is named in the summary; only target owners and covered descendants
 *               change; shared projects never; nothing is deleted; only explicit targets create.
 * 2 value       inside a changed value only entries of hosts minted in this run change (and, opted in,
 *               credHelpers entries of hosts the variable manages go); settings change only as configured.
 * 3 protection  no credential lands in a variable less protected or wider-scoped than its target's; push
 *               credentials never in an unprotected variable; a covered row below (or on) a nearer group
 *               target of its key, or in a same-group target's narrower scope, is that target's to decide.
 * 4 second run  a second run changes nothing but credentials and timestamps.
 * 5 ambiguous   no variable write or token rotate is repeated after an ambiguous answer; a lost rotate
 *               answer is reported as an unknown outcome.
 * secrets       each secret written at most once per run, under the prefix, never the GitLab token secret
 *               (except by rotation).
 * leak          no minted password, auth string or GitLab token in the summary or the log.
 */
import type { Config, TargetConfig } from '../../src/config/schema.js';
import type { TargetResult } from '../../src/core/refresh/summary.js';
import type { CaseResult, RowId, RunRecord } from './footprint-run.js';
import type { EmulatedVariable } from './gitlab-emulator.js';
import { CALLER_ACCOUNT, GROUPS, namespaceId, namespacePath, type OwnerKind, PROJECTS } from './worlds.js';

export type Invariant = '1 footprint' | '2 value' | '3 protection' | '4 second run' | '5 ambiguous' | 'secrets' | 'leak';

export interface Violation {
  invariant: Invariant;
  /** Which run of the case (1-based), or 0 for the config itself. */
  run: number;
  where: string;
  message: string;
}

const METADATA_KEY = 'ecrGitlabRefresher';
const PUBLIC_HOST = 'public.ecr.aws';
const SETTINGS = ['protected', 'masked', 'raw', 'hidden', 'variable_type', 'description'] as const;

/** Every rule, for every run of a case. */
export function checkCase(result: CaseResult): Violation[] {
  if (!result.config) {
    const sent = (result.refusedRequests ?? 0) + (result.refusedSecretWrites ?? 0);
    return sent > 0 ? [{ invariant: '1 footprint', run: 0, where: 'config', message: `refused config, yet ${sent} requests/secret writes were made` }] : [];
  }
  const config = result.config;
  const toolRows = new Set<RowId>();
  const violations: Violation[] = [];
  for (const [index, run] of result.runs.entries()) {
    violations.push(...checkRun(config, run, index + 1, toolRows));
    for (const id of run.after.keys()) if (!result.runs[0]?.before.has(id)) toolRows.add(id);
  }
  const [previous, last] = result.runs.slice(-2);
  if (previous && last) violations.push(...checkSecondRun(last, result.runs.length));
  return violations;
}

// ---- the config, read independently of src/core ---------------------------------------------------

interface Spec {
  key: string;
  format: 'docker-config' | 'registry-login';
  registries?: string[];
  protected?: boolean;
  createProtected: boolean;
  masked: boolean;
  variableType?: string;
  description?: string;
  access: 'pull' | 'push';
}

function specsOf(target: TargetConfig): Spec[] {
  const main: Spec = {
    key: target.variable,
    format: target.format,
    registries: target.registries,
    protected: target.protected,
    createProtected: false,
    masked: target.masked,
    variableType: target.variableType,
    description: target.description,
    access: 'pull',
  };
  const extras = (target.variables ?? []).map(
    (extra): Spec => ({
      key: extra.name,
      format: extra.format,
      registries: extra.registries ?? target.registries,
      protected: extra.protected,
      createProtected: true,
      masked: extra.masked,
      variableType: extra.variableType,
      description: extra.description,
      access: extra.access,
    }),
  );
  return [main, ...extras];
}

function selectorOf(target: TargetConfig): string {
  if (target.project !== undefined) return `project:${target.project}`;
  if (target.group !== undefined) return `group:${target.group}`;
  return 'instance';
}

/** `project:<path or id>` / `group:…` / `instance` → the emulator's owner key, or undefined for an owner the world lacks. */
export function resolveLabel(label: string): string | undefined {
  if (label === 'instance') return 'instance';
  const match = /^(project|group):(.+)$/.exec(label);
  if (!match) return undefined;
  const kind = match[1] as OwnerKind;
  const ref = match[2] as string;
  if (/^\d+$/.test(ref)) return namespacePath(kind, Number(ref)) ? `${kind}:${ref}` : undefined;
  const paths: readonly string[] = kind === 'project' ? PROJECTS : GROUPS;
  const path = paths.find((candidate) => candidate.toLowerCase() === ref.toLowerCase());
  return path ? `${kind}:${namespaceId(kind, path)}` : undefined;
}

/** Projects and subgroups below a group by path (never projects merely shared into it). */
function descendantsOf(groupOwner: string): Set<string> {
  const path = namespacePath('group', Number(groupOwner.split(':')[1]));
  const below = (candidate: string) => path !== undefined && candidate.startsWith(`${path}/`);
  return new Set([
    ...GROUPS.filter(below).map((group) => `group:${namespaceId('group', group)}`),
    ...PROJECTS.filter(below).map((project) => `project:${namespaceId('project', project)}`),
  ]);
}

/** The registry hosts a spec's registries reach: a registry without accountId reaches exactly the caller's account. */
function managedHosts(config: Config, spec: Spec): Set<string> {
  return new Set(
    registriesOf(config, spec).flatMap((registry) => {
      if (registry.public) return [PUBLIC_HOST];
      const account = registry.accountId ?? /^arn:[^:]+:iam::(\d{12}):/.exec(registry.roleArn ?? '')?.[1] ?? CALLER_ACCOUNT;
      return (registry.regions ?? []).map((region) => `${account}.dkr.ecr.${region}.amazonaws.com`);
    }),
  );
}

function registriesOf(config: Config, spec: Spec) {
  return config.registries.filter((registry) => spec.registries === undefined || spec.registries.includes(registry.name));
}

/** Hosts this run minted for a spec's registries, as its summary reports them. */
function mintedHosts(config: Config, spec: Spec, run: RunRecord): Set<string> {
  const names = new Set(registriesOf(config, spec).map((registry) => registry.name));
  return new Set(
    (run.summary?.registries ?? []).filter((result) => result.status === 'minted' && result.host && names.has(result.name)).map((result) => (result.host as string).toLowerCase()),
  );
}

/** The Runner's reading of an `auths`/`credHelpers` key: a scheme reduces it to its host; hosts compare in lower case. */
export function registryHost(key: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(key);
  if (scheme) return (key.slice(scheme[0].length).split('/')[0] ?? '').toLowerCase();
  const trimmed = key.replace(/\/+$/, '');
  const slash = trimmed.indexOf('/');
  return slash === -1 ? trimmed.toLowerCase() : trimmed.slice(0, slash).toLowerCase() + trimmed.slice(slash);
}

/** Whether every environment a row's scope matches is matched by the target's scope too. */
export function scopeWithin(row: string, target: string): boolean {
  if (target === '*' || row === target) return true;
  if (!row.includes('*')) return new RegExp(`^${target.split('*').map(escapeRegExp).join('.*')}$`).test(row);
  const prefix = target.endsWith('*') && !target.slice(0, -1).includes('*') ? target.slice(0, -1) : undefined;
  return prefix !== undefined && row.startsWith(prefix);
}

// ---- one run -------------------------------------------------------------------------------------

interface Writer {
  target: TargetConfig;
  spec: Spec;
  /** Reached through this covering group's coverShadowing (its owner key), not an explicit target. */
  coveringGroup?: string;
  entry: TargetResult;
}

function checkRun(config: Config, run: RunRecord, index: number, toolRows: Set<RowId>): Violation[] {
  const violations: Violation[] = [];
  const add = (invariant: Invariant, where: string, message: string) => violations.push({ invariant, run: index, where, message });
  for (const id of run.before.keys()) if (!run.after.has(id)) add('1 footprint', rowLabel(id), 'the row was deleted');
  for (const [id, after] of run.after) {
    const before = run.before.get(id);
    if (before && sameRow(before, after)) continue;
    for (const [invariant, message] of checkChangedRow(config, run, id, before, after, toolRows)) add(invariant, rowLabel(id), message);
  }
  for (const message of ambiguousRepeats(run)) add('5 ambiguous', 'requests', message);
  for (const message of secretProblems(config, run)) add('secrets', 'secrets', message);
  const shown = JSON.stringify(run.summary ?? {}) + run.log;
  if (run.secrets.some((secret) => secret.length > 0 && shown.includes(secret)))
    add('leak', 'summary/log', 'a minted credential or the GitLab token appears in the summary or the log');
  return violations;
}

type Finding = [Invariant, string];

function checkChangedRow(config: Config, run: RunRecord, id: RowId, before: Row | undefined, after: Row, toolRows: Set<RowId>): Finding[] {
  const [owner, key, scope] = id.split('|') as [string, string, string];
  const named = (run.summary?.targets ?? []).filter((entry) => resolveLabel(entry.target) === owner && entry.variable === key && (entry.environmentScope ?? '*') === scope);
  if (named.length === 0) return [['1 footprint', `changed (${describeChange(before, after)}) but not named in the run's summary`]];
  const entry = named.find((candidate) => candidate.status === 'created' || candidate.status === 'updated') ?? (named[0] as TargetResult);
  if (entry.status !== 'created' && entry.status !== 'updated' && !(entry.status === 'failed' && run.faulted)) {
    return [['1 footprint', `changed (${describeChange(before, after)}) but the summary says ${entry.status}${entry.error ? `: ${entry.error}` : ''}`]];
  }
  const writers = writersOf(config, entry);
  if (writers.length === 0)
    return [['1 footprint', `changed, and the summary names it as ${entry.target}${entry.via ? ` via ${entry.via}` : ''}, which is no target of the config`]];
  // Two covering targets on one group (different scopes) share a `via` label: the row is fine if either may write it.
  const verdicts = writers.map((writer) => writerFindings(config, run, writer, owner, scope, before, after, toolRows.has(id)));
  return verdicts.reduce((best, findings) => (findings.length < best.length ? findings : best));
}

function writerFindings(config: Config, run: RunRecord, writer: Writer, owner: string, scope: string, before: Row | undefined, after: Row, toolOwned: boolean): Finding[] {
  const { entry } = writer;
  const findings: Finding[] = [];
  if (writer.coveringGroup) {
    if (!descendantsOf(writer.coveringGroup).has(owner))
      findings.push(['1 footprint', `changed via ${entry.via}, but it is not below that group (shared projects inherit nothing)`]);
    if (!before) findings.push(['1 footprint', `created below covering group ${entry.via}: only explicit targets create`]);
  } else if (resolveLabel(selectorOf(writer.target)) !== owner) {
    findings.push(['1 footprint', `changed as ${entry.target}, which writes another owner`]);
  }
  for (const message of valueProblems(config, run, writer, before, after, toolOwned)) findings.push(['2 value', message]);
  for (const message of settingProblems(writer, before, after)) findings.push(['2 value', message]);
  if (before?.value !== after.value) for (const message of protectionProblems(config, run, writer, owner, scope, after)) findings.push(['3 protection', message]);
  return findings;
}

/** The config targets (with the variable's spec) a summary entry can stand for. */
function writersOf(config: Config, entry: TargetResult): Writer[] {
  const withSpec = (target: TargetConfig, coveringGroup?: string): Writer[] => {
    const spec = specsOf(target).find((candidate) => candidate.key === entry.variable);
    return spec ? [{ target, spec, coveringGroup, entry }] : [];
  };
  if (entry.via) {
    const coveringGroup = resolveLabel(entry.via);
    if (!coveringGroup) return [];
    return config.targets.filter((target) => target.coverShadowing && selectorOf(target) === entry.via).flatMap((target) => withSpec(target, coveringGroup));
  }
  const scope = entry.environmentScope ?? '*';
  return config.targets.filter((target) => selectorOf(target) === entry.target && (target.environmentScope ?? '*') === scope).flatMap((target) => withSpec(target));
}

type Row = Omit<EmulatedVariable, 'id'>;

function sameRow(a: Row, b: Row): boolean {
  return a.value === b.value && SETTINGS.every((setting) => a[setting] === b[setting]);
}

function describeChange(before: Row | undefined, after: Row): string {
  if (!before) return 'created';
  const settings = SETTINGS.filter((setting) => before[setting] !== after[setting]).map((setting) => `${setting} ${before[setting]} → ${after[setting]}`);
  return [...(before.value !== after.value ? ['value'] : []), ...settings].join(', ');
}

// ---- 2: values and settings ------------------------------------------------------------------------

function valueProblems(config: Config, run: RunRecord, writer: Writer, before: Row | undefined, after: Row, toolOwned: boolean): string[] {
  if (before?.value === after.value) return [];
  // Opt-in: the whole value of an explicit `ownership: full` target is the tool's.
  if (!writer.coveringGroup && writer.target.ownership === 'full') return [];
  const minted = mintedHosts(config, writer.spec, run);
  if (writer.spec.format === 'registry-login') return registryLoginProblems(before?.value, after.value, minted, toolOwned, writer.entry.changes ?? []);
  const dropping = writer.target.helpers === 'drop-for-managed-hosts';
  return dockerConfigProblems(before?.value, after.value, minted, dropping ? managedHosts(config, writer.spec) : undefined);
}

function dockerConfigProblems(beforeText: string | undefined, afterText: string, minted: Set<string>, managed: Set<string> | undefined): string[] {
  const after = parseObject(afterText);
  if (!after) return ['the new value is not a JSON object'];
  if (beforeText === undefined) {
    const extra = Object.keys(after).filter((key) => key !== 'auths' && key !== METADATA_KEY);
    const foreign = Object.keys(objectOr(after.auths)).filter((key) => !minted.has(registryHost(key)));
    return [...extra.map((key) => `a created value holds "${key}"`), ...foreign.map((key) => `a created value holds an entry for ${key}, not minted in this run`)];
  }
  const before = parseObject(beforeText);
  if (!before || (before.auths !== undefined && !isObject(before.auths))) return ['a value the tool cannot merge safely (not a JSON object with object auths) was rewritten'];
  const problems: string[] = [];
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (key === 'auths' || key === 'credHelpers' || key === METADATA_KEY) continue;
    if (!deepEqual(before[key], after[key])) problems.push(`"${key}" changed: ${brief(before[key])} → ${brief(after[key])}`);
  }
  problems.push(...entryProblems('auths', objectOr(before.auths), objectOr(after.auths), (key) => minted.has(registryHost(key))));
  if (!managed || !isObject(before.credHelpers)) {
    if (!deepEqual(before.credHelpers, after.credHelpers)) problems.push(`"credHelpers" changed: ${brief(before.credHelpers)} → ${brief(after.credHelpers)}`);
  } else {
    const kept = objectOr(after.credHelpers);
    for (const [key, helper] of Object.entries(before.credHelpers)) {
      if (!(key in kept)) {
        if (!managed.has(registryHost(key))) problems.push(`credHelpers entry ${key} → ${String(helper)} removed, but this variable does not manage ${registryHost(key)}`);
      } else if (!deepEqual(kept[key], helper)) problems.push(`credHelpers entry ${key} changed`);
    }
    for (const key of Object.keys(kept)) if (!(key in before.credHelpers)) problems.push(`credHelpers entry ${key} added`);
  }
  return problems;
}

function registryLoginProblems(beforeText: string | undefined, afterText: string, minted: Set<string>, toolOwned: boolean, changes: string[]): string[] {
  const after = parseObject(afterText);
  if (!after) return ['the new value is not a JSON object'];
  const before = beforeText === undefined ? {} : parseObject(beforeText);
  if (!before) return ['a value the tool cannot merge safely (not a JSON object) was rewritten'];
  // Only the tool's own value may lose an entry of a host the config no longer manages, and then it says so.
  const listed = (key: string) => toolOwned && changes.some((change) => change.includes(key));
  // The tool may keep a record of its own under its metadata key, as in docker-config values.
  const { [METADATA_KEY]: _before, ...entriesBefore } = before;
  const { [METADATA_KEY]: _after, ...entriesAfter } = after;
  return entryProblems('registry-login', entriesBefore, entriesAfter, (key) => minted.has(key.toLowerCase()), listed);
}

/** Entries of hosts not minted in this run stay exactly as they were; new entries are minted ones. */
function entryProblems(
  section: string,
  before: Record<string, unknown>,
  after: Record<string, unknown>,
  isMinted: (key: string) => boolean,
  mayRemove: (key: string) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  for (const [key, entry] of Object.entries(before)) {
    if (isMinted(key)) continue;
    if (!(key in after)) {
      if (!mayRemove(key)) problems.push(`${section} entry ${key} (not minted in this run) was removed`);
    } else if (!deepEqual(after[key], entry)) problems.push(`${section} entry ${key} (not minted in this run) changed`);
  }
  for (const key of Object.keys(after)) if (!(key in before) && !isMinted(key)) problems.push(`${section} entry ${key} was added, but it was not minted in this run`);
  return problems;
}

function settingProblems(writer: Writer, before: Row | undefined, after: Row): string[] {
  if (!before) return [];
  const problems: string[] = [];
  const { spec } = writer;
  const configured = { protected: spec.protected, variable_type: spec.variableType, description: spec.description } as const;
  if (before.hidden !== after.hidden) problems.push(`hidden changed ${before.hidden} → ${after.hidden}`);
  for (const setting of ['protected', 'variable_type', 'description'] as const) {
    if (before[setting] === after[setting]) continue;
    const change = `${setting} changed ${JSON.stringify(before[setting])} → ${JSON.stringify(after[setting])}`;
    // Switching protection on for push credentials is what rule 3 asks of an explicit target.
    const protectsPush = setting === 'protected' && after.protected && spec.access === 'push';
    if (writer.coveringGroup) problems.push(`${change} on a covered row (its own settings are never imposed)`);
    else if (configured[setting] !== after[setting] && !protectsPush) problems.push(`${change}, which the config does not set`);
  }
  if (before.masked && !after.masked && (writer.coveringGroup || spec.masked !== false)) problems.push('masked switched off');
  if (before.raw && !after.raw) problems.push('raw switched off');
  return problems;
}

// ---- 3: protection and scope -------------------------------------------------------------------------

function protectionProblems(config: Config, run: RunRecord, writer: Writer, owner: string, scope: string, after: Row): string[] {
  const problems: string[] = [];
  if (writer.spec.access === 'push' && !after.protected) problems.push(`push credentials (${writer.spec.key}, access: push) written into an unprotected variable`);
  if (!writer.coveringGroup) return problems;
  const targetScope = writer.target.environmentScope ?? '*';
  const own = run.after.get(`${writer.coveringGroup}|${writer.spec.key}|${targetScope}`);
  const ownProtected = own?.protected ?? writer.spec.protected ?? writer.spec.createProtected;
  if (ownProtected && !after.protected) problems.push(`covered although less protected than ${writer.entry.via}'s own ${writer.spec.key} (protected)`);
  if (!scopeWithin(scope, targetScope)) problems.push(`covered although its scope "${scope}" is wider than ${writer.entry.via}'s "${targetScope}"`);
  for (const nearer of nearerTargets(config, writer, owner, scope)) {
    problems.push(`covered via ${writer.entry.via} although ${nearer} is nearer: the row hides that target's value, so the nearer one decides`);
  }
  return problems;
}

/**
 * The group targets of the same key that decide a row before the covering group does: one strictly below
 * it with the row on or below its group, or one on the same group in a narrower scope — each only when
 * its scope and the row's can both match some environment.
 */
function nearerTargets(config: Config, writer: Writer, owner: string, scope: string): string[] {
  const coveringPath = ownerPath(writer.coveringGroup as string);
  const rowPath = ownerPath(owner);
  const writerScope = writer.target.environmentScope ?? '*';
  return config.targets
    .filter((target) => target !== writer.target && target.group !== undefined && specsOf(target).some((spec) => spec.key === writer.spec.key))
    .filter((target) => {
      const group = resolveLabel(selectorOf(target));
      const path = group && ownerPath(group);
      if (!path || !coveringPath || !rowPath) return false;
      const targetScope = target.environmentScope ?? '*';
      const below = path.startsWith(`${coveringPath}/`) && (rowPath === path || rowPath.startsWith(`${path}/`));
      const narrower = path === coveringPath && targetScope !== writerScope && scopeWithin(targetScope, writerScope);
      return (below || narrower) && scopesMeet(scope, targetScope);
    })
    .map((target) => `${selectorOf(target)} [${target.environmentScope ?? '*'}]`);
}

function ownerPath(owner: string): string | undefined {
  const [kind, id] = owner.split(':') as [OwnerKind, string];
  return namespacePath(kind, Number(id))?.toLowerCase();
}

/** Environment names that witness every overlap of the scopes worlds use (SCOPES): eu-prod for "*-prod" and "eu-*", review/x-prod for "review/*" and "*-prod". */
const WITNESS_ENVIRONMENTS = ['production', 'staging', 'review/app-1', 'review/x-prod', 'eu-prod', 'eu-staging', 'us-prod', 'other'];

function scopesMeet(a: string, b: string): boolean {
  const matches = (pattern: string, name: string) => new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`).test(name);
  return WITNESS_ENVIRONMENTS.some((name) => matches(a, name) && matches(b, name));
}

// ---- 5: ambiguous answers ------------------------------------------------------------------------------

const ambiguous = (status: number) => status === -1 || status >= 500;

function ambiguousRepeats(run: RunRecord): string[] {
  const problems: string[] = [];
  const unsure = new Map<RowId, string>();
  for (const request of run.requests) {
    if (request.list && request.owner) {
      for (const row of unsure.keys()) if (row.startsWith(`${request.owner}|`)) unsure.delete(row);
      continue;
    }
    if (!request.owner || request.variableKey === undefined) continue;
    const row = `${request.owner}|${request.variableKey}|${request.scope ?? '*'}`;
    const earlier = unsure.get(row);
    if (earlier && request.method !== 'GET') problems.push(`${request.method} ${rowLabel(row)} sent after ${earlier}, with no read in between`);
    if (request.method !== 'GET' && ambiguous(request.status)) unsure.set(row, `an ambiguous answer (${answer(request.status)}) to ${request.method}`);
    else unsure.delete(row);
  }
  const rotations = run.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/personal_access_tokens/self/rotate'));
  if (rotations.length > 1) problems.push(`token rotate sent ${rotations.length} times in one run (answers: ${rotations.map((r) => answer(r.status)).join(', ')})`);
  const lost = rotations.find((request) => ambiguous(request.status));
  if (lost) {
    const said = run.summary?.gitlabToken?.error ?? run.summary?.gitlabToken?.note ?? '';
    if (/unchanged/i.test(said) || !/unknown/i.test(said))
      problems.push(`the rotate answer was lost (${answer(lost.status)}), and the run says: "${said}" (the outcome is unknown)`);
  }
  return problems;
}

function answer(status: number): string {
  return status === -1 ? 'connection dropped' : String(status);
}

// ---- secrets -------------------------------------------------------------------------------------------

function secretProblems(config: Config, run: RunRecord): string[] {
  const problems: string[] = [];
  const tokenSecret = config.gitlab?.tokenSecretId;
  const counts = new Map<string, number>();
  for (const write of run.secretWrites) {
    if (write.via === 'token') {
      if (write.name !== tokenSecret) problems.push(`the token rotation wrote ${write.name}, not the token secret`);
      continue;
    }
    counts.set(write.name, (counts.get(write.name) ?? 0) + 1);
    if (!config.secrets) problems.push(`${write.name} written without a secrets section`);
    else if (!write.name.startsWith(config.secrets.prefix)) problems.push(`${write.name} is outside the prefix ${config.secrets.prefix}`);
    if (write.name === tokenSecret) problems.push(`${write.name} is the GitLab token secret (gitlab.tokenSecretId), overwritten by the secrets section`);
  }
  for (const [name, count] of counts) if (count > 1) problems.push(`${name} written ${count} times in one run`);
  return problems;
}

// ---- 4: the second run ---------------------------------------------------------------------------------

/** Credentials and timestamps, which a fresh mint changes; everything else must stay. */
const FRESH_KEYS = new Set(['auth', 'password', 'expiresAt', 'refreshedAt']);

function checkSecondRun(run: RunRecord, index: number): Violation[] {
  const violations: Violation[] = [];
  const add = (where: string, message: string) => violations.push({ invariant: '4 second run', run: index, where, message });
  for (const id of new Set([...run.before.keys(), ...run.after.keys()])) {
    const before = run.before.get(id);
    const after = run.after.get(id);
    if (!before || !after) {
      add(rowLabel(id), before ? 'deleted by the second run' : 'created by the second run');
      continue;
    }
    const settings = SETTINGS.filter((setting) => before[setting] !== after[setting]);
    if (settings.length > 0) add(rowLabel(id), `the second run changed ${describeChange(before, after)}`);
    else if (!deepEqual(withoutFresh(before.value), withoutFresh(after.value))) add(rowLabel(id), 'the second run changed more than credentials and timestamps in the value');
  }
  return violations;
}

function withoutFresh(text: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const blank = (value: unknown, key?: string): unknown => {
    if (key !== undefined && FRESH_KEYS.has(key)) return isObject(value) ? Object.fromEntries(Object.keys(value).map((host) => [host, '<fresh>'])) : '<fresh>';
    if (Array.isArray(value)) return value.map((item) => blank(item));
    if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([child, item]) => [child, blank(item, child)]));
    return value;
  };
  return blank(parsed);
}

// ---- helpers -------------------------------------------------------------------------------------------

/** `project:g0/app (6) DOCKER_AUTH_CONFIG [production]`. */
export function rowLabel(id: RowId): string {
  const [owner, key, scope] = id.split('|') as [string, string, string];
  const [kind, ownerId] = owner.split(':') as [string, string | undefined];
  const path = ownerId && (kind === 'project' || kind === 'group') ? namespacePath(kind, Number(ownerId)) : undefined;
  return `${path ? `${kind}:${path} (${ownerId})` : owner} ${key} [${scope}]`;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function objectOr(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : {};
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, index) => deepEqual(item, b[index]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]));
}

function brief(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(redact(value)).slice(0, 120);
}

/** A copy with every credential-looking field replaced, for messages and counterexamples. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      ['auth', 'password', 'identitytoken', 'token'].includes(key.toLowerCase()) && typeof item === 'string' ? '[REDACTED]' : redact(item),
    ]),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/** The rows a violation names, before and after its run, redacted: printed with a failing case. */
export function violatingRows(result: CaseResult, violations: Violation[]): Record<string, { before?: unknown; after?: unknown }> {
  const out: Record<string, { before?: unknown; after?: unknown }> = {};
  for (const violation of violations) {
    const run = result.runs[violation.run - 1];
    if (!run) continue;
    for (const [id] of [...run.after, ...run.before]) {
      if (rowLabel(id) !== violation.where) continue;
      out[`run ${violation.run}: ${violation.where}`] = { before: presentRow(run.before.get(id)), after: presentRow(run.after.get(id)) };
    }
  }
  return out;
}

function presentRow(row: Row | undefined): unknown {
  if (!row) return undefined;
  let value: unknown = row.value;
  try {
    value = redact(JSON.parse(row.value));
  } catch {
    // not JSON: shown as stored
  }
  const settings = Object.fromEntries(SETTINGS.map((setting) => [setting, row[setting]]));
  return { ...settings, value };
}
