import { gitlabOf, usesGitLab } from '../../config/gitlab-mode.js';
import type { Config, RegistryConfig, TargetConfig } from '../../config/schema.js';
import { registryAccount, registryHostMatcher } from '../../domain/hosts.js';
import { describeError, describeProblem } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import { parseDockerConfig } from '../formats/docker-auth.js';
import { recordedExpiry } from '../formats/variable-formats.js';
import type {
  AwsInspector,
  CiVariableStore,
  DescendantOwner,
  GitLabDiscovery,
  GitLabInspector,
  GitLabRouteReport,
  GitLabTokenApi,
  GitLabTokenInfo,
  GitLabUser,
  ListedVariable,
  TokenMinter,
  TokenSecretState,
} from '../ports.js';
import { type CoverSource, coverRefusal, coverSource, nestedClaim, nestedCovers, nestedGroupTargets, nestedRefusal } from '../refresh/cover-shadowing.js';
import { findDuplicateTargets } from '../refresh/duplicates.js';
import { assignToken } from '../refresh/mint.js';
import { configuredRegistries, PUBLIC_REGION, planMintCalls, targetSelector, variableRef } from '../refresh/plan.js';
import { scanShadowing } from '../refresh/shadowing.js';
import type { VariableSpec } from '../refresh/variables.js';
import { variableSpecs } from '../refresh/variables.js';
import { isFreshLock, secondsUntilTokenExpiry } from '../token/gitlab-token.js';
import type { Check } from './checks.js';
import { configWarnings } from './config-warnings.js';
import { profileChecks } from './doctor-profiles.js';
import { secretChecks } from './secret-checks.js';
import { expiryState, hostExpiries, storedValueWarnings } from './status.js';

export interface DoctorPorts {
  aws: AwsInspector;
  minter: TokenMinter;
  gitlab: GitLabInspector;
  discovery: GitLabDiscovery;
  token: GitLabTokenApi;
  variables: CiVariableStore;
  /** Reads the GitLab token secret; absent when GITLAB_TOKEN is used instead. */
  readTokenSecret?: () => Promise<string>;
  /** The token secret's rotation markers (a lock, an unknown outcome); absent when GITLAB_TOKEN is used instead. */
  tokenRotationState?: () => Promise<TokenSecretState>;
  /** How GitLab is reached: proxy route and extra CA certificates (docs/network.md). */
  gitlabRoute?: () => Promise<GitLabRouteReport>;
  onSecret: (secret: string) => void;
  now: () => number;
}

/** What doctor needs for a config without targets: no GitLab port at all. */
export type AwsDoctorPorts = Pick<DoctorPorts, 'aws' | 'minter' | 'readTokenSecret' | 'tokenRotationState' | 'onSecret' | 'now'>;

function hasGitLabPorts(ports: AwsDoctorPorts | DoctorPorts): ports is DoctorPorts {
  return 'gitlab' in ports;
}

const MAINTAINER = 40;
const OWNER = 50;

/**
 * Every read-only check, in the order a person would debug: AWS, profiles, then GitLab and each target.
 * A config without targets sends no request to GitLab.
 */
