/**
 * Who may read a profile's secret: the IAM trust every profile role gets, computed in one place for the
 * stack (build/stack.cjs loads this module at packaging time), doctor (the trust it expects to find) and
 * the job snippet. Pure, with no SDK import.
 *
 * IAM tests only a few claims of a generic OIDC token (`aud`, `sub`, `amr`, `azp`), never GitLab's
 * `project_path` or `ref_protected`, so projects and refs are patterns over GitLab's `sub`:
 * `project_path:{group}/{project}:ref_type:{branch|tag}:ref:{name}`.
 */

// The stack loads this module alone: it needs the profile secret names too.
export { profileSecretName, secretsPrefix } from './secret-names.js';

export const DEFAULT_AUDIENCE = 'sts.amazonaws.com';

/** IAM path of the profile roles and policies: doctor lists the roles under it. */
export const PROFILE_IAM_PATH = '/ecr-gitlab-refresher/';
/** Tag on each profile role naming the secret it may read (its ARN without the random suffix). */
export const PROFILE_SECRET_TAG = 'ecr-gitlab-refresher:profile-secret';

/** The fields of a profile that decide its trust. */
export interface ProfileTrustInput {
  name: string;
  projects: readonly string[];
  refs?: readonly string[];
}

/** The OIDC side of a config that has profiles, with the defaults applied. */
export interface OidcSettings {
  /** The `iss` of GitLab's ID tokens: the GitLab URL, https, no trailing slash. */
  issuer: string;
  audience: string;
  /** An existing IAM OIDC provider to trust; undefined: the stack creates one. */
  providerArn?: string;
  /**
   * The provider's URL without its scheme (`gitlab.example.com`, or `example.com/gitlab`): IAM names the
   * provider and the condition keys (`gitlab.example.com:sub`) after it.
   */
  providerUrl: string;
}

interface OidcConfigInput {
  gitlab?: { url: string };
  oidc?: { issuer?: string; audience?: string; providerArn?: string };
  profiles?: readonly ProfileTrustInput[];
}

/** The issuer, audience and provider of a config's profiles; undefined when it has none or no issuer at all. */
export function oidcSettings(config: OidcConfigInput): OidcSettings | undefined {
  if (!config.profiles || config.profiles.length === 0) return undefined;
  const raw = config.oidc?.issuer ?? config.gitlab?.url;
  if (raw === undefined) return undefined;
  const issuer = normaliseIssuer(raw);
  return { issuer, audience: config.oidc?.audience ?? DEFAULT_AUDIENCE, providerArn: config.oidc?.providerArn, providerUrl: providerUrlOf(issuer) };
}

/** `https://GitLab.example.com/` → `https://gitlab.example.com`: GitLab's `iss` has no trailing slash, hosts compare in lower case. */
export function normaliseIssuer(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** `https://gitlab.example.com` → `gitlab.example.com`. */
export function providerUrlOf(issuer: string): string {
  return issuer.replace(/^https?:\/\//, '');
}

/** `arn:aws:iam::123456789012:oidc-provider/gitlab.example.com` → `gitlab.example.com`; undefined for anything else. */
export function providerUrlOfArn(arn: string): string | undefined {
  return /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/(.+)$/.exec(arn)?.[1];
}

/**
 * The `sub` patterns (IAM StringLike: `*` any characters, `?` one) a profile admits: every project
 * pattern with every ref pattern, or with every ref when the profile names none. GitLab's project paths
 * and git ref names never contain `:`, so a `*` cannot carry one claim part into another.
 */
export function subjectPatterns(profile: Pick<ProfileTrustInput, 'projects' | 'refs'>): string[] {
  const refs = profile.refs ?? ['*:*'];
  const patterns = profile.projects.flatMap((project) =>
    refs.map((ref) => {
      const [type, ...name] = ref.split(':');
      return `project_path:${project}:ref_type:${type}:ref:${name.join(':')}`;
    }),
  );
  return [...new Set(patterns)];
}

/** GitLab's `sub` claim of a job's ID token. */
export function jobSubject(projectPath: string, refType: 'branch' | 'tag', ref: string): string {
  return `project_path:${projectPath}:ref_type:${refType}:ref:${ref}`;
}

/** Whether the profile role's trust, as written, admits an ID token with this `sub` (IAM StringLike: `*` any text, `?` one character). */
export function profileAdmits(profile: Pick<ProfileTrustInput, 'projects' | 'refs'>, subject: string): boolean {
  return subjectPatterns(profile).some((pattern) => iamLike(pattern).test(subject));
}

function iamLike(pattern: string): RegExp {
  const body = [...pattern].map((char) => (char === '*' ? '[\\s\\S]*' : char === '?' ? '[\\s\\S]' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** The conditions a profile role's trust must hold, keyed like IAM keys them. */
export function trustConditions(profile: ProfileTrustInput, oidc: OidcSettings): { StringEquals: Record<string, string>; StringLike: Record<string, string[]> } {
  return {
    StringEquals: { [`${oidc.providerUrl}:aud`]: oidc.audience },
    StringLike: { [`${oidc.providerUrl}:sub`]: subjectPatterns(profile) },
  };
}

/**
 * The role's trust policy. `providerArn` is the provider's ARN, or the CloudFormation expression that
 * builds it: the stack passes an `Fn::Sub`.
 */
export function profileTrustPolicy(profile: ProfileTrustInput, oidc: OidcSettings, providerArn: unknown): Record<string, unknown> {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: trustConditions(profile, oidc),
      },
    ],
  };
}

/** `prod-eu` → `ProdEu`: the CloudFormation logical-id part (letters and digits only) of a profile's resources and outputs. */
export function profileLogicalId(name: string): string {
  return name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
