import { z } from 'zod';
import { registryHostKeys } from '../domain/hosts.js';
import { DEFAULT_AUDIENCE, normaliseIssuer, profileLogicalId, providerUrlOf, providerUrlOfArn } from '../domain/profile-trust.js';
import { MANAGED_BY_TAG, OWN_SECRET_TAGS, secretNameCollisions } from '../domain/secret-names.js';
import { formatPath } from './field-path.js';

/** Patterns are AWS's and GitLab's own rules, so a typo fails here and not at 3 a.m. in a Lambda. */
const REGISTRY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const ACCOUNT_ID = /^\d{12}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const SECRET_PREFIX = /^[A-Za-z0-9/_+=.@-]{1,400}$/;
const VARIABLE_KEY = /^[A-Za-z0-9_]{1,255}$/;
const ENVIRONMENT_SCOPE = /^[a-zA-Z0-9_/${}. \-*]{1,255}$/;
const NUMERIC_ID = /^[1-9]\d*$/;
const REPOSITORY = /^[a-z0-9*][a-z0-9._/*-]{0,255}$/;

const idOrPath = (kind: OwnerKind) =>
  z
    .union([z.number().int().positive(), z.string()], { error: 'expected a path or id' })
    .transform(String)
    .superRefine((value, ctx) => {
      const problem = NUMERIC_ID.test(value) ? undefined : gitlabPathProblem(kind, value);
      if (problem) ctx.addIssue({ code: 'custom', message: `expected a path or id: ${problem}` });
    });

// ---- GitLab paths: Gitlab::PathRegex, so a path GitLab could never have fails here, not as another endpoint ----

type OwnerKind = 'project' | 'group';
/** A group (namespace) part: letters, digits, '_', '-', '.'; not starting with '-', not ending in '.'. */
const NAMESPACE_PART = /^(?:[A-Za-z0-9_.][A-Za-z0-9_.-]*[A-Za-z0-9_-]|[A-Za-z0-9_])$/;
/** A project's own part: the same characters, not starting with '-' (GitLab allows a final '.' here). */
const PROJECT_PART = /^[A-Za-z0-9_.][A-Za-z0-9_.-]*$/;
/** GitLab refuses both endings (they would clash with its git and feed routes); case matters, as in GitLab. */
const RESERVED_ENDING = /\.(git|atom)$/;
/** Namespace::URL_MAX_LENGTH. */
const PART_MAX = 255;

/**
 * Why `path` cannot be a GitLab group path or project path (full path, parts joined by "/"), or
 * undefined. Beyond GitLab's format, "." and ".." are refused outright: in a request URL they are
 * path steps, so `group: ".."` would address the instance's variables and `"."` `/groups/variables`.
 */
export function gitlabPathProblem(kind: OwnerKind, path: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) return `"${path}" is a URL; give the ${kind}'s path as GitLab shows it after the host, such as platform/api`;
  const parts = path.split('/');
  if (kind === 'project' && parts.length < 2) return `a project path names its group too, such as platform/${path}`;
  for (const [index, part] of parts.entries()) {
    const own = kind === 'project' && index === parts.length - 1;
    const problem = pathPartProblem(part, own);
    if (problem) return `part ${index + 1} of "${path}" ${problem}`;
  }
  return undefined;
}

function pathPartProblem(part: string, projectPart: boolean): string | undefined {
  if (part === '') return 'is empty (a leading, trailing or double "/")';
  if (/^\.+$/.test(part)) return `("${part}") is not a name: "." and ".." in a request URL would address another API endpoint`;
  if (part.length > PART_MAX) return `is longer than GitLab's ${PART_MAX} characters`;
  if (RESERVED_ENDING.test(part)) return `("${part}") ends in ".git" or ".atom", which GitLab does not allow in a path`;
  if (projectPart ? !PROJECT_PART.test(part) : !NAMESPACE_PART.test(part)) {
    const ending = projectPart ? '' : " or end in '.'";
    return `("${part}") can contain only letters, digits, '_', '-' and '.', and cannot start with '-'${ending}`;
  }
  return undefined;
}

