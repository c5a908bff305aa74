import { describeError } from '../../errors.js';
import { parseDockerConfig, readMetadata } from '../docker-auth.js';
import type { ListedVariable } from '../ports.js';
import { type Candidate, type Decision, describeLevel, type LevelVariables, type Resolution, resolveJobVariable } from './candidates.js';
import { type ImageReference, parseImageReference, runnerImagePath } from './image-ref.js';
import type { JobVariableSource, ProbeAnswer, ProbeCredentials, ProjectInfo, RegistryProbe, VariableLevel } from './ports.js';
import { type EntryCredentials, expandAsRunner, type ReadValue, type RunnerEntry, type RunnerReading, readAsRunner } from './runner-reading.js';
import { type JobRef, parseJobRef, refPatternMatches } from './scopes.js';

export const AUTH_VARIABLE = 'DOCKER_AUTH_CONFIG';

/** A job `secrets:` entry named DOCKER_AUTH_CONFIG (pull-time profiles); `value` undefined when it cannot be read here. */
export interface JobSecret {
  source: string;
  value: string | undefined;
}

export interface ExplainRequest {
  project: string;
  image: string;
  environment?: string;
  /** Branch, tag (`refs/tags/NAME`), `refs/heads/NAME` or `refs/merge-requests/N/head`; default: the project's default branch. */
  ref?: string;
  /** The ref is protected: skips GitLab's protected branches and tags. */
  protectedRef?: boolean;
  probe?: boolean;
  jobSecret?: JobSecret;
}

export interface ExplainPorts {
  gitlab: JobVariableSource;
  /** Needed only with `probe`. */
  registry?: RegistryProbe;
  now: () => number;
}

export type ExitCode = 0 | 1 | 2;

export interface Verdict {
  exitCode: ExitCode;
  /** One line: would authenticate / would not / cannot tell, and why. */
  summary: string;
  /** The rule that decided. */
  rule: string;
  fix?: string;
}

export interface CandidateReport {
  level: string;
  scope: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  variableType: 'env_var' | 'file';
  sent: boolean;
  outcome: 'wins' | 'loses' | 'not-sent' | 'undefined-order' | 'overridden-by-job-secret';
  why: string;
}

export interface ExplainReport {
  project: { path: string; namespace: string; defaultBranch?: string };
  image: { reference: string; registry: string; repository: string; tagOrDigest: string; runnerLookupPath: string };
  job: { environment?: string; ref: string; refProtected?: boolean; protection: string };
  levels: Array<{ level: string; readable: boolean; detail?: string }>;
  candidates: CandidateReport[];
  jobSecret?: { source: string; readable: boolean };
  /** Which definition the Runner receives, in words. */
  received: string;
  runner?: RunnerReport;
  validity?: { state: 'fresh' | 'expired' | 'not-recorded' | 'not-ecr' | 'from-helper' | 'no-entry'; expiresAt?: string; detail: string };
  probe?: ProbeReport;
  notes: string[];
  verdict: Verdict;
}

export interface RunnerReport {
  /** How the value was read: raw, or `$`-expanded; a file variable's content is used. */
  reading: string;
  outcome: 'read' | 'dropped' | 'no-source' | 'refused';
  detail?: string;
  entries: Array<{ key: string; path: string; source: 'auths' | 'credHelpers'; helper?: string }>;
  ignoredKeys: string[];
  credsStore?: string;
  credHelpers: Array<{ key: string; helper: string }>;
  tried: string[];
  match?: { key: string; path: string; source: 'auths' | 'credHelpers'; helper?: string };
}

export interface ProbeReport {
  ran: boolean;
  reason?: string;
  steps: ProbeAnswer['steps'];
  outcome?: 'authenticated' | 'unauthenticated' | 'denied' | 'not-found' | 'anonymous' | 'failed';
  meaning?: string;
}

const ECR_HOST = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const PUBLIC_ECR = 'public.ecr.aws';

/**
 * Why a job of `project` can or cannot pull `image`, answered the way GitLab and the Runner decide:
 * which DOCKER_AUTH_CONFIG the job receives, what the Runner reads from it for the image's registry,
 * whether that entry is still valid, and (with `probe`) what the registry says to exactly those
 * credentials. Read-only. The report never holds a credential.
 */