export async function runDoctor(config: Config, ports: AwsDoctorPorts | DoctorPorts): Promise<Check[]> {
  const checks: Check[] = [
    { check: 'config', status: 'ok', detail: `${config.registries.length} registries, ${config.targets.length} targets, ${config.profiles.length} profiles` },
    ...configWarnings(config).map((warning): Check => ({ check: 'config', status: 'warn', detail: warning.detail, fix: warning.fix })),
  ];
  // One identity for every check that needs it: each call is an sts:GetCallerIdentity.
  const identity = await attempt(() => ports.aws.callerIdentity());
  checks.push(...(await awsChecks(config, ports, identity)));
  checks.push(...(await profileChecks(config, ports.aws, identity.ok ? identity.value : undefined, ports.now())));
  if (!usesGitLab(config) || !hasGitLabPorts(ports)) return checks;
  if (ports.gitlabRoute) checks.push(...(await gitlabNetworkChecks(config, ports.gitlabRoute)));
  const user = await gitlabIdentityChecks(config, ports, checks);
  if (!user) return checks;
  const duplicates = await findDuplicateTargets(config.targets, (kind, id) => ports.discovery.fullPath(kind, id));
  for (const [target, reason] of duplicates)
    checks.push({ check: 'duplicate', subject: targetSelector(target), status: 'fail', detail: reason, fix: 'keep one target per variable' });
  const callerAccount = identity.ok ? identity.value.account : undefined;
  const perTarget = await mapWithConcurrency(config.targets, gitlabOf(config).concurrency, (target) => targetChecks(target, config, user, ports, callerAccount));
  checks.push(...perTarget.flat());
  const shadowing = await mapWithConcurrency(
    config.targets.filter((target) => target.group !== undefined),
    2,
    (target) => shadowingChecks(target, config, ports),
  );
  checks.push(...shadowing.flat());
  return checks;
}

async function awsChecks(config: Config, ports: AwsDoctorPorts, identity: Attempt<CallerIdentity>): Promise<Check[]> {
  const checks: Check[] = [];
  if (!identity.ok) {
    return [{ check: 'aws-credentials', status: 'fail', detail: identity.error, fix: 'configure AWS credentials and a region (AWS_PROFILE or AWS_ACCESS_KEY_ID…, AWS_REGION)' }];
  }
  checks.push({ check: 'aws-credentials', status: 'ok', detail: identity.value.arn });
  const roles = new Map(config.registries.filter((r) => r.roleArn).map((r) => [`${r.roleArn}|${r.externalId ?? ''}`, { arn: r.roleArn as string, externalId: r.externalId }]));
  for (const role of roles.values()) {
    const assumed = await attempt(() => ports.aws.assumeRole(role));
    checks.push(
      assumed.ok
        ? { check: 'assume-role', subject: role.arn, status: 'ok', detail: 'assumed' }
        : { check: 'assume-role', subject: role.arn, status: 'fail', detail: assumed.error, fix: "allow this identity in the role's trust policy (and match externalId)" },
    );
  }
  const mint = await mintChecks(config, ports);
  checks.push(...mint.checks);
  checks.push(...(await pullChecks(config, identity.value.account, ports, mint.failed)));
  checks.push(...(await secretChecks(config, ports.aws)));
  if (ports.readTokenSecret) {
    const token = await attempt(ports.readTokenSecret);
    if (token.ok) ports.onSecret(token.value);
    checks.push(
      token.ok
        ? { check: 'gitlab-token-secret', subject: config.gitlab?.tokenSecretId, status: 'ok', detail: 'readable' }
        : {
            check: 'gitlab-token-secret',
            subject: config.gitlab?.tokenSecretId,
            status: 'fail',
            detail: token.error,
            fix: 'create the secret (docs/deploy.md) and allow secretsmanager:GetSecretValue on it',
          },
    );
    if (token.ok && ports.tokenRotationState) checks.push(await tokenRotationCheck(ports.tokenRotationState, config, ports.now()));
  }
  return checks;
}

/**
 * What a token rotation left in the token secret: an unknown outcome stops every later rotation until a
 * person stores a token (the old one may be revoked), so doctor names it; a lock is only news.
 */
async function tokenRotationCheck(readState: () => Promise<TokenSecretState>, config: Config, now: number): Promise<Check> {
  const check = 'gitlab-token-rotation';
  const subject = config.gitlab?.tokenSecretId;
  const state = await attempt(readState);
  if (!state.ok) return { check, subject, status: 'warn', detail: `could not read its versions: ${state.error}` };
  const { unknownSince, lockedAt } = state.value;
  if (unknownSince !== undefined) {
    return {
      check,
      subject,
      status: 'fail',
      detail: `a rotation at ${new Date(unknownSince).toISOString()} got no answer: the token the secret holds may be revoked, and no run rotates again until a token is stored`,
      fix: `create a new token and store it in ${subject} (aws secretsmanager put-secret-value); its new version clears the marker`,
    };
  }
  if (lockedAt === undefined) return { check, subject, status: 'ok', detail: 'no rotation running or left unfinished' };
  const since = new Date(lockedAt).toISOString();
  return isFreshLock(state.value, now)
    ? { check, subject, status: 'ok', detail: `a rotation has been running since ${since}` }
    : { check, subject, status: 'warn', detail: `a rotation took the lock at ${since} and never finished (its run died); the next rotation takes over the stale lock` };
}

