import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config/load.js';
import type { ProfileConfig } from '../config/schema.js';
import { oidcSettings, profileLogicalId } from '../domain/profile-trust.js';
import { profileSecretName, secretsPrefix } from '../domain/secret-names.js';
import { ConfigError, describeError } from '../errors.js';
import type { CliIo } from './io.js';

export const PROFILE_USAGE = `Usage:
  ecr-gitlab-refresher profile snippet NAME [--config FILE] [--region REGION] [--role-arn ARN] [--runner-role]

Prints the .gitlab-ci.yml snippet (a hidden job .ecr-profile-NAME to include and extend) that makes GitLab
Runner read the profile's secret as DOCKER_AUTH_CONFIG before it pulls the job's image.
  --region     where the stack (and the secret) lives; default $AWS_REGION
  --role-arn   the stack output Profile<Name>RoleArn; without it the snippet holds a placeholder
  --runner-role  for runners whose own instance role reads the secret (policy output Profile<Name>PolicyArn): no ID token`;

/** The ID token variable the snippet defines and hands to the secret. */
const TOKEN_VARIABLE = 'ECR_PROFILE_ID_TOKEN';

export interface SnippetInput {
  profile: ProfileConfig;
  secretId: string;
  region: string;
  audience: string;
  issuer: string;
  /** Undefined: a placeholder naming the stack output. */
  roleArn?: string;
  /** The runner manager's own role reads the secret: no ID token, no AWS_ROLE_ARN. */
  runnerRole: boolean;
}

/**
 * The snippet for one profile. `file: false`: the Runner's pull uses the value either way, and a job
 * that runs Docker CLI 28.3+ (which reads DOCKER_AUTH_CONFIG as JSON) gets JSON rather than a path.
 */
export function renderProfileSnippet(input: SnippetInput): string {
  const { profile } = input;
  const id = profileLogicalId(profile.name);
  const job = `.ecr-profile-${profile.name}`;
  const q = JSON.stringify;
  const lines = [
    `# ecr-gitlab-refresher profile "${profile.name}": ECR pull credentials for the job's image and services,`,
    `# read from AWS Secrets Manager before the pull. Save as ci/ecr-profile-${profile.name}.yml, then:`,
    `#   include: { local: ci/ecr-profile-${profile.name}.yml }`,
    `#   my-job: { extends: ${job}, image: <ECR image of this profile>, script: [...] }`,
    `# Admitted: projects ${profile.projects.join(', ')}; refs ${profile.refs?.join(', ') ?? 'every branch and tag'}.`,
    '# Relies on (one-time):',
    '#  - GitLab Premium or Ultimate 18.3+ (18.2: feature flag ci_aws_secrets_manager) and GitLab Runner 18.3+',
    '#    on the runner manager: it resolves secrets before it pulls.',
    ...(input.runnerRole
      ? [`#  - the runner manager's IAM role has the stack output policy Profile${id}PolicyArn attached.`]
      : [
          "#  - the project keeps GitLab's default ID token subject (projects API: ci_id_token_sub_claim_components",
          '#    [project_path, ref_type, ref]): the role matches patterns over it.',
          `#  - AWS can reach ${input.issuer}/.well-known/openid-configuration (the instance is public).`,
        ]),
    `${job}:`,
    ...(input.runnerRole ? [] : ['  id_tokens:', `    ${TOKEN_VARIABLE}:`, `      aud: ${q(input.audience)}`]),
    '  secrets:',
    '    DOCKER_AUTH_CONFIG:',
    '      aws_secrets_manager:',
    `        secret_id: ${q(input.secretId)}`,
    `        region: ${q(input.region)}`,
    ...(input.runnerRole ? [] : [`      token: $${TOKEN_VARIABLE}`]),
    '      file: false',
    '  variables:',
    '    # The Runner needs AWS_REGION as a variable even with region set above (GitLab issue 565460).',
    `    AWS_REGION: ${q(input.region)}`,
    ...(input.runnerRole ? [] : [`    AWS_ROLE_ARN: ${q(input.roleArn ?? `REPLACE-WITH-STACK-OUTPUT-Profile${id}RoleArn`)}`]),
  ];
  return `${lines.join('\n')}\n`;
}

export interface ProfileArgs {
  values: { config?: string; region?: string; 'role-arn'?: string; 'runner-role'?: boolean; help?: boolean };
  /** The profile's name; undefined only with --help. */
  name?: string;
}

/** Pure: the arguments after `profile`; unknown flags or a missing `snippet NAME` are a ConfigError. */
export function parseProfileArgs(argv: string[]): ProfileArgs {
  let parsed: { values: ProfileArgs['values']; positionals: string[] };
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        config: { type: 'string', short: 'c' },
        region: { type: 'string' },
        'role-arn': { type: 'string' },
        'runner-role': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new ConfigError([`arguments: ${(error as Error).message}`]);
  }
  const { values, positionals } = parsed;
  if (values.help) return { values };
  const [sub, name, extra] = positionals;
  if (sub !== 'snippet' || !name || extra) throw new ConfigError([`arguments: expected "profile snippet NAME"\n${PROFILE_USAGE}`]);
  return { values, name };
}

/** `profile snippet NAME`: exit 0 with the snippet, 2 for bad arguments or config. */
export function profileCommand(argv: string[], io: CliIo): number {
  try {
    const { values, name } = parseProfileArgs(argv);
    if (values.help || name === undefined) {
      io.stdout(`${PROFILE_USAGE}\n`);
      return 0;
    }
    const config = loadConfigFile(values.config ?? io.env.REFRESHER_CONFIG ?? 'refresher.config.yml');
    const profile = config.profiles.find((candidate) => candidate.name === name);
    if (!profile) throw new ConfigError([`profile "${name}": not in the config (known: ${config.profiles.map((p) => p.name).join(', ') || 'none'})`]);
    const region = values.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    if (!region) throw new ConfigError(['--region: required (the region of the stack and its secrets), or set AWS_REGION']);
    const roleArn = values['role-arn'];
    if (roleArn !== undefined && !/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(roleArn)) throw new ConfigError([`--role-arn: expected an IAM role ARN, got "${roleArn}"`]);
    const oidc = oidcSettings(config);
    if (!oidc) throw new ConfigError(['oidc.issuer: required']);
    io.stdout(
      renderProfileSnippet({
        profile,
        secretId: profileSecretName(secretsPrefix(config), profile.name),
        region,
        audience: oidc.audience,
        issuer: oidc.issuer,
        roleArn,
        runnerRole: values['runner-role'] ?? false,
      }),
    );
    if (!roleArn && !values['runner-role']) {
      io.stderr(`note: AWS_ROLE_ARN is a placeholder: pass --role-arn with the stack output Profile${profileLogicalId(profile.name)}RoleArn\n`);
    }
    return 0;
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [`arguments: ${describeError(error)}`];
    io.stderr(`${problems.map((problem) => `error: ${problem}`).join('\n')}\n`);
    return 2;
  }
}
