import { randomUUID } from 'node:crypto';
import { loadConfigFile } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { type Check, doctorExitCode } from '../core/inspect/checks.js';
import { configWarnings } from '../core/inspect/config-warnings.js';
import { runDoctor } from '../core/inspect/doctor.js';
import { explainPull } from '../core/inspect/explain/explain.js';
import { collectStatus } from '../core/inspect/status.js';
import { needsCallerAccount } from '../core/refresh/mint.js';
import { runRefresh } from '../core/refresh/refresh.js';
import { ConfigError, describeError } from '../errors.js';
import { buildObservability, buildRefreshDeps } from '../wiring.js';
import { buildDoctorPorts, buildExplainPorts, buildStatusDeps, readProfileJobSecret } from '../wiring-inspect.js';
import { type CliCommand, parseCli, USAGE } from './args.js';
import { helperPublishCommand } from './helper-publish.js';
import type { CliIo } from './io.js';
import { formatChecks, formatExplain, formatStatus, formatSummary } from './output.js';
import { profileCommand } from './profile-snippet.js';
import { createProgress } from './progress.js';

export const VERSION = '0.1.0';

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Runs one CLI invocation and returns its exit code; only cli/index.ts turns that into the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // `helper publish` has its own flags (its --version is a release, not this tool's version).
  if (argv[0] === 'helper') return helperPublishCommand(argv.slice(1), io);
  if (argv[0] === 'profile') return profileCommand(argv.slice(1), io);
  let command: CliCommand;
  try {
    command = parseCli(argv, io.env);
  } catch (error) {
    return reportUsageError(error, io);
  }
  if (command.name === 'help') {
    io.stdout(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command.name === 'version') {
    io.stdout(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (command.name === 'validate-config') return validateConfigCommand(command, io);
  if (command.name === 'doctor') return doctorCommand(command, io);
  if (command.name === 'status') return statusCommand(command, io);
  if (command.name === 'explain') return explainCommand(command, io);
  return refreshCommand(command, io);
}

function runtimeFor(command: CliCommand, io: CliIo) {
  return {
    env: io.env,
    writeLog: (line: string) => io.stderr(`${line}\n`),
    defaultLogLevel: command.verbose ? ('info' as const) : ('warn' as const),
    correlationId: randomUUID(),
  };
}

async function doctorCommand(command: CliCommand, io: CliIo): Promise<number> {
  let config: Config;
  try {
    config = loadConfigFile(command.configPath);
  } catch (error) {
    const problems = error instanceof ConfigError ? error.problems : [describeError(error)];
    const checks: Check[] = problems.map((problem) => ({ check: 'config', status: 'fail', detail: problem, fix: 'fix the named field (validate-config shows the same)' }));
    io.stdout(command.json ? `${JSON.stringify({ exitCode: 2, checks }, null, 2)}\n` : formatChecks(checks));
    return EXIT.usage;
  }
  const runtime = runtimeFor(command, io);
  const observability = buildObservability(runtime);
  const checks = await runDoctor(config, await buildDoctorPorts(config, runtime, observability));
  const exitCode = doctorExitCode(checks);
  const text = command.json ? `${JSON.stringify({ exitCode, checks }, null, 2)}\n` : formatChecks(checks);
  io.stdout(observability.redactor.scrub(text));
  return exitCode;
}

async function statusCommand(command: CliCommand, io: CliIo): Promise<number> {
  const runtime = runtimeFor(command, io);
  const observability = buildObservability(runtime);
  try {
    const config = loadConfigFile(command.configPath);
    const { variables, secrets, callerAccount } = await buildStatusDeps(config, runtime, observability);
    // Asked only when a registry has no account of its own: each call is an sts:GetCallerIdentity.
    const account = needsCallerAccount(config.registries) ? await callerAccount().catch(() => undefined) : undefined;
    const report = await collectStatus(config, variables, secrets, Date.now(), account);
    io.stdout(observability.redactor.scrub(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report)));
    return report.ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (error instanceof ConfigError) return reportUsageError(error, io);
    io.stderr(`error: ${observability.redactor.scrub(describeError(error))}\n`);
    return EXIT.failed;
  }
}

/**
 * `explain`: read-only. Exit 0 the pull would authenticate, 1 it would not, 2 cannot tell — also when
 * GitLab cannot answer at all (the project is not visible, the token is refused) or the arguments are bad.
 */
async function explainCommand(command: CliCommand, io: CliIo): Promise<number> {
  const runtime = runtimeFor(command, io);
  const observability = buildObservability(runtime);
  const args = command.explain as NonNullable<CliCommand['explain']>;
  try {
    const config = loadConfigFile(command.configPath);
    const ports = await buildExplainPorts(config, runtime, observability);
    const jobSecret = args.profile === undefined ? undefined : await readProfileJobSecret(config, args.profile, observability);
    const report = await explainPull(
      { project: args.project, image: args.image, environment: args.environment, ref: args.ref, protectedRef: args.protectedRef || undefined, probe: args.probe, jobSecret },
      ports,
    );
    io.stdout(observability.redactor.scrub(command.json ? `${JSON.stringify(report, null, 2)}\n` : formatExplain(report)));
    return report.verdict.exitCode;
  } catch (error) {
    if (error instanceof ConfigError) return reportUsageError(error, io);
    io.stderr(`error: cannot tell: ${observability.redactor.scrub(describeError(error))}\n`);
    return EXIT.usage;
  }
}

function validateConfigCommand(command: CliCommand, io: CliIo): number {
  try {
    const config = loadConfigFile(command.configPath);
    const profiles = config.profiles.length > 0 ? `, ${config.profiles.length} profiles` : '';
    io.stdout(`${command.configPath}: valid (${config.registries.length} registries, ${config.targets.length} targets${profiles})\n`);
    for (const warning of configWarnings(config)) io.stderr(`warning: ${warning.path}: ${warning.detail}; ${warning.fix}\n`);
    return EXIT.ok;
  } catch (error) {
    return reportUsageError(error, io);
  }
}

async function refreshCommand(command: CliCommand, io: CliIo): Promise<number> {
  const runtime = runtimeFor(command, io);
  const observability = buildObservability(runtime);
  try {
    const config = loadConfigFile(command.configPath);
    const { deps } = await buildRefreshDeps(config, runtime, observability);
    if (io.interactive && !command.json) deps.onTargetDone = createProgress(io.stderr);
    const selection = { targets: command.targets, registries: command.registries, profiles: command.profiles };
    const summary = await runRefresh(config, { dryRun: command.dryRun, selection }, deps);
    const text = command.json ? `${JSON.stringify(summary, null, 2)}\n` : formatSummary(summary);
    io.stdout(observability.redactor.scrub(text));
    return summary.ok ? EXIT.ok : EXIT.failed;
  } catch (error) {
    if (error instanceof ConfigError) return reportUsageError(error, io);
    io.stderr(`error: ${observability.redactor.scrub(describeError(error))}\n`);
    return EXIT.failed;
  }
}

function reportUsageError(error: unknown, io: CliIo): number {
  if (!(error instanceof ConfigError)) {
    io.stderr(`error: ${describeError(error)}\n`);
    return EXIT.failed;
  }
  io.stderr(`${error.problems.map((problem) => `error: ${problem}`).join('\n')}\n`);
  return EXIT.usage;
}