export const registrySchema = z
  .strictObject({
    name: z
      .string()
      .regex(REGISTRY_NAME, 'expected letters, digits, "-" or "_" (max 63)')
      .describe('Unique name that targets, variables and profiles use to pick this registry; letters, digits, "-" and "_".'),
    public: z.boolean().default(false).describe('ECR Public (public.ecr.aws, always us-east-1); then no accountId, regions or repositories.'),
    accountId: z
      .string({ error: 'expected a 12-digit account id in quotes' })
      .regex(ACCOUNT_ID, 'expected a 12-digit account id')
      .optional()
      .describe("12-digit AWS account id, quoted (YAML would read a number); omit for the minting identity's own account."),
    regions: z
      .array(z.string().regex(REGION, 'expected an AWS region such as eu-west-1'))
      .min(1, 'list at least one region')
      .optional()
      .describe('AWS regions to mint for (one token per credentials and region), no duplicates; required for a private registry.'),
    roleArn: z
      .string()
      .regex(ROLE_ARN, 'expected an IAM role ARN (arn:aws:iam::123456789012:role/name)')
      .optional()
      .describe('IAM role to assume before minting (cross-account); its own policy then decides what the token may pull or push.'),
    externalId: z.string().regex(EXTERNAL_ID, 'expected 2-1224 characters of [A-Za-z0-9+=,.@:/_-]').optional().describe('External id sent with AssumeRole; needs roleArn.'),
    /** Narrows the pull (and push) permissions the stack grants the function's own role; default every repository. */
    repositories: z
      .array(z.string().regex(REPOSITORY, 'expected a repository name such as team/app (lower case; * matches any part)'))
      .min(1)
      .optional()
      .describe('Repository names (* matches any part): narrow the pull/push grants of the deployed role and give doctor a repository to probe; default every repository.'),
  })
  .describe('An ECR registry: an account and its regions, or ECR Public.')
  .superRefine((registry, ctx) => {
    if (registry.public) {
      for (const key of ['accountId', 'regions', 'repositories'] as const) {
        if (registry[key] !== undefined) ctx.addIssue({ code: 'custom', path: [key], message: 'not allowed for a public registry (ECR Public is always us-east-1)' });
      }
    } else if (!registry.regions) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'required for a private registry' });
    }
    if (registry.externalId && !registry.roleArn) ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'needs roleArn' });
    if (registry.regions && new Set(registry.regions).size !== registry.regions.length) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'lists a region twice' });
    }
  });

const VARIABLE_TYPE = z.enum(['env_var', 'file'], { error: 'expected "env_var" or "file"' });
const FORMAT = z.enum(['docker-config', 'registry-login'], { error: 'expected "docker-config" or "registry-login"' });

/** How many projects and subgroups below a group `coverShadowing` examines unless told otherwise. */
const DEFAULT_MAX_OWNERS = 2_000;

const DESCRIPTION = z.string().max(255, "GitLab's limit is 255 characters");

/**
 * An extra variable on a target, typically credentials for jobs that push; created protected unless
 * said otherwise. `variableType`, `protected` and `description` are left undefined when not set, so an
 * update keeps what the variable already has.
 */
export const extraVariableSchema = z.strictObject({
  name: z.string().regex(VARIABLE_KEY, "can contain only letters, digits and '_'").describe("The variable's key, unique per target; letters, digits and '_'."),
  variableType: VARIABLE_TYPE.optional().describe('env_var or file (the job gets a path to a file holding the value); set only to change it.'),
  format: FORMAT.default('docker-config').describe('docker-config (a Docker config.json) or registry-login ({"host": {"username", "password", "expiresAt"}}).'),
  registries: z
    .array(z.string())
    .min(1, "list at least one registry, or omit to use the target's")
    .optional()
    .describe("Configured registry names this variable holds; default the target's registries."),
  protected: z.boolean().optional().describe('Created protected unless false (refused with access: push); set only to change an existing variable.'),
  masked: z.boolean().default(true).describe('Every write masks the value unless false.'),
  description: DESCRIPTION.optional().describe('GitLab variable description (max 255); set only to change it.'),
  /** push: the minting identity gets ECR push actions on these registries (IAM derived at packaging). */
  access: z
    .enum(['pull', 'push'], { error: 'expected "pull" or "push"' })
    .default('pull')
    .describe('pull, or push: the deployed role gets the ECR push actions on these registries (never into an unprotected variable).'),
});