export async function explainPull(request: ExplainRequest, ports: ExplainPorts): Promise<ExplainReport> {
  const image = parseImageReference(request.image);
  const project = await ports.gitlab.project(request.project);
  const levels = await readLevels(ports.gitlab, project);
  const refText = request.ref ?? project.defaultBranch ?? 'main';
  const job = { environment: request.environment, ref: parseJobRef(refText) };
  const judged = await judgeProtection(ports.gitlab, project, levels, job, request.protectedRef);
  const notes: string[] = [
    `pipeline, trigger, schedule and manual-job variables named ${AUTH_VARIABLE} would override every CI/CD setting shown here; a .gitlab-ci.yml one loses to them`,
    "the Runner also reads its own user's ~/.docker/config.json and the job's GitLab registry credentials; across those sources the longest matching path wins",
  ];
  const base = {
    project: { path: project.fullPath, namespace: `${project.namespace.kind}:${project.namespace.fullPath}`, defaultBranch: project.defaultBranch },
    image: {
      reference: image.text,
      registry: image.domain,
      repository: image.repository,
      tagOrDigest: image.reference,
      runnerLookupPath: runnerImagePath(image.text),
    },
    job: { environment: request.environment, ref: refText, refProtected: judged.protected, protection: judged.how },
    levels: levels.map((entry) => ({ level: describeLevel(entry.level), readable: 'variables' in entry, detail: 'error' in entry ? entry.error : undefined })),
    notes,
  };
  const secret = request.jobSecret;
  const candidates = reportCandidates(judged.resolution, secret !== undefined);
  if (secret) {
    notes.push(`the job's secrets: ${AUTH_VARIABLE} (${secret.source}) is resolved before the pull and appended after every CI/CD variable, so it overrides all of them`);
    return finish(
      { ...base, candidates, jobSecret: { source: secret.source, readable: secret.value !== undefined }, received: `job secret ${secret.source}` },
      secret.value === undefined
        ? { cannotTell: `the job secret ${secret.source} decides, and explain cannot read its value` }
        : { value: secret.value, raw: true, variableType: 'file' },
      image,
      ports,
      request,
    );
  }
  const blocked = blockingProblem(judged, levels);
  const received = describeDecision(judged.resolution.decision);
  if (blocked) return finish({ ...base, candidates, received }, { cannotTell: blocked }, image, ports, request);
  const decision = judged.resolution.decision;
  if (decision.kind === 'none') {
    return { ...base, candidates, received, verdict: noValueVerdict(levels) };
  }
  const winner = decision.kind === 'one' ? decision.candidate.variable : sameValue(decision.candidates);
  if (!winner) {
    const scopes = decision.kind === 'undefined-order' ? decision.candidates.map((candidate) => candidate.variable.environmentScope).join(' and ') : '';
    return finish(
      { ...base, candidates, received },
      {
        cannotTell: `wildcard scopes ${scopes} both match and GitLab defines no order between them; their values differ`,
        fix: 'keep one wildcard scope for this environment, or add an exact scope',
      },
      image,
      ports,
      request,
    );
  }
  if (winner.hidden || winner.value === null) {
    return finish({ ...base, candidates, received }, { cannotTell: `the winning variable is hidden: GitLab never returns its value` }, image, ports, request);
  }
  return finish({ ...base, candidates, received }, { value: winner.value, raw: winner.raw, variableType: winner.variableType }, image, ports, request);
}

async function readLevels(gitlab: JobVariableSource, project: ProjectInfo): Promise<LevelVariables[]> {
  const groups = project.namespace.kind === 'group' ? ancestorPaths(project.namespace.fullPath) : [];
  // The namespace's full path names every ancestor: one the token cannot see is still listed, as unreadable.
  const levels: VariableLevel[] = [{ kind: 'instance' }, ...groups.map((path): VariableLevel => ({ kind: 'group', path })), { kind: 'project', path: project.fullPath }];
  return Promise.all(
    levels.map(async (level): Promise<LevelVariables> => {
      try {
        return { level, variables: await gitlab.variables(level) };
      } catch (error) {
        return { level, error: describeError(error) };
      }
    }),
  );
}

/** `a/b/c` → `a`, `a/b`, `a/b/c`: root first, as GitLab sends group variables. */
export function ancestorPaths(fullPath: string): string[] {
  const parts = fullPath.split('/');
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'));
}

interface Protection {
  resolution: Resolution;
  protected?: boolean;
  how: string;
  /** Set when the answer depends on a protection explain could not establish. */
  unknown?: string;
}

