import { fileURLToPath } from 'node:url';
import { type ProcessRun, runProcess } from './process.js';

export const CLI_BIN = fileURLToPath(new URL('../../bin/ecr-gitlab-refresher.mjs', import.meta.url));

export type CliRun = ProcessRun;

/** Runs the built CLI in a child process with extra environment. */
export function runCliProcess(args: string[], env: Record<string, string | undefined>, nodeOptions: string[] = []): Promise<CliRun> {
  return runProcess(process.execPath, [...nodeOptions, CLI_BIN, ...args], { env: { ...process.env, ...env } });
}
