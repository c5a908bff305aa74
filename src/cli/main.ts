import { randomUUID } from 'node:crypto';
import { loadConfigFile } from '../config/load.js';
import { runRefresh } from '../core/refresh.js';
import { ConfigError, describeError } from '../errors.js';
import { buildObservability, buildRefreshDeps } from '../wiring.js';
import { type CliCommand, parseCli, USAGE } from './args.js';
import { formatSummary } from './output.js';

export const VERSION = '0.1.0';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Runs one CLI invocation and returns its exit code; the bin script is the only caller of process.exit. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
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
  return refreshCommand(command, io);
}

function validateConfigCommand(command: CliCommand, io: CliIo): number {
  try {
    const config = loadConfigFile(command.configPath);
    io.stdout(`${command.configPath}: valid (${config.registries.length} registries, ${config.targets.length} targets)\n`);
    return EXIT.ok;
  } catch (error) {
    return reportUsageError(error, io);
  }
}

async function refreshCommand(command: CliCommand, io: CliIo): Promise<number> {
  const runtime = {
    env: io.env,
    writeLog: (line: string) => io.stderr(`${line}\n`),
    defaultLogLevel: command.verbose ? ('info' as const) : ('warn' as const),
    correlationId: randomUUID(),
  };
  const observability = buildObservability(runtime);
  try {
    const config = loadConfigFile(command.configPath);
    const { deps } = await buildRefreshDeps(config, runtime, observability);
    const summary = await runRefresh(config, { dryRun: command.dryRun, selection: { targets: command.targets, registries: command.registries } }, deps);
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