/**
 * Whether the ref is protected matters only when a candidate that matches the environment is
 * protected; GitLab is asked only then (protected branches and tags, and for a bare name whether it
 * is a branch or a tag, as `Project#protected_for?` does).
 */
async function judgeProtection(
  gitlab: JobVariableSource,
  project: ProjectInfo,
  levels: LevelVariables[],
  job: { environment?: string; ref: JobRef },
  flag: boolean | undefined,
): Promise<Protection> {
  const ifProtected = resolveJobVariable(levels, AUTH_VARIABLE, { environment: job.environment, refProtected: true });
  const ifNot = resolveJobVariable(levels, AUTH_VARIABLE, { environment: job.environment, refProtected: false });
  if (flag) return { resolution: ifProtected, protected: true, how: 'protected (--protected-ref)' };
  if (job.ref.kind === 'merge-request') return { resolution: ifNot, protected: false, how: 'a merge-request ref: never protected, so no protected variables' };
  const matters = ifProtected.candidates.some((candidate) => candidate.variable.protected && candidate.rank !== undefined);
  if (!matters) return { resolution: ifNot, how: 'not looked up: no candidate that matches is protected' };
  const answer = await isProtected(gitlab, project.fullPath, job.ref).catch((error: unknown) => ({ unknown: describeError(error) }));
  if ('protected' in answer) return { resolution: answer.protected ? ifProtected : ifNot, protected: answer.protected, how: answer.how };
  const same = sameDecision(ifProtected.decision, ifNot.decision);
  return {
    resolution: ifNot,
    how: `unknown (${answer.unknown})`,
    unknown: same ? undefined : `whether ${job.ref.name} is protected decides between protected and unprotected candidates, and explain could not tell (${answer.unknown})`,
  };
}

async function isProtected(gitlab: JobVariableSource, projectPath: string, ref: JobRef): Promise<{ protected: boolean; how: string } | { unknown: string }> {
  const refs = await gitlab.protectedRefs(projectPath);
  const asBranch = refs.branches.find((pattern) => refPatternMatches(pattern, ref.name));
  const asTag = refs.tags.find((pattern) => refPatternMatches(pattern, ref.name));
  const branchAnswer = { protected: asBranch !== undefined, how: asBranch ? `protected branch (rule ${asBranch})` : 'a branch no protected-branch rule matches' };
  const tagAnswer = { protected: asTag !== undefined, how: asTag ? `protected tag (rule ${asTag})` : 'a tag no protected-tag rule matches' };
  if (ref.kind === 'branch') return branchAnswer;
  if (ref.kind === 'tag') return tagAnswer;
  if (branchAnswer.protected === tagAnswer.protected)
    return { protected: branchAnswer.protected, how: `${branchAnswer.protected ? 'protected' : 'not protected'} as a branch and as a tag` };
  // GitLab's expand_ref: a tag of that name first, then a branch; both existing is an ambiguous ref it refuses.
  const [tag, branch] = await Promise.all([gitlab.refExists(projectPath, 'tag', ref.name), gitlab.refExists(projectPath, 'branch', ref.name)]);
  if (tag && branch) return { unknown: `${ref.name} is both a branch and a tag (GitLab refuses such an ambiguous ref); pass refs/heads/${ref.name} or refs/tags/${ref.name}` };
  if (tag) return tagAnswer;
  if (branch) return branchAnswer;
  return { unknown: `no branch or tag named ${ref.name}` };
}

function sameDecision(a: Decision, b: Decision): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'one' && b.kind === 'one') return a.candidate.variable === b.candidate.variable;
  if (a.kind === 'undefined-order' && b.kind === 'undefined-order')
    return a.candidates.length === b.candidates.length && a.candidates.every((c, i) => c.variable === b.candidates[i]?.variable);
  return true;
}

/** An unreadable level more specific than the answer (or any, when nothing matched) could hold the real winner. */
function blockingProblem(judged: Protection, levels: LevelVariables[]): string | undefined {
  if (judged.unknown) return judged.unknown;
  const decision = judged.resolution.decision;
  const depth = decision.kind === 'one' ? decision.candidate.depth : decision.kind === 'undefined-order' ? (decision.candidates[0]?.depth ?? -1) : -1;
  const unreadable = levels.flatMap((entry, index) => ('error' in entry && index > depth ? [`${describeLevel(entry.level)}: ${entry.error}`] : []));
  if (unreadable.length === 0) return undefined;
  return `the token cannot read ${unreadable.join('; ')} — a ${AUTH_VARIABLE} there would ${depth === -1 ? 'be the one the job gets' : 'win over the one found'}`;
}