/**
 * One line per mint call, naming the hosts refresh writes with its token (the configured accounts' hosts,
 * which may differ from the minting identity's own). A failed call also answers for the pull probes of its
 * (registry, region) slots: they are not run, so the failure is reported once, with its fix.
 */
async function mintChecks(config: Config, ports: AwsDoctorPorts): Promise<{ checks: Check[]; failed: Set<string> }> {
  const checks: Check[] = [];
  const failed = new Set<string>();
  for (const call of planMintCalls(config.registries)) {
    const subjects = call.slots.map((slot) => `${slot.registry}@${slot.region}`);
    const subject = `${call.slots.map((slot) => slot.registry).join(',')}@${call.request.kind === 'private' ? call.request.region : `${PUBLIC_REGION} (public)`}`;
    const minted = await attempt(() => ports.minter.mint(call.request));
    if (!minted.ok) {
      for (const name of subjects) failed.add(name);
      const probes = call.request.kind === 'private' ? `; the pull check of ${subjects.join(', ')} waits for this` : '';
      checks.push({
        check: 'mint',
        subject,
        status: 'fail',
        detail: `${minted.error}${probes}`,
        fix: 'grant ecr:GetAuthorizationToken (ECR Public: also sts:GetServiceBearerToken) to the identity that mints',
      });
      continue;
    }
    ports.onSecret(minted.value.password);
    const slots = call.slots.map((slot) => assignToken(slot, minted.value));
    const unbuilt = slots.filter((slot) => slot.error);
    if (unbuilt.length > 0) {
      for (const slot of unbuilt) failed.add(`${slot.registry}@${slot.region}`);
      checks.push({
        check: 'mint',
        subject,
        status: 'fail',
        detail: unbuilt.map((slot) => slot.error).join('; '),
        fix: 'check AWS_ENDPOINT_URL and the region: ECR answered with a registry host that refresh cannot address by account',
      });
      continue;
    }
    const hosts = [...new Set(slots.map((slot) => slot.credential?.host as string))];
    const borrowed = hosts.some((host) => host !== minted.value.host);
    const how = borrowed ? ` with the token minted for ${minted.value.host} (one regional token serves every registry of its region the minting identity may pull from)` : '';
    checks.push({ check: 'mint', subject, status: 'ok', detail: `refresh writes ${hosts.join(', ')}${how}` });
  }
  return { checks, failed };
}

/** A repository name nobody uses: probing it shows what IAM allows without touching an image. */
const PROBE_REPOSITORY = 'ecr-gitlab-refresher-doctor-probe';

/**
 * Whether the identity that mints each registry's token may also pull from it: the token carries that
 * identity's permissions, so a token that mints fine can still be refused every pull.
 */