export const targetSchema = z
  .strictObject({
    project: idOrPath('project').optional().describe('A project: full path (platform/api) or numeric id. Exactly one of project, group, instance.'),
    group: idOrPath('group').optional().describe('A group: full path (platform or platform/backend) or numeric id.'),
    instance: z.literal(true, { error: 'expected true' }).optional().describe('The instance-level variable (needs an administrator token); no environmentScope.'),
    registries: z
      .array(z.string())
      .min(1, 'list at least one registry, or omit to use all')
      .optional()
      .describe('Configured registry names to write; default every registry. No two that give the same registry host.'),
    variable: z
      .string()
      .regex(VARIABLE_KEY, "can contain only letters, digits and '_'")
      .default('DOCKER_AUTH_CONFIG')
      .describe('The variable key the Runner reads for job images.'),
    environmentScope: z
      .string()
      .regex(ENVIRONMENT_SCOPE, 'expected a GitLab environment scope such as "*" or "production"')
      .optional()
      .describe('GitLab environment scope of the variable; default "*". Scoped group variables need a licensed GitLab tier.'),
    protected: z.boolean().optional().describe("Set only to change it: an update keeps the variable's own, a new variable gets false."),
    masked: z.boolean().default(true).describe('Every write masks the value unless false.'),
    description: DESCRIPTION.optional().describe('GitLab variable description (max 255); set only to change it; a new variable gets a "managed by" description.'),
    ownership: z
      .enum(['merge', 'full'], { error: 'expected "merge" or "full"' })
      .default('merge')
      .describe('merge: only the entries of hosts minted in the run are replaced; full: the tool owns the whole value (also a hidden or non-JSON one).'),
    variableType: VARIABLE_TYPE.optional().describe('env_var or file; set only to change it (a new variable gets env_var).'),
    format: FORMAT.default('docker-config').describe('docker-config (what the Runner reads) or registry-login ({"host": {"username", "password", "expiresAt"}}).'),
    /** drop-for-managed-hosts: remove credHelpers entries that would override the fresh entries. */
    helpers: z
      .enum(['keep', 'drop-for-managed-hosts'], { error: 'expected "keep" or "drop-for-managed-hosts"' })
      .default('keep')
      .describe('keep, or drop-for-managed-hosts: remove the credHelpers entries of managed hosts, which would outrank the fresh entries.'),
    /**
     * Group targets only: each run also merges the same entries into the variables of projects and
     * subgroups below that would hide the group's value (never creating one). `true` or `{maxOwners}`.
     */
    coverShadowing: z
      .union(
        [
          z.boolean(),
          z.strictObject({
            maxOwners: z
              .number()
              .int()
              .min(1)
              .max(100_000)
              .default(DEFAULT_MAX_OWNERS)
              .describe('Most projects and subgroups below the group a run examines; above it the target fails with a clear message.'),
          }),
        ],
        {
          error: 'expected true, false or { maxOwners: N }',
        },
      )
      .transform((value) => (value === false ? undefined : value === true ? { maxOwners: DEFAULT_MAX_OWNERS } : value))
      .optional()
      .describe(
        'Group targets only: also merge into existing variables below the group that would hide its value (never creating one). true, or { maxOwners: N } (default 2000 projects and subgroups examined).',
      ),
    variables: z.array(extraVariableSchema).optional().describe('More variables on the same owner, for example push credentials for jobs.'),
  })
  .superRefine((target, ctx) => {
    const kinds = (['project', 'group', 'instance'] as const).filter((kind) => target[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', path: [], message: 'needs exactly one of project, group or instance' });
    }
    if (target.coverShadowing && target.group === undefined) {
      ctx.addIssue({ code: 'custom', path: ['coverShadowing'], message: 'only group targets have projects and subgroups below them' });
    }
    if (target.instance && target.environmentScope !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['environmentScope'], message: 'instance variables have no environment scope' });
    }
    const names = [target.variable];
    target.variables?.forEach((extra, index) => {
      if (extra.access === 'push' && extra.protected === false) {
        ctx.addIssue({
          code: 'custom',
          path: ['variables', index, 'protected'],
          message: 'push credentials go only into protected variables (GitLab hands those to protected branches and tags only); remove protected: false',
        });
      }
      if (names.includes(extra.name)) ctx.addIssue({ code: 'custom', path: ['variables', index, 'name'], message: `variable "${extra.name}" is written twice by this target` });
      names.push(extra.name);
    });
  });