function sameValue(candidates: Candidate[]): ListedVariable | undefined {
  const [first, ...rest] = candidates;
  if (!first) return undefined;
  const same = rest.every((c) => c.variable.value === first.variable.value && c.variable.raw === first.variable.raw && !c.variable.hidden);
  return same && !first.variable.hidden ? first.variable : undefined;
}

function describeDecision(decision: Decision): string {
  if (decision.kind === 'none') return `no ${AUTH_VARIABLE} CI/CD variable`;
  if (decision.kind === 'one') return `${describeLevel(decision.candidate.level)} scope ${scopeOf(decision.candidate)}`;
  return `one of ${decision.candidates.map((c) => `${describeLevel(c.level)} scope ${scopeOf(c)}`).join(', ')} (undefined order)`;
}

function scopeOf(candidate: Candidate): string {
  return candidate.level.kind === 'instance' ? '-' : candidate.variable.environmentScope;
}

function reportCandidates(resolution: Resolution, overriddenBySecret: boolean): CandidateReport[] {
  const decision = resolution.decision;
  const winners = decision.kind === 'one' ? [decision.candidate] : decision.kind === 'undefined-order' ? decision.candidates : [];
  return resolution.candidates.map((candidate) => {
    const v = candidate.variable;
    const won = winners.includes(candidate);
    let outcome: CandidateReport['outcome'] = !candidate.sent ? 'not-sent' : won ? (decision.kind === 'one' ? 'wins' : 'undefined-order') : 'loses';
    let why = candidate.why;
    if (candidate.sent && !won) why = `${why}; loses to ${describeDecision(decision)}`;
    if (overriddenBySecret && candidate.sent) {
      outcome = 'overridden-by-job-secret';
      why = `${candidate.why}; the job secret overrides it`;
    }
    return {
      level: describeLevel(candidate.level),
      scope: scopeOf(candidate),
      protected: v.protected,
      masked: v.masked,
      hidden: v.hidden,
      raw: v.raw,
      variableType: v.variableType,
      sent: candidate.sent,
      outcome,
      why,
    };
  });
}

function noValueVerdict(levels: LevelVariables[]): Verdict {
  const defined = levels.length;
  return {
    exitCode: 1,
    rule: `no ${AUTH_VARIABLE} reaches this job: none of the ${defined} levels defines one that matches its environment and ref`,
    summary: `would NOT authenticate from CI/CD variables: no ${AUTH_VARIABLE} reaches this job`,
    fix: `define ${AUTH_VARIABLE} on the project or a group above it in a scope that matches (a refresh target), or check the scope and protection of the candidates above`,
  };
}

type Received = { value: string; raw: boolean; variableType: 'env_var' | 'file' } | { cannotTell: string; fix?: string };

type Base = Omit<ExplainReport, 'verdict' | 'runner' | 'validity' | 'probe'>;

async function finish(base: Base, received: Received, image: ImageReference, ports: ExplainPorts, request: ExplainRequest): Promise<ExplainReport> {
  if ('cannotTell' in received) return { ...base, verdict: { exitCode: 2, summary: `cannot tell: ${received.cannotTell}`, rule: received.cannotTell, fix: received.fix } };
  const { reading, runner, dependsOn } = readReceived(received, image);
  const validity = judgeValidity(received.value, reading, image, ports.now());
  const staticVerdict = dependsOn ?? runnerVerdict(reading, image) ?? validityVerdict(validity);
  const probe = request.probe ? await runProbe(reading, image, ports.registry) : undefined;
  const verdict = combineWithProbe(staticVerdict, probe, validity);
  return { ...base, runner, validity, probe, verdict };
}