async function pullChecks(config: Config, callerAccount: string, ports: AwsDoctorPorts, mintFailed: Set<string>): Promise<Check[]> {
  const probes = config.registries
    .filter((registry) => !registry.public)
    .flatMap((registry) => (registry.regions ?? []).map((region) => ({ registry, region })))
    .filter(({ registry, region }) => !mintFailed.has(`${registry.name}@${region}`));
  return mapWithConcurrency(probes, 4, async ({ registry, region }): Promise<Check> => {
    const role = registry.roleArn ? { arn: registry.roleArn, externalId: registry.externalId } : undefined;
    const minterAccount = registry.roleArn ? registryAccount({ roleArn: registry.roleArn }) : callerAccount;
    const account = registry.accountId ?? minterAccount;
    const repository = registry.repositories?.find((name) => !name.includes('*')) ?? PROBE_REPOSITORY;
    const subject = `${registry.name}@${region}`;
    const probed = await attempt(() => ports.aws.probePull({ region, accountId: registry.accountId, role, repository }));
    if (!probed.ok) return { check: 'pull', subject, status: 'warn', detail: probed.error };
    const result = probed.value;
    // IAM is evaluated before the lookup: in the minting identity's own account a missing repository still proves the permission.
    if (result.outcome === 'allowed') return { check: 'pull', subject, status: 'ok', detail: result.detail };
    if (result.outcome === 'unknown' && account === minterAccount) {
      return {
        check: 'pull',
        subject,
        status: 'ok',
        detail: `ecr:BatchGetImage in ${account ?? 'the own account'} (${region}) is allowed: IAM let the probe through to a repository lookup`,
      };
    }
    // Not a problem found, only one doctor cannot rule out: ok, with the way to a real answer.
    if (result.outcome === 'unknown') {
      return {
        check: 'pull',
        subject,
        status: 'ok',
        detail: `not verified: ${result.detail}; list an existing repository in registries[].repositories of "${registry.name}" so doctor can probe it`,
      };
    }
    return { check: 'pull', subject, status: 'fail', detail: result.detail, fix: pullFix(registry, account, minterAccount, region) };
  });
}

function pullFix(registry: RegistryConfig, account: string | undefined, minterAccount: string | undefined, region: string): string {
  const actions = 'ecr:BatchGetImage, ecr:GetDownloadUrlForLayer and ecr:BatchCheckLayerAvailability';
  if (registry.roleArn) return `allow ${registry.roleArn} ${actions} on its repositories (and, for another account's repositories, their repository policy must allow that role)`;
  if (account !== minterAccount) {
    return `repositories in account ${account} need a repository policy that allows the minting identity (the refresh function's role when deployed) ${actions}, or give "${registry.name}" a roleArn in ${account}`;
  }
  return `the minting identity needs ${actions} on arn:aws:ecr:${region}:${account}:repository/* (serverless deploy grants them to the function's role; here doctor runs as you)`;
}

async function gitlabIdentityChecks(config: Config, ports: DoctorPorts, checks: Check[]): Promise<GitLabUser | undefined> {
  const user = await attempt(() => ports.gitlab.currentUser());
  if (!user.ok) {
    // A network failure or a 401 names its own fix (DNS, TLS, proxy, token).
    const { detail, fix } = describeProblem(user.cause);
    checks.push({ check: 'gitlab-token', status: 'fail', detail, fix: fix ?? 'check gitlab.url is reachable from here and the token is valid (not expired or revoked)' });
    return undefined;
  }
  checks.push({ check: 'gitlab-token', status: 'ok', detail: `authenticated as ${user.value.username}${user.value.isAdmin ? ' (administrator)' : ''}` });
  const token = await attempt(() => ports.token.self());
  const scopes = token.ok ? token.value?.scopes : undefined;
  if (scopes === undefined) {
    checks.push({
      check: 'gitlab-scopes',
      status: 'warn',
      detail: token.ok ? 'GitLab did not report the token scopes' : token.error,
      fix: 'make sure the token has the api scope',
    });
  } else if (!scopes.includes('api')) {
    checks.push({
      check: 'gitlab-scopes',
      status: 'fail',
      detail: `scopes: ${scopes.join(', ') || 'none'}`,
      fix: 'create a token with the api scope (read_api cannot write variables)',
    });
  } else {
    checks.push({ check: 'gitlab-scopes', status: 'ok', detail: `scopes: ${scopes.join(', ')}` });
  }
  if (token.ok) checks.push(tokenExpiryCheck(token.value, config, ports.now()));
  return user.value;
}

