import { parseArgs } from 'node:util';
import { ConfigError } from '../errors.js';

export interface CliCommand {
  name: 'refresh' | 'validate-config' | 'doctor' | 'status' | 'explain' | 'help' | 'version';
  configPath: string;
  dryRun: boolean;
  json: boolean;
  verbose: boolean;
  targets: string[];
  registries: string[];
  profiles: string[];
  /** Only for `explain`. */
  explain?: ExplainArgs;
}

export interface ExplainArgs {
  project: string;
  image: string;
  environment?: string;
  ref?: string;
  protectedRef: boolean;
  probe: boolean;
  /** A pull-time profile whose secret the job reads through `secrets: DOCKER_AUTH_CONFIG`. */
  profile?: string;
}

export const USAGE = `Usage:
  ecr-gitlab-refresher refresh [--config FILE] [--dry-run] [--target project:PATH|group:PATH|instance]... [--profile NAME]... [--registry NAME]... [--json] [--verbose]
  ecr-gitlab-refresher validate-config [--config FILE]
  ecr-gitlab-refresher doctor [--config FILE] [--json]     read-only checks of AWS, GitLab and every target
  ecr-gitlab-refresher status [--config FILE] [--json]     what each target holds now and when it expires
  ecr-gitlab-refresher profile snippet NAME [--region R] [--role-arn ARN]   the .gitlab-ci.yml part for a pull-time profile
  ecr-gitlab-refresher explain --project PATH --image REF [--environment NAME] [--ref NAME] [--protected-ref] [--profile NAME] [--probe] [--config FILE] [--json]
                                                           why a job of that project can or cannot pull that image (read-only)
  ecr-gitlab-refresher helper publish --version V --bucket B [--arch amd64,arm64] [--from-file PATH] [--sha256 HEX]
  ecr-gitlab-refresher --help | --version

Config: --config, else $REFRESHER_CONFIG, else ./refresher.config.yml.
GitLab token: $GITLAB_TOKEN, else the Secrets Manager secret gitlab.tokenSecretId.
Exit codes: 0 all good, 1 a registry, secret, target or profile failed (or the run could not start), 2 bad config or arguments.\ndoctor: 0 all ok, 1 warnings only, 2 failures. status: 0 all fresh, 1 anything missing, expiring or unreadable.
explain: 0 the pull would authenticate, 1 it would not, 2 cannot tell (or bad arguments).`;

const COMMANDS = new Set(['refresh', 'validate-config', 'doctor', 'status', 'explain', 'help', 'version']);

/** Pure: argv (without node and script) and the environment in, a command out; bad input is a ConfigError. */
export function parseCli(argv: string[], env: NodeJS.ProcessEnv): CliCommand {
  let parsed: ReturnType<typeof parseWith>;
  try {
    parsed = parseWith(argv);
  } catch (error) {
    throw new ConfigError([`arguments: ${(error as Error).message}`]);
  }
  const { values, positionals } = parsed;
  const first = positionals[0];
  const name = values.help ? 'help' : values.version ? 'version' : (first ?? 'help');
  if (!COMMANDS.has(name)) throw new ConfigError([`arguments: unknown command "${name}" (expected refresh, validate-config, doctor, status or explain)`]);
  if (positionals.length > 1) throw new ConfigError([`arguments: unexpected "${positionals[1]}"`]);
  return {
    name: name as CliCommand['name'],
    configPath: values.config ?? env.REFRESHER_CONFIG ?? 'refresher.config.yml',
    dryRun: values['dry-run'] ?? false,
    json: values.json ?? false,
    verbose: values.verbose ?? false,
    targets: values.target ?? [],
    registries: values.registry ?? [],
    profiles: values.profile ?? [],
    explain: name === 'explain' ? explainArgs(values) : undefined,
  };
}

function explainArgs(values: ReturnType<typeof parseWith>['values']): ExplainArgs {
  const missing = (['project', 'image'] as const).filter((flag) => !values[flag]);
  if (missing.length > 0) throw new ConfigError(missing.map((flag) => `arguments: explain needs --${flag}`));
  if ((values.profile?.length ?? 0) > 1) throw new ConfigError(['arguments: explain takes one --profile (the one the job reads)']);
  return {
    project: values.project as string,
    image: values.image as string,
    environment: values.environment,
    ref: values.ref,
    protectedRef: values['protected-ref'] ?? false,
    probe: values.probe ?? false,
    profile: values.profile?.[0],
  };
}

function parseWith(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      config: { type: 'string', short: 'c' },
      'dry-run': { type: 'boolean' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      target: { type: 'string', multiple: true },
      registry: { type: 'string', multiple: true },
      profile: { type: 'string', multiple: true },
      // explain
      project: { type: 'string' },
      image: { type: 'string' },
      environment: { type: 'string' },
      ref: { type: 'string' },
      'protected-ref': { type: 'boolean' },
      probe: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
}