export const gitlabSchema = z
  .strictObject({
    url: z
      .url({ error: 'expected a URL such as https://gitlab.example.com' })
      .describe("GitLab's root URL (https://gitlab.example.com, or https://example.com/gitlab); https required, no /api/v4, no credentials."),
    allowInsecureHttp: z.boolean().default(false).describe('Allow a plain http url (a local GitLab only).'),
    tokenSecretId: z
      .string()
      .min(1)
      .optional()
      .describe('Secrets Manager id of the GitLab token (the bare token or JSON {"token": "..."}); required unless GITLAB_TOKEN is set (local runs).'),
    // 12: measured (docs/benchmarks.md): a third faster than 8, peak RSS ~160 MB where 16 nears 200 MB, and
    // within a small Omnibus GitLab's Puma threads (cores × 4).
    concurrency: z.number().int().min(1).max(64).default(12).describe('GitLab requests in flight at most (docs/benchmarks.md says why 12).'),
    /** Optional cap; without it the pace follows the server's own RateLimit headers and 429s. */
    requestsPerSecond: z
      .number()
      .positive()
      .max(1000)
      .optional()
      .describe("Optional cap, only if other tools share this token's budget; otherwise the pace follows GitLab's RateLimit headers and 429s."),
    requestTimeoutSeconds: z.number().positive().max(300).default(30).describe("Timeout of one request attempt; retries come on top, bounded by the run's time left."),
    /** Opt-in: rotate the refresher's own token when it expires within `daysBefore` days. */
    rotateToken: z
      .strictObject({
        daysBefore: z.number().int().min(1).max(180).default(14).describe('Rotate when the token expires within this many days.'),
        /** The successor's lifetime; GitLab refuses more than its maximum (365 days by default). */
        lifetimeDays: z
          .number()
          .int()
          .min(2)
          .max(400)
          .default(90)
          .describe("The new token's lifetime in days; more than daysBefore + 1, at most GitLab's maximum (365 by default)."),
      })
      .refine((rotation) => rotation.lifetimeDays > rotation.daysBefore + 1, { error: 'lifetimeDays must exceed daysBefore by more than a day, or every run rotates' })
      .optional()
      .describe("Opt-in (GitLab 16.10+): rotate the tool's own token before it expires and store the successor in tokenSecretId (docs/operations.md)."),
    // Private networks (docs/network.md): extra CAs are added to the public ones, never replace them.
    caCertificatesFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'PEM file with extra CA certificates to trust for GitLab (an internal CA), relative to this config file. Checked by validate-config and at packaging, and bundled into the function. Added to the public CAs, never replacing them.',
      ),
    caCertificatesSecretId: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Secrets Manager secret (name or ARN) whose SecretString holds extra PEM CA certificates to trust for GitLab, read at the start of every run; the stack grants GetSecretValue on exactly this secret. Adds to caCertificatesFile.',
      ),
  })
  .describe('The GitLab instance and how to talk to it.')
  .superRefine((gitlab, ctx) => {
    const protocol = URL.canParse(gitlab.url) ? new URL(gitlab.url).protocol : '';
    if (protocol === 'http:' && !gitlab.allowInsecureHttp) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'https required (set allowInsecureHttp: true for a local GitLab)' });
    } else if (protocol !== 'http:' && protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'expected an http(s) URL' });
    }
    const shape = gitlabUrlShapeProblem(gitlab.url);
    if (shape) ctx.addIssue({ code: 'custom', path: ['url'], message: shape });
  });

/**
 * The URL is GitLab's root, the page a browser opens (`https://gitlab.example.com`, or
 * `https://example.com/gitlab` for a GitLab under a path); the API path is added to it.
 */
function gitlabUrlShapeProblem(url: string): string | undefined {
  if (!URL.canParse(url)) return undefined;
  const parsed = new URL(url);
  if (url.includes('?') || url.includes('#')) return "no query or fragment: give GitLab's root URL, such as https://gitlab.example.com or https://example.com/gitlab";
  if (parsed.username || parsed.password) return 'no credentials in the URL: the token comes from tokenSecretId (or GITLAB_TOKEN)';
  if (/\/api\/v4\/?$/i.test(parsed.pathname)) return `drop /api/v4: the tool adds it (${url.replace(/\/api\/v4\/?$/i, '')})`;
  return undefined;
}