/** How GitLab is reached and which extra CAs it is trusted with, before the first GitLab request. */
async function gitlabNetworkChecks(config: Config, route: () => Promise<GitLabRouteReport>): Promise<Check[]> {
  const report = await attempt(route);
  if (!report.ok) {
    const { detail, fix } = describeProblem(report.cause);
    return [
      {
        check: 'gitlab-network',
        status: 'fail',
        detail,
        fix: fix ?? 'check gitlab.caCertificatesSecretId (it exists, holds PEM certificates, and secretsmanager:GetSecretValue is allowed) and the proxy variables',
      },
    ];
  }
  const gitlab = gitlabOf(config);
  const checks: Check[] = [{ check: 'gitlab-network', subject: gitlab.url, status: 'ok', detail: report.value.route }];
  const source = [gitlab.caCertificatesFile, gitlab.caCertificatesSecretId && `secret ${gitlab.caCertificatesSecretId}`].filter(Boolean).join(' and ');
  for (const certificate of report.value.caCertificates) {
    checks.push(
      certificate.expired
        ? { check: 'gitlab-ca', subject: certificate.subject, status: 'warn', detail: `expired on ${certificate.expiresAt}`, fix: `replace it in ${source}` }
        : { check: 'gitlab-ca', subject: certificate.subject, status: 'ok', detail: `trusted for GitLab until ${certificate.expiresAt} (from ${source})` },
    );
  }
  return checks;
}

/** WARN within this many days of the token's expiry. */
const TOKEN_EXPIRY_WARN_DAYS = 30;

export function tokenExpiryCheck(info: GitLabTokenInfo | undefined, config: Config, now: number): Check {
  const check = 'gitlab-token-expiry';
  const { rotateToken: rotate, tokenSecretId } = gitlabOf(config);
  const howToRotate = rotate
    ? `rotation is on: the refresh rotates the token ${rotate.daysBefore} days before it expires; if that fails, create a new token and store it in ${tokenSecretId ?? 'the token secret'}`
    : `create a new token (or POST /personal_access_tokens/self/rotate with expires_at) and store it in ${tokenSecretId ?? 'the token secret'}, or set gitlab.rotateToken to let the refresh rotate it`;
  if (!info) return { check, status: 'warn', detail: 'GitLab has no self-lookup for this token, so its expiry is unknown', fix: 'use a personal, group or project access token' };
  if (info.revoked || !info.active) return { check, status: 'fail', detail: `the token is ${info.revoked ? 'revoked' : 'inactive'}`, fix: howToRotate };
  if (!info.expiresAt) return { check, status: 'ok', detail: 'the token has no expiry date (no SecondsUntilGitLabTokenExpiry metric is emitted)' };
  const days = Math.floor(secondsUntilTokenExpiry(info.expiresAt, now) / 86_400);
  if (days < 0) return { check, status: 'fail', detail: `expired on ${info.expiresAt}`, fix: howToRotate };
  if (days < TOKEN_EXPIRY_WARN_DAYS) return { check, status: 'warn', detail: `expires on ${info.expiresAt}, in ${days} days`, fix: howToRotate };
  return { check, status: 'ok', detail: `expires on ${info.expiresAt}, in ${days} days${rotate ? `; rotated automatically ${rotate.daysBefore} days before` : ''}` };
}

async function targetChecks(target: TargetConfig, config: Config, user: GitLabUser, ports: DoctorPorts, callerAccount: string | undefined): Promise<Check[]> {
  const subject = targetSelector(target);
  const checks: Check[] = [];
  const ref = variableRef(target);
  if (ref.owner.kind === 'instance') {
    checks.push(
      user.isAdmin
        ? { check: 'role', subject, status: 'ok', detail: 'administrator' }
        : { check: 'role', subject, status: 'fail', detail: 'not an administrator', fix: 'instance variables need an administrator token' },
    );
  } else if (!user.isAdmin) {
    const needed = ref.owner.kind === 'project' ? MAINTAINER : OWNER;
    const level = await attempt(() => ports.gitlab.accessLevel(ref.owner as { kind: 'project' | 'group'; id: string }, user.id));
    const roleName = needed === MAINTAINER ? 'Maintainer' : 'Owner';
    if (!level.ok) checks.push({ check: 'role', subject, status: 'fail', detail: level.error, fix: `give ${user.username} the ${roleName} role` });
    else if (level.value < needed)
      checks.push({
        check: 'role',
        subject,
        status: 'fail',
        detail: `${user.username} has access level ${level.value}`,
        fix: `give ${user.username} the ${roleName} role (${needed})`,
      });
    else checks.push({ check: 'role', subject, status: 'ok', detail: `access level ${level.value}` });
  }
  for (const spec of variableSpecs(target)) checks.push(...(await variableChecks(target, spec, config, ports, callerAccount)));
  return checks;
}