function readReceived(received: { value: string; raw: boolean; variableType: 'env_var' | 'file' }, image: ImageReference) {
  const asStored = readAsRunner(received.value, image.text);
  const kind = received.variableType === 'file' ? 'file variable: the Runner uses its content for the pull' : 'variable';
  if (received.raw) return { reading: asStored, runner: runnerReport(asStored, `raw ${kind}: used as stored`) };
  const expansion = expandAsRunner(received.value);
  const reading = readAsRunner(expansion.value, image.text);
  if (!expansion.changed) return { reading, runner: runnerReport(reading, `${kind}, not raw: $ would be expanded, and it holds none`) };
  const names = expansion.references.map((name) => `$${name}`).join(', ');
  const how = `${kind}, not raw: the Runner expands $ (${names || '$$ to $'}${names ? ', replaced by the job variables of those names, empty here' : ''})`;
  const runner = runnerReport(reading, how);
  if (expansion.references.length === 0 || sameForImage(asStored, reading)) return { reading, runner };
  const dependsOn: Verdict = {
    exitCode: 2,
    rule: `the value is not raw, so the Runner replaces ${names} with the job's variables of those names, which changes what it reads for this image`,
    summary: `cannot tell: the entry depends on the job variables ${names} (the variable is not raw)`,
    fix: `make ${AUTH_VARIABLE} raw ("Expand variable reference" off), or write $$ for a literal $`,
  };
  return { reading, runner, dependsOn };
}

function sameForImage(a: RunnerReading, b: RunnerReading): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind !== 'read' || b.kind !== 'read') return true;
  return JSON.stringify(a.match ?? null) === JSON.stringify(b.match ?? null) && a.credsStore === b.credsStore && JSON.stringify(a.credHelpers) === JSON.stringify(b.credHelpers);
}

function runnerReport(reading: RunnerReading, how: string): RunnerReport {
  const describe = (entry: RunnerEntry) => ({ key: entry.key, path: entry.path, source: entry.source, ...(entry.helper !== undefined ? { helper: entry.helper } : {}) });
  if (reading.kind !== 'read') return { reading: how, outcome: reading.kind, detail: reading.reason, entries: [], ignoredKeys: [], credHelpers: [], tried: [] };
  return {
    reading: how,
    outcome: 'read',
    entries: reading.entries.map(describe),
    ignoredKeys: reading.ignored.map((entry) => entry.key),
    credsStore: reading.credsStore,
    credHelpers: reading.credHelpers,
    tried: reading.tried,
    match: reading.match ? describe(reading.match) : undefined,
  };
}

/** The Runner-side rules, in the order the Runner applies them; undefined when none decides. */
function runnerVerdict(reading: RunnerReading, image: ImageReference): Verdict | undefined {
  if (reading.kind === 'no-source') {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the Runner finds no credentials in the value (${reading.reason})`,
      rule: reading.reason,
      fix: `write the registry's entry into ${AUTH_VARIABLE}`,
    };
  }
  if (reading.kind === 'dropped') {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the Runner cannot read the value and drops it whole (${reading.reason})`,
      rule: `a value the Runner cannot decode is dropped entirely: ${reading.reason} (Runner 18.11+ logs "Failed to resolve credentials from $DOCKER_AUTH_CONFIG", older Runners say nothing)`,
      fix: 'fix or delete the value (doctor names the same problem); this tool never writes over a value it cannot parse',
    };
  }
  if (reading.kind === 'refused')
    return { exitCode: 1, summary: `would NOT authenticate: ${reading.reason}`, rule: reading.reason, fix: 'name helpers without a path (docker-credential-NAME on the PATH)' };
  return helperVerdict(reading) ?? entryVerdict(reading, image);
}

function helperVerdict(reading: ReadValue): Verdict | undefined {
  if (reading.credsStore) {
    return {
      exitCode: 2,
      summary: `cannot tell: the value holds "credsStore": "${reading.credsStore}", which the Runner runs on the runner manager for every registry`,
      rule: `credsStore makes the Runner run docker-credential-${reading.credsStore} list and get on the runner manager: if it is missing or fails, the whole value is dropped (this entry too); if it works, what it lists overrides auths entries with the same key — explain cannot run it`,
      fix: 'remove credsStore from the value (auths entries need no helper), or install the helper on every runner manager',
    };
  }
  const match = reading.match;
  if (match?.source === 'credHelpers') {
    const shadowed = reading.ignored.some((entry) => entry.path === match.path && entry.source === 'auths');
    return {
      exitCode: 2,
      summary: `cannot tell: credHelpers sends ${match.key} to docker-credential-${match.helper} on the runner manager`,
      rule: `the Runner takes credHelpers over auths for the same key and runs docker-credential-${match.helper} get ${match.key} on the runner manager; what it returns (or its failure, which drops the whole value) decides — explain cannot run it${shadowed ? '; the auths entry for that host is ignored' : ''}`,
      fix: 'delete that credHelpers entry to use the auths entry (helpers: drop-for-managed-hosts on the refresh target), or check the helper on the runner manager',
    };
  }
  if (match && reading.credHelpers.length > 0) {
    const list = reading.credHelpers.map(({ key, helper }) => `${key} → docker-credential-${helper}`).join(', ');
    return {
      exitCode: 2,
      summary: `cannot tell: the value's credHelpers (${list}) must all work on the runner manager, or the Runner drops the whole value`,
      rule: `the Runner runs every credHelpers helper while reading the value, whatever image the job pulls; one that is missing or fails drops the whole value, this entry included`,
      fix: 'remove credHelpers entries the runner managers cannot run, or install those helpers there',
    };
  }
  return undefined;
}

