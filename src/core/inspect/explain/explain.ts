import { refPatternMatches } from '../../../domain/gitlab-wildcards.js';
import { jobSubject } from '../../../domain/profile-trust.js';
import { describeError } from '../../../errors.js';
import type { JobVariableSource, ListedVariable, ProjectInfo, RegistryProbe, VariableLevel } from '../../ports.js';
import { type Candidate, type Decision, describeLevel, type LevelVariables, type Resolution, resolveJobVariable } from './candidates.js';
import { type ImageReference, parseImageReference, runnerImagePath } from './image-ref.js';
import { type JobRef, parseJobRef } from './job-ref.js';
import type { CandidateReport, ExplainReport, RunnerReport, Verdict } from './report.js';
import { expandAsRunner, type RunnerEntry, type RunnerReading, readAsRunner } from './runner-reading.js';
import { combineWithProbe, judgeValidity, runnerVerdict, runProbe, validityVerdict } from './verdict.js';

export type { CandidateReport, ExitCode, ExplainReport, ProbeReport, RunnerReport, Verdict } from './report.js';

export const AUTH_VARIABLE = 'DOCKER_AUTH_CONFIG';

/** A job `secrets:` entry named DOCKER_AUTH_CONFIG (pull-time profiles); `value` undefined when it cannot be read here. */
export interface JobSecret {
  source: string;
  value: string | undefined;
  /**
   * Whether the secret's reader (a profile role) trusts an ID token with this `sub`: a job it refuses
   * fails at its `secrets:` step, before any pull.
   */
  admits?: (subject: string) => boolean;
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
    const refused = secret.admits && secretAccessVerdict(secret, project.fullPath, job.ref);
    if (refused)
      return { ...base, candidates, jobSecret: { source: secret.source, readable: secret.value !== undefined }, received: `job secret ${secret.source}`, verdict: refused };
    return finish(
      { ...base, candidates, jobSecret: { source: secret.source, readable: secret.value !== undefined }, received: `job secret ${secret.source}` },
      secret.value === undefined
        ? { cannotTell: `the job secret ${secret.source} decides, and explain cannot read its value` }
        : { value: secret.value, raw: true, masked: true, variableType: 'file' },
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
  return finish({ ...base, candidates, received }, { value: winner.value, raw: winner.raw, masked: winner.masked, variableType: winner.variableType }, image, ports, request);
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
function ancestorPaths(fullPath: string): string[] {
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

/** The value the Runner gets, with the settings that change how it is read. */
interface ReceivedValue {
  value: string;
  raw: boolean;
  masked: boolean;
  variableType: 'env_var' | 'file';
}

type Received = ReceivedValue | { cannotTell: string; fix?: string };

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

function readReceived(received: ReceivedValue, image: ImageReference) {
  const asStored = readAsRunner(received.value, image.text);
  const type = received.variableType === 'file' ? 'file variable (the Runner uses its content for the pull; in the job script it is a path)' : 'variable';
  // Masking changes job logs only; the Runner reads the value the same way.
  const kind = received.masked ? `masked ${type} (masking only hides it in job logs)` : type;
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

/**
 * Whether the job may read its secret at all: its ID token's `sub` names the project and the ref as a
 * branch or a tag. A bare ref name may be either; a merge-request pipeline's sub names its source branch,
 * which explain does not know.
 */
function secretAccessVerdict(secret: JobSecret, projectPath: string, ref: JobRef): Verdict | undefined {
  const admits = secret.admits as (subject: string) => boolean;
  const types: Array<'branch' | 'tag'> = ref.kind === 'branch' ? ['branch'] : ref.kind === 'tag' ? ['tag'] : ref.kind === 'unqualified' ? ['branch', 'tag'] : [];
  const subjects = types.map((type) => jobSubject(projectPath, type, ref.name));
  const admitted = subjects.filter(admits);
  if (subjects.length > 0 && admitted.length === subjects.length) return undefined;
  const fix = `add the project (or a pattern for it) and the ref to that profile's projects and refs, then deploy the stack again`;
  if (subjects.length > 0 && admitted.length === 0) {
    return {
      exitCode: 1,
      summary: `would not authenticate: the role behind ${secret.source} does not trust this job's ID token (sub ${subjects.join(' or ')}), so its secrets: step fails before the pull`,
      rule: "the role's trust admits only the profile's project and ref patterns (IAM StringLike on the ID token's sub)",
      fix,
    };
  }
  const which =
    subjects.length === 0 ? 'a merge-request pipeline names its source branch in sub' : `the role trusts ${admitted.join('')} but not the other reading of "${ref.name}"`;
  return {
    exitCode: 2,
    summary: `cannot tell whether the role behind ${secret.source} trusts this job's ID token: ${which}`,
    rule: "the role's trust admits only the profile's project and ref patterns",
    fix: 'pass --ref refs/heads/NAME or refs/tags/NAME',
  };
}