/** What the config loaders add after validation; never read from the file (strictObject refuses unknown keys). */
export interface LoadedGitLabFiles {
  /** The checked PEM text of `caCertificatesFile`, read next to the config file (src/config/ca-certificates.ts). */
  caCertificatesPem?: string;
}

export const secretsSchema = z
  .strictObject({
    prefix: z
      .string()
      .regex(SECRET_PREFIX, 'expected Secrets Manager name characters [A-Za-z0-9/_+=.@-]')
      .describe('Name prefix of every secret the tool writes (end it in "/"): <prefix><registry>/<region>, <prefix>docker-config, <prefix>profiles/<name>.'),
    kmsKeyId: z.string().min(1).optional().describe('KMS key for the secrets it creates: key id, key ARN, alias or alias ARN; default the AWS-managed key.'),
    tags: z
      .record(z.string(), z.string({ error: 'expected a string (quote numbers and booleans)' }))
      .superRefine(checkSecretTags)
      .refine((tags) => !(MANAGED_BY_TAG.key in tags), {
        path: [MANAGED_BY_TAG.key],
        error: `reserved: the tool tags the secrets it creates ${MANAGED_BY_TAG.key}=${MANAGED_BY_TAG.value}, and writes no existing secret without that tag`,
      })
      .optional()
      .describe("Tags for the secrets it creates (Secrets Manager's rules: no aws: prefix, at most 50 with the tool's own); managed-by is reserved."),
  })
  .describe('Optional: store each minted host and the merged Docker config in Secrets Manager; omit to store nothing.');

// ---- Secrets Manager tags: its own limits, so a bad tag fails here and not when a secret is first created ----

const MAX_TAGS = 50;
const TAG_CHARACTERS = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
/** AWS reserves the prefix in any case, for keys and values alike. */
const RESERVED_TAG_PREFIX = /^aws:/i;