async function variableChecks(target: TargetConfig, spec: VariableSpec, config: Config, ports: DoctorPorts, callerAccount: string | undefined): Promise<Check[]> {
  const subject = `${targetSelector(target)} ${spec.key}${target.environmentScope ? `@${target.environmentScope}` : ''}`;
  const stored = await attempt(() => ports.variables.read(variableRef(target, spec)));
  if (!stored.ok) return [{ check: 'variable', subject, status: 'fail', detail: stored.error }];
  if (!stored.value) return [{ check: 'variable', subject, status: 'ok', detail: 'does not exist yet; the next refresh creates it' }];
  if (stored.value.value === null) {
    return [
      target.ownership === 'full'
        ? { check: 'variable', subject, status: 'ok', detail: 'hidden, owned fully by this tool' }
        : {
            check: 'variable',
            subject,
            status: 'fail',
            detail: 'hidden: its value cannot be read or merged',
            fix: 'set ownership: full on this target, or recreate the variable unhidden',
          },
    ];
  }
  let metadata: ReturnType<typeof recordedExpiry>;
  try {
    metadata = recordedExpiry(spec.format, stored.value.value);
  } catch (error) {
    return [
      {
        check: 'variable',
        subject,
        status: 'fail',
        detail: describeError(error),
        fix: 'the Runner drops an unparseable DOCKER_AUTH_CONFIG silently: fix or delete the value',
      },
    ];
  }
  const checks = [expiryCheck(subject, metadata, ports.now())];
  const holdsCredentials = Object.keys(metadata?.expiresAt ?? {}).length > 0;
  const warnings = storedValueWarnings(spec, stored.value, registryHostMatcher(configuredRegistries(config, spec), callerAccount), holdsCredentials);
  for (const warning of warnings) {
    const [detail, fix] = splitAdvice(warning.message);
    checks.push({ check: warning.code === 'unmasked' ? 'masking' : 'runner-overrides', subject, status: 'warn', detail, fix });
  }
  return checks;
}

function expiryCheck(subject: string, metadata: ReturnType<typeof recordedExpiry>, now: number): Check {
  if (!metadata) return { check: 'variable', subject, status: 'ok', detail: 'valid JSON, not refreshed by this tool yet' };
  const hosts = hostExpiries(metadata.expiresAt, now);
  const state = expiryState(hosts);
  const first = hosts[0];
  const detail = `refreshed ${metadata.refreshedAt ?? '(time not recorded)'}; earliest expiry ${first ? `${first.expiresAt} (${first.host})` : 'none'}`;
  if (state === 'ok') return { check: 'variable', subject, status: 'ok', detail };
  return { check: 'variable', subject, status: 'warn', detail: `${detail}: ${state}`, fix: 'run a refresh now and check why the schedule did not (logs, alarms)' };
}

/** Warnings read "what happens; what to do": the part after the last "; " is the fix. */
function splitAdvice(message: string): [string, string] {
  const at = message.lastIndexOf('; ');
  return at === -1 ? [message, ''] : [message.slice(0, at), message.slice(at + 2)];
}

/**
 * Projects and subgroups below a group target that define the same variable in an overlapping scope
 * hide the group's value: the Runner takes the most specific one and never merges. With
 * `coverShadowing` the refresh merges into them too (unless their value cannot be merged).
 */