function entryVerdict(reading: ReadValue, image: ImageReference): Verdict | undefined {
  const match = reading.match;
  if (!match) {
    const keys = reading.entries.map((entry) => entry.path).join(', ') || 'none';
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the value has no entry for ${reading.tried[reading.tried.length - 1] ?? image.domain}`,
      rule: `the Runner looks up ${reading.tried.join(', then ')} (longest first) and the value's entries are for ${keys}; ports and paths must match exactly, hosts compare in lower case`,
      fix: `add an entry for ${image.domain} (a refresh target whose registries include it), or correct the key's host, port or path`,
    };
  }
  if (!hasCredentials(match.credentials)) {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the entry ${match.key} holds no credentials`,
      rule: `auths["${match.key}"] has no auth, username or token`,
      fix: 'write the entry again (run a refresh)',
    };
  }
  return undefined;
}

function hasCredentials(credentials: EntryCredentials | undefined): credentials is EntryCredentials {
  return credentials !== undefined && (credentials.username !== '' || credentials.password !== '' || credentials.identityToken !== '' || credentials.registryToken !== '');
}

type Validity = NonNullable<ExplainReport['validity']>;

/** The tool's recorded expiry for the matched entry (an entry it wrote has the bare host as its key). */
function judgeValidity(value: string, reading: RunnerReading, image: ImageReference, now: number): Validity {
  const match = reading.kind === 'read' ? reading.match : undefined;
  if (!match) return { state: 'no-entry', detail: 'no entry is used for this image' };
  if (match.source === 'credHelpers') return { state: 'from-helper', detail: `credentials come from docker-credential-${match.helper}; their lifetime is the helper's` };
  const isEcr = ECR_HOST.test(match.path.split('/')[0] ?? '') || match.path === PUBLIC_ECR;
  const recorded = recordedExpiry(value, match);
  if (recorded === undefined) {
    return isEcr
      ? { state: 'not-recorded', detail: `ECR host not written by this tool (no expiry recorded for ${match.key}); ECR tokens last 12 hours` }
      : { state: 'not-ecr', detail: `${image.domain} is not an ECR host; explain cannot tell how long its credentials last` };
  }
  const left = Date.parse(recorded) - now;
  if (!(left > 0)) return { state: 'expired', expiresAt: recorded, detail: `expired at ${recorded} (recorded by this tool's last refresh)` };
  return { state: 'fresh', expiresAt: recorded, detail: `valid until ${recorded}, in ${formatDuration(left)} (recorded by this tool's last refresh)` };
}

function recordedExpiry(value: string, match: RunnerEntry): string | undefined {
  if (match.key !== match.path) return undefined;
  try {
    return readMetadata(parseDockerConfig(value))?.expiresAt[match.path];
  } catch {
    return undefined;
  }
}