function checkSecretTags(tags: Record<string, string>, ctx: z.RefinementCtx): void {
  const problem = (path: string[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const own = Object.keys(OWN_SECRET_TAGS);
  const count = new Set([...own, ...Object.keys(tags)]).size;
  if (count > MAX_TAGS) problem([], `${count} tags with the tool's own ${own.join(', ')}; Secrets Manager allows ${MAX_TAGS} per secret`);
  for (const [key, value] of Object.entries(tags)) {
    const keyProblem = tagTextProblem(key, 1, 128);
    if (keyProblem) problem([key], `tag key ${keyProblem}`);
    const valueProblem = tagTextProblem(value, 0, 256);
    if (valueProblem) problem([key], `tag value ${valueProblem}`);
  }
}

function tagTextProblem(text: string, min: number, max: number): string | undefined {
  const length = [...text].length;
  if (length < min || length > max) return `must be ${min}-${max} characters, is ${length}`;
  if (RESERVED_TAG_PREFIX.test(text)) return `"${text}" starts with "aws:", which AWS reserves for itself`;
  if (!TAG_CHARACTERS.test(text)) return `"${text}" may contain only letters, digits, spaces and _ . : / = + - @ (Secrets Manager's rule)`;
  return undefined;
}

const HELPER_VERSION = /^\d+\.\d+\.\d+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BUCKET = /^(?!xn--)(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const HELPER_ARCHITECTURES = ['amd64', 'arm64'] as const;

export const helperSchema = z
  .strictObject({
    /** Omit to let the stack create the bucket (the function then reads HELPER_BUCKET). */
    bucket: z
      .string()
      .regex(BUCKET, 'expected an S3 bucket name (lower case, digits, dots, hyphens, 3-63 characters)')
      .optional()
      .describe('S3 bucket holding the verified helper copies; omit and the stack creates one (output HelperBucketName).'),
    versions: z
      .array(z.string().regex(HELPER_VERSION, 'expected a release version such as 0.12.0'))
      .min(1, 'allow at least one version')
      .describe('Helper release versions helper-url may serve, such as 0.12.0.'),
    defaultVersion: z.string().regex(HELPER_VERSION, 'expected a release version such as 0.12.0').describe('Version served when the request names none; one of versions.'),
    architectures: z
      .array(z.enum(HELPER_ARCHITECTURES, { error: 'expected amd64 or arm64' }))
      .min(1)
      .default([...HELPER_ARCHITECTURES])
      .describe('Architectures helper-url may serve (amd64, arm64).'),
    urlExpirySeconds: z
      .number()
      .int()
      .min(30, 'at least 30 seconds')
      .max(3600, 'at most 3600 seconds: signed URLs stop working when the signing role credentials expire anyway')
      .default(300)
      .describe('Lifetime of the presigned download URL, 30-3600 seconds.'),
    /** Digests pinned by the operator, checked before anything is published or served. */
    digests: z
      .record(
        z.string().regex(HELPER_VERSION, 'expected a release version such as 0.12.0'),
        z.partialRecord(z.enum(HELPER_ARCHITECTURES), z.string().regex(SHA256, 'expected 64 lower-case hex digits')),
      )
      .optional()
      .describe('sha256 digests you verified out of band, per version and architecture; merged with the built-in table.'),
  })
  .describe('The docker-credential-ecr-login helper that helper-url hands to runners (docs/runners-and-helper.md).')
  .superRefine((helper, ctx) => {
    if (!helper.versions.includes(helper.defaultVersion))
      ctx.addIssue({ code: 'custom', path: ['defaultVersion'], message: `must be one of versions (${helper.versions.join(', ')})` });
  });

// --- Profiles (pull-time mode): docs/pull-time-profiles.md ------------------------------------------

/** Lower-case letters, digits and inner hyphens: the name goes into a secret name, IAM and CloudFormation names. */
const PROFILE_NAME = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** A GitLab project path pattern; the top-level group is always spelled out, `*` only below it. */
const PROJECT_PATTERN = /^[\w.-]+(\/[\w.*-]+)+$/;
/** `branch:NAME` or `tag:NAME`; git forbids `:`, `~`, `^`, `?`, `[`, `\` and spaces in ref names, IAM reads `$` as a variable. */
const REF_PATTERN = /^(branch|tag):[^\s:~^?[\\$]{1,255}$/;
const OIDC_PROVIDER_ARN = /^arn:aws[\w-]*:iam::\d{12}:oidc-provider\/.+$/;

export const profileSchema = z
  .strictObject({
    name: z
      .string()
      .regex(PROFILE_NAME, 'expected lower-case letters, digits and inner "-" (max 32)')
      .describe('Names the profile: its secret is <secrets.prefix>profiles/<name>, its stack outputs Profile<Name>RoleArn, …'),
    registries: z.array(z.string()).min(1, 'list at least one registry').describe("Registries whose hosts the profile's Docker config holds (one entry per host, nothing else)."),
    projects: z
      .array(
        z
          .string()
          .regex(
            PROJECT_PATTERN,
            'expected a GitLab project path or pattern such as platform/api or platform/* (the top-level group spelled out: on gitlab.com every customer shares one issuer)',
          ),
        { error: 'required: list the GitLab projects (patterns such as platform/*) whose jobs may read this profile' },
      )
      .min(1, 'list at least one project pattern')
      .describe('GitLab project paths whose jobs may read the profile; `*` matches any characters, `/` included, and is not allowed in the top-level group.'),
    refs: z
      .array(z.string().regex(REF_PATTERN, 'expected branch:NAME or tag:NAME (NAME may use *), such as branch:main or tag:v*'))
      .min(1, 'list at least one ref, or omit refs to allow every ref')
      .optional()
      .describe('Refs whose pipelines may read the profile (branch:main, tag:v*); default every ref. IAM cannot test "protected": name protected refs.'),
  })
  .describe('A set of registries that GitLab jobs read at pull time from a Secrets Manager secret, with no GitLab token and no CI/CD variable.');

export const oidcSchema = z
  .strictObject({
    issuer: z
      .url({ error: 'expected the GitLab URL, such as https://gitlab.example.com' })
      .optional()
      .describe("The `iss` of GitLab's ID tokens (the GitLab URL); default gitlab.url. AWS must reach its /.well-known/openid-configuration."),
    audience: z.string().min(1).max(255).default(DEFAULT_AUDIENCE).describe('The `aud` the jobs request in id_tokens and the roles require.'),
    providerArn: z
      .string()
      .regex(OIDC_PROVIDER_ARN, 'expected an IAM OIDC provider ARN (arn:aws:iam::123456789012:oidc-provider/gitlab.example.com)')
      .optional()
      .describe('An existing IAM OIDC provider for the issuer (an account has one per issuer); omit to let the stack create it.'),
  })
  .describe('How GitLab jobs prove who they are to AWS (ID tokens): issuer, audience and IAM OIDC provider.');

export const configSchema = z
  .strictObject({
    gitlab: gitlabSchema.optional().describe('Required with targets; a config with only profiles needs no GitLab URL or token.'),
    registries: z.array(registrySchema).min(1, 'configure at least one registry').describe('The ECR registries to mint tokens for.'),
    secrets: secretsSchema.optional(),
    targets: z
      .array(targetSchema)
      .min(1, 'configure at least one target, or omit targets and use profiles')
      .default([])
      .describe('GitLab CI/CD variables to keep fresh: a project, group or instance variable each, merged, never overwritten.'),
    profiles: z.array(profileSchema).min(1, 'configure at least one profile, or omit profiles').default([]).describe('Pull-time mode: docs/pull-time-profiles.md.'),
    oidc: oidcSchema.optional(),
    helper: helperSchema.optional(),
  })
  .describe('ecr-gitlab-refresher configuration (refresher.config.yml or config/<stage>.yml).')
  .superRefine((config, ctx) => {
    if (config.targets.length === 0 && config.profiles.length === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'configure targets (GitLab variables), profiles (pull-time secrets), or both' });
    }
    if (config.targets.length > 0 && !config.gitlab) ctx.addIssue({ code: 'custom', path: ['gitlab'], message: 'required: targets are GitLab variables' });
    checkProfiles(config, ctx);
    const names = new Set<string>();
    config.registries.forEach((registry, index) => {
      if (names.has(registry.name)) {
        ctx.addIssue({ code: 'custom', path: ['registries', index, 'name'], message: `duplicate registry name "${registry.name}"` });
      }
      names.add(registry.name);
    });
    const seen = new Set<string>();
    config.targets.forEach((target, index) => {
      const references: Array<[Array<string | number>, string[] | undefined]> = [
        [['targets', index, 'registries'], target.registries],
        ...(target.variables ?? []).map((extra, position): [Array<string | number>, string[] | undefined] => [
          ['targets', index, 'variables', position, 'registries'],
          extra.registries,
        ]),
      ];
      for (const [path, list] of references) {
        list?.forEach((name, position) => {
          if (!names.has(name)) ctx.addIssue({ code: 'custom', path: [...path, position], message: `unknown registry "${name}"` });
        });
      }
      // A variable without its own list carries the target's, and the target's default is every registry.
      for (const [path, list] of [[['targets', index], target.registries] as const, ...references.slice(1).filter(([, list]) => list !== undefined)]) {
        const problem = hostCollision(config.registries, list);
        if (problem) ctx.addIssue({ code: 'custom', path: [...path], message: problem });
      }
      for (const key of [target.variable, ...(target.variables ?? []).map((extra) => extra.name)]) {
        const identity = `${String(target.project ?? '').toLowerCase()}|${String(target.group ?? '').toLowerCase()}|${target.instance ?? ''}|${key}|${target.environmentScope ?? '*'}`;
        if (seen.has(identity)) {
          ctx.addIssue({ code: 'custom', path: ['targets', index], message: `duplicates an earlier target (same owner, variable ${key} and environment scope)` });
        }
        seen.add(identity);
      }
    });
    // Two profiles with one secret have one name, which checkProfiles reports already.
    for (const [first, second] of secretNameCollisions(config).filter(([a, b]) => a.path[0] !== 'profiles' || b.path[0] !== 'profiles')) {
      const message = `${second.role} and ${first.role} are one Secrets Manager secret (${second.name}): a run would overwrite one with the other; rename the registry or change secrets.prefix`;
      ctx.addIssue({ code: 'custom', path: second.path, message: `${message} (see ${formatPath(first.path)})` });
      ctx.addIssue({ code: 'custom', path: first.path, message: `${message} (see ${formatPath(second.path)})` });
    }
  });

type ConfigDraft = Omit<z.output<typeof configSchema>, never>;

/** Profiles name known registries, one registry per host, unique names and stack names, and an https issuer. */
function checkProfiles(config: ConfigDraft, ctx: z.RefinementCtx): void {
  const known = new Set(config.registries.map((registry) => registry.name));
  const names = new Map<string, number>();
  const logicalIds = new Map<string, number>();
  config.profiles.forEach((profile, index) => {
    const earlier = names.get(profile.name);
    if (earlier !== undefined) ctx.addIssue({ code: 'custom', path: ['profiles', index, 'name'], message: `duplicate profile name "${profile.name}" (see profiles[${earlier}])` });
    names.set(profile.name, index);
    const id = profileLogicalId(profile.name);
    const sameId = logicalIds.get(id);
    if (sameId !== undefined && earlier === undefined) {
      ctx.addIssue({ code: 'custom', path: ['profiles', index, 'name'], message: `gives the same stack resource names (Profile${id}…) as profiles[${sameId}]; rename one` });
    }
    logicalIds.set(id, index);
    profile.registries.forEach((name, position) => {
      if (!known.has(name)) ctx.addIssue({ code: 'custom', path: ['profiles', index, 'registries', position], message: `unknown registry "${name}"` });
    });
    const problem = hostCollision(config.registries, profile.registries);
    if (problem)
      ctx.addIssue({
        code: 'custom',
        path: ['profiles', index, 'registries'],
        message: problem.replace('one variable holds', "a profile's Docker config holds").replace('use a separate variable', 'use another profile'),
      });
  });
  if (config.oidc && config.profiles.length === 0) ctx.addIssue({ code: 'custom', path: ['oidc'], message: 'only profiles use it: add profiles or remove oidc' });
  if (config.profiles.length === 0) return;
  const issuer = config.oidc?.issuer ?? config.gitlab?.url;
  const issuerPath = config.oidc?.issuer ? ['oidc', 'issuer'] : ['oidc'];
  if (issuer === undefined) {
    ctx.addIssue({ code: 'custom', path: ['oidc', 'issuer'], message: "required when there is no gitlab section: the GitLab URL that issues the jobs' ID tokens" });
    return;
  }
  const parsed = URL.canParse(issuer) ? new URL(issuer) : undefined;
  if (parsed?.protocol !== 'https:') {
    const why = config.oidc?.issuer ? '' : ` (gitlab.url is ${issuer}; set oidc.issuer to the https URL AWS can reach)`;
    ctx.addIssue({ code: 'custom', path: issuerPath, message: `profiles need an https issuer: IAM accepts only https OIDC providers${why}` });
    return;
  }
  if (parsed.search || parsed.hash || parsed.username || parsed.password) {
    ctx.addIssue({ code: 'custom', path: issuerPath, message: 'the issuer is a plain URL (no query, fragment or credentials), as GitLab puts it in the iss claim' });
  }
  const arnUrl = config.oidc?.providerArn ? providerUrlOfArn(config.oidc.providerArn) : undefined;
  const expected = providerUrlOf(normaliseIssuer(issuer));
  if (arnUrl !== undefined && arnUrl.toLowerCase() !== expected) {
    ctx.addIssue({
      code: 'custom',
      path: ['oidc', 'providerArn'],
      message: `names the provider for ${arnUrl}, but the issuer is ${expected}: the roles would trust tokens no job gets`,
    });
  }
}

/**
 * Two registries that reach the same account in the same region (say, through different roles) give
 * one registry host: a variable can hold only one entry for it, so it must not list both.
 */
function hostCollision(registries: Array<z.output<typeof registrySchema>>, names: readonly string[] | undefined): string | undefined {
  const chosen = names ? registries.filter((registry) => names.includes(registry.name)) : registries;
  const seen = new Map<string, string>();
  for (const registry of chosen) {
    for (const key of registryHostKeys(registry)) {
      const earlier = seen.get(key);
      if (earlier && earlier !== registry.name) {
        return `registries "${earlier}" and "${registry.name}" both give the registry host of ${key}, and one variable holds one entry per host; list only one of them here (use a separate variable for the other)`;
      }
      seen.set(key, registry.name);
    }
  }
  return undefined;
}

type ParsedConfig = z.output<typeof configSchema>;
export type Config = Omit<ParsedConfig, 'gitlab'> & { gitlab?: NonNullable<ParsedConfig['gitlab']> & LoadedGitLabFiles };
export type RegistryConfig = Config['registries'][number];
export type TargetConfig = Config['targets'][number];
export type GitLabConfig = NonNullable<Config['gitlab']>;
export type SecretsConfig = NonNullable<Config['secrets']>;
export type HelperConfig = NonNullable<Config['helper']>;
export type HelperArch = (typeof HELPER_ARCHITECTURES)[number];
export type ProfileConfig = Config['profiles'][number];
export type ExtraVariableConfig = NonNullable<TargetConfig['variables']>[number];