async function shadowingChecks(target: TargetConfig, config: Config, ports: DoctorPorts): Promise<Check[]> {
  const group = target.group as string;
  const checks: Check[] = [];
  const covering = target.coverShadowing;
  const scan = { limit: covering?.maxOwners ?? DOCTOR_DISCOVERY_LIMIT, concurrency: 4 };
  const sources = new Map<string, CoverSource>();
  if (covering) for (const spec of variableSpecs(target)) sources.set(spec.key, await coverSource(target, spec, ports.variables));
  const scanned = await attempt(async () => {
    const nested = await nestedGroupTargets(target, config, ports.discovery);
    await scanShadowing(target, config, ports.discovery, scan, async (owner, found) => {
      if ('error' in found) {
        checks.push({ check: 'shadowing', subject: `${owner.kind}:${owner.fullPath}`, status: 'warn', detail: `could not list its variables: ${found.error}` });
        return;
      }
      for (const { variable } of found.rows) {
        // Below a nearer group target the row hides that group's value: that target's own check reports it,
        // unless this group would cover it and the nearer one does not (then the refresh leaves it alone).
        const claim = nestedClaim(owner, variable, nested);
        if (claim && (nestedCovers(owner, claim) || !covering)) continue;
        const source = sources.get(variable.key);
        const refusal = claim ? nestedRefusal(claim, variable.key, owner) : source && coverRefusal(variable, source);
        checks.push(shadowCheck(group, owner, variable, source && { refusal }));
      }
    });
  });
  if (!scanned.ok) return [{ check: 'shadowing', subject: `group:${group}`, status: 'warn', detail: `could not examine what lies below the group: ${scanned.error}` }];
  const keys = variableSpecs(target).map((spec) => spec.key);
  if (checks.length === 0) checks.push({ check: 'shadowing', subject: `group:${group}`, status: 'ok', detail: `no project or subgroup below hides its ${keys.join(', ')}` });
  return checks;
}

/** Without a ceiling of its own, doctor examines at most this many owners below a group. */
const DOCTOR_DISCOVERY_LIMIT = 5_000;

/** `cover` is set when the group has coverShadowing: with the reason it must leave this variable alone, if any. */
function shadowCheck(group: string, owner: DescendantOwner, variable: ListedVariable, cover: { refusal?: string } | undefined): Check {
  const subject = `${owner.kind}:${owner.fullPath}`;
  const what = `defines its own ${variable.key} (scope ${variable.environmentScope})`;
  if (cover?.refusal) {
    const [detail, fix] = splitAdvice(cover.refusal);
    return { check: 'shadowing', subject, status: 'warn', detail: `${what}, which hides group:${group}'s value; ${detail}`, fix };
  }
  if (cover) {
    const reason = variable.value === null ? 'it is hidden' : mergeProblem(variable.value);
    if (!reason) return { check: 'shadowing', subject, status: 'ok', detail: `${what}; covered: group:${group} has coverShadowing, so the refresh merges into it` };
    return {
      check: 'shadowing',
      subject,
      status: 'warn',
      detail: `${what}, which hides group:${group}'s value, and coverShadowing cannot merge into it: ${reason}`,
      fix: `fix or delete its ${variable.key}`,
    };
  }
  const scoped = variable.environmentScope === '*' ? '' : `, environmentScope: "${variable.environmentScope}"`;
  return {
    check: 'shadowing',
    subject,
    status: 'warn',
    detail: `${what}, which hides group:${group}'s value in its jobs`,
    fix: `set coverShadowing: true on group:${group}, or add "- { ${owner.kind}: ${owner.fullPath}${scoped} }" to targets (its entries are kept), or delete its ${variable.key}`,
  };
}

function mergeProblem(value: string): string | undefined {
  try {
    parseDockerConfig(value);
    return undefined;
  } catch (error) {
    return describeError(error);
  }
}

type CallerIdentity = Awaited<ReturnType<AwsInspector['callerIdentity']>>;

type Attempt<T> = { ok: true; value: T } | { ok: false; error: string; cause: unknown };

async function attempt<T>(work: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error: describeError(error), cause: error };
  }
}