function formatDuration(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function validityVerdict(validity: Validity): Verdict {
  if (validity.state === 'expired') {
    return {
      exitCode: 1,
      summary: `would NOT authenticate: the entry ${validity.detail}`,
      rule: 'ECR tokens stop working at their expiry; the registry answers 401',
      fix: 'run a refresh now, and check why the schedule did not (status, the TokenExpiry/RefreshStalled alarms, the function logs)',
    };
  }
  if (validity.state === 'not-recorded') {
    return {
      exitCode: 2,
      summary: `cannot tell: ${validity.detail}`,
      rule: validity.detail,
      fix: 'add the registry to a refresh target so the tool writes and records it, or run with --probe',
    };
  }
  const detail = validity.state === 'fresh' ? validity.detail : `${validity.detail}; run with --probe to ask the registry`;
  return { exitCode: 0, summary: `would authenticate: the job gets the entry and it is ${validity.state === 'fresh' ? 'fresh' : 'present'}`, rule: detail };
}

/** Exactly what the Runner would hand the registry for this entry (Docker's precedence: identity token, then registry token, then user/password). */
export function probeCredentials(credentials: EntryCredentials): ProbeCredentials {
  if (credentials.identityToken) return { kind: 'identity-token', username: credentials.username, token: credentials.identityToken };
  if (credentials.registryToken) return { kind: 'registry-token', token: credentials.registryToken };
  return { kind: 'basic', username: credentials.username, password: credentials.password };
}

async function runProbe(reading: RunnerReading, image: ImageReference, registry: RegistryProbe | undefined): Promise<ProbeReport> {
  const match = reading.kind === 'read' ? reading.match : undefined;
  if (!match) return { ran: false, reason: 'the Runner would send no credentials for this image', steps: [] };
  if (match.source === 'credHelpers' || !hasCredentials(match.credentials)) {
    return {
      ran: false,
      reason: `the credentials would come from docker-credential-${match.helper ?? '?'}, which runs on the runner manager with its identity (an instance role); explain has neither, so it cannot run it — run "docker-credential-${match.helper ?? '?'} get" there instead`,
      steps: [],
    };
  }
  if (!registry) return { ran: false, reason: 'no registry probe configured', steps: [] };
  const answer = await registry.probe({
    endpointHost: image.endpointHost,
    repository: image.repository,
    reference: image.reference,
    credentials: probeCredentials(match.credentials),
  });
  return { ran: true, steps: answer.steps, ...interpretProbe(answer, image) };
}

function interpretProbe(answer: ProbeAnswer, image: ImageReference): Pick<ProbeReport, 'outcome' | 'meaning'> {
  if (answer.error) return { outcome: 'failed', meaning: `the probe could not finish: ${answer.error}` };
  if (answer.tokenStatus === 401 || answer.tokenStatus === 403) {
    return { outcome: 'unauthenticated', meaning: `the token service refused the credentials (${answer.tokenStatus}): wrong or expired password` };
  }
  const target = `${image.repository}:${image.reference}`;
  switch (answer.manifestStatus) {
    case 200:
      return answer.challenge === 'none'
        ? { outcome: 'anonymous', meaning: `${target} exists and the registry asks for no credentials` }
        : { outcome: 'authenticated', meaning: `the registry accepted the credentials and ${target} exists` };
    case 401:
      return { outcome: 'unauthenticated', meaning: 'the registry refused the credentials (401): wrong or expired password (an ECR token older than 12 hours)' };
    case 403:
      return {
        outcome: 'denied',
        meaning: `authenticated, but not permitted to pull ${image.repository} (403): the IAM policy of the identity that minted the token, or the repository policy`,
      };
    case 404:
      return { outcome: 'not-found', meaning: `authenticated, but ${target} does not exist (404): no such repository, tag or digest` };
    default:
      return { outcome: 'failed', meaning: `unexpected answer ${answer.manifestStatus ?? 'none'} to the manifest request` };
  }
}

/**
 * The probe tests exactly the credentials the Runner would send, so it decides validity (it wins
 * over the recorded expiry), but never over a GitLab or Runner rule that already decided.
 */
function combineWithProbe(verdict: Verdict, probe: ProbeReport | undefined, validity: Validity): Verdict {
  if (!probe?.ran || probe.outcome === 'failed') return verdict;
  const decidedByValidity = verdict.exitCode === 0 || validity.state === 'expired' || validity.state === 'not-recorded';
  if (!decidedByValidity) return verdict;
  if (probe.outcome === 'authenticated' || probe.outcome === 'anonymous') {
    return { exitCode: 0, summary: `would authenticate: the registry accepted the credentials the Runner would send`, rule: probe.meaning ?? 'probe: 200' };
  }
  const fixes: Record<string, string> = {
    unauthenticated: 'run a refresh now, and check why the schedule did not (status, alarms, logs)',
    denied: "let the identity that mints this registry's token pull from it (doctor's pull check names what is missing)",
    'not-found': 'check the image name, tag or digest',
  };
  const what = probe.outcome === 'not-found' ? 'the pull would authenticate but find nothing' : 'would NOT authenticate';
  return { exitCode: 1, summary: `${what}: ${probe.meaning}`, rule: `probe: ${probe.meaning}`, fix: fixes[probe.outcome ?? ''] };
}
