import { fileURLToPath } from 'node:url';
import { runProcess } from './process.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SERVERLESS = fileURLToPath(new URL('../../node_modules/osls/bin/serverless.js', import.meta.url));

/** Runs the project's own `serverless` (osls) offline: no AWS credentials, no network. */
export async function runServerless(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; output: string }> {
  const run = await runProcess(process.execPath, [SERVERLESS, ...args], {
    cwd: ROOT,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', ...env },
  });
  return { code: run.code, output: run.stdout + run.stderr };
}
