import type { Config, ProfileConfig } from '../../config/schema.js';
import { type OidcSettings, oidcSettings, trustConditions } from '../../domain/profile-trust.js';
import { profileSecretName, secretsPrefix } from '../../domain/secret-names.js';
import { describeError } from '../../errors.js';
import type { ProfileInspector } from '../ports.js';
import { heldProfileExpiry } from '../refresh/profile-secrets.js';
import type { Check } from './checks.js';
import { expiryState, hostExpiries } from './status.js';

/**
 * doctor for pull-time profiles: the issuer's OIDC provider accepts the audience, each profile's secret
 * is present and fresh, and each profile's role trusts exactly the issuer, audience and `sub` patterns
 * the config names. Read-only; no GitLab request.
 */
export async function profileChecks(config: Config, inspector: ProfileInspector, caller: { account: string; arn: string } | undefined, now: number): Promise<Check[]> {
  const oidc = oidcSettings(config);
  if (!oidc) return [];
  const partition = /^arn:([^:]+):/.exec(caller?.arn ?? '')?.[1] ?? 'aws';
  const providerArn = oidc.providerArn ?? (caller ? `arn:${partition}:iam::${caller.account}:oidc-provider/${oidc.providerUrl}` : undefined);
  const checks: Check[] = [await providerCheck(oidc, providerArn, inspector)];
  for (const profile of config.profiles) {
    const secret = profileSecretName(secretsPrefix(config), profile.name);
    checks.push(await secretCheck(profile, secret, inspector, now));
    checks.push(...(await roleChecks(profile, secret, oidc, providerArn, inspector)));
  }
  return checks;
}

async function providerCheck(oidc: OidcSettings, arn: string | undefined, inspector: ProfileInspector): Promise<Check> {
  const check = 'oidc-provider';
  if (!arn) return { check, subject: oidc.issuer, status: 'fail', detail: 'cannot name the provider without the AWS account (see aws-credentials)' };
  const subject = arn;
  const created = oidc.providerArn === undefined;
  try {
    const provider = await inspector.oidcProvider(arn);
    if (!provider) {
      return {
        check,
        subject,
        status: 'fail',
        detail: `no IAM OIDC provider for ${oidc.issuer}: AWS refuses every job's ID token`,
        fix: created
          ? "deploy the stack (serverless deploy creates the provider), or set oidc.providerArn to the account's existing provider for this issuer"
          : 'create the provider, or correct oidc.providerArn',
      };
    }
    if (!provider.clientIds.includes(oidc.audience)) {
      return {
        check,
        subject,
        status: 'fail',
        detail: `accepts the audiences ${provider.clientIds.join(', ') || 'none'}, not ${oidc.audience}: AWS refuses the jobs' ID tokens`,
        fix: `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${arn} --client-id ${oidc.audience}${created ? ' (or redeploy the stack)' : ''}`,
      };
    }
    return { check, subject, status: 'ok', detail: `${provider.url} accepts audience ${oidc.audience}` };
  } catch (error) {
    return { check, subject, status: 'fail', detail: describeError(error), fix: 'allow iam:GetOpenIDConnectProvider to the identity running doctor' };
  }
}

async function secretCheck(profile: ProfileConfig, secret: string, inspector: ProfileInspector, now: number): Promise<Check> {
  const check = 'profile-secret';
  const subject = `${profile.name} ${secret}`;
  try {
    const value = await inspector.secretValue(secret);
    if (value === undefined) {
      return {
        check,
        subject,
        status: 'fail',
        detail: 'does not exist yet: jobs of this profile fail before their image pull',
        fix: 'run a refresh (ecr-gitlab-refresher refresh, or invoke the deployed function)',
      };
    }
    const earliest = heldProfileExpiry(value);
    if (earliest === undefined) {
      return {
        check,
        subject,
        status: 'fail',
        detail: 'holds no entry written by this tool',
        fix: "run a refresh: the secret is the tool's own and is rewritten with the profile's hosts",
      };
    }
    const state = expiryState(hostExpiries({ first: earliest }, now));
    if (state === 'ok') return { check, subject, status: 'ok', detail: `present; earliest expiry ${earliest}` };
    return { check, subject, status: 'warn', detail: `earliest expiry ${earliest}: ${state}`, fix: 'run a refresh now and check why the schedule did not (logs, alarms)' };
  } catch (error) {
    return { check, subject, status: 'fail', detail: describeError(error), fix: `allow secretsmanager:GetSecretValue on ${secret} to the identity running doctor` };
  }
}

async function roleChecks(profile: ProfileConfig, secret: string, oidc: OidcSettings, providerArn: string | undefined, inspector: ProfileInspector): Promise<Check[]> {
  const check = 'profile-role';
  let roles: Awaited<ReturnType<ProfileInspector['profileRoles']>>;
  try {
    roles = await inspector.profileRoles(secret);
  } catch (error) {
    return [{ check, subject: profile.name, status: 'fail', detail: describeError(error), fix: 'allow iam:ListRoles and iam:GetRole to the identity running doctor' }];
  }
  if (roles.length === 0) {
    return [
      {
        check,
        subject: profile.name,
        status: 'fail',
        detail: `no role may read ${secret}: jobs cannot assume one`,
        fix: 'deploy the stack (serverless deploy): it creates one role per profile',
      },
    ];
  }
  return roles.map((role): Check => {
    const problems = trustProblems(role.trustPolicy, providerArn, trustConditions(profile, oidc));
    if (problems.length === 0)
      return {
        check,
        subject: `${profile.name} ${role.arn}`,
        status: 'ok',
        detail: `trusts ${oidc.providerUrl} for audience ${oidc.audience} and the profile's ${trustConditions(profile, oidc).StringLike[`${oidc.providerUrl}:sub`]?.length} sub patterns`,
      };
    return {
      check,
      subject: `${profile.name} ${role.arn}`,
      status: 'fail',
      detail: problems.join('; '),
      fix: 'redeploy the stack (serverless deploy) so the role trusts what the config says',
    };
  });
}

type Conditions = ReturnType<typeof trustConditions>;

/**
 * How a role's trust policy differs from the one the config gives: the provider (issuer), the audience
 * and the `sub` patterns, compared as sets. Empty when they match.
 */
export function trustProblems(policy: unknown, providerArn: string | undefined, expected: Conditions): string[] {
  const statements = listOf((policy as { Statement?: unknown } | null)?.Statement).filter(
    (statement): statement is Record<string, unknown> =>
      typeof statement === 'object' &&
      statement !== null &&
      (statement as { Effect?: unknown }).Effect === 'Allow' &&
      listOf((statement as { Action?: unknown }).Action).includes('sts:AssumeRoleWithWebIdentity'),
  );
  if (statements.length === 0) return ['no statement allows sts:AssumeRoleWithWebIdentity'];
  const [audKey, audience] = Object.entries(expected.StringEquals)[0] as [string, string];
  const [subKey, patterns] = Object.entries(expected.StringLike)[0] as [string, string[]];
  return statements.flatMap((statement) => {
    const problems: string[] = [];
    const federated = listOf((statement.Principal as { Federated?: unknown } | undefined)?.Federated);
    if (providerArn && !federated.includes(providerArn)) problems.push(`trusts ${federated.join(', ') || 'no OIDC provider'} instead of ${providerArn}`);
    const condition = (statement.Condition ?? {}) as Record<string, Record<string, unknown>>;
    const audiences = listOf(condition.StringEquals?.[audKey]);
    if (audiences.length !== 1 || audiences[0] !== audience) problems.push(`requires ${audKey} ${audiences.join(', ') || '(nothing)'} instead of ${audience}`);
    const actual = listOf(condition.StringLike?.[subKey] ?? condition.StringEquals?.[subKey]).map(String);
    if (actual.length === 0) problems.push(`has no ${subKey} condition: every project of the issuer could read the secret`);
    const missing = patterns.filter((pattern) => !actual.includes(pattern));
    const extra = actual.filter((pattern) => !patterns.includes(pattern));
    if (actual.length > 0 && missing.length > 0) problems.push(`does not admit ${missing.join(', ')}`);
    if (extra.length > 0) problems.push(`also admits ${extra.join(', ')}`);
    return problems;
  });
}

function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}
