import { describe, expect, it } from 'vitest';
import { type DemoOutcome, demoProblems } from '../support/demo-verdict.js';
import { runProcess } from '../support/process.js';
import { ROOT } from '../support/serverless.js';

const TSX = new URL('../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;

describe('npm run demo', () => {
  it("ends green on a newcomer's first run: refresh, doctor and status exit 0 with 12-hour tokens", async () => {
    const run = await runProcess(process.execPath, [TSX, 'scripts/demo.ts'], { cwd: ROOT, env: process.env });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout.match(/^exit code \d+$/gm)).toEqual(['exit code 0', 'exit code 0', 'exit code 0']);
    expect(run.stdout).toMatch(/^\d+ ok, 0 warnings, 0 failures$/m);
    expect(run.stdout).not.toMatch(/expired|EXPIRED/);
    expect(run.stdout).toMatch(/^project:platform\/api +DOCKER_AUTH_CONFIG +\* +ok +\S+ +in 11h5\dm /m);
    expect(run.stdout).toContain('Demo verdict: all is well.');
  }, 120_000);
});

describe('Function: demoProblems', () => {
  const green: DemoOutcome = { exitCodes: { refresh: 0, doctor: 0, status: 0 }, dockerHubKept: true, shadowingCovered: true };

  it('is empty only when every command exited 0 and both merges held', () => {
    expect(demoProblems(green)).toEqual([]);
  });

  it('names each command that did not exit 0, and each merge that did not hold', () => {
    expect(demoProblems({ ...green, exitCodes: { refresh: 0, doctor: 1, status: 1 } })).toEqual([
      'doctor exited 1 (see its output above)',
      'status exited 1 (see its output above)',
    ]);
    expect(demoProblems({ exitCodes: { refresh: 2, doctor: 0, status: null }, dockerHubKept: false, shadowingCovered: false })).toEqual([
      'refresh exited 2 (see its output above)',
      'status exited null (see its output above)',
      'the Docker Hub entry seeded in platform/api was lost',
      'platform/backend/worker was not covered: it lacks the ECR entries or lost its quay.io entry',
    ]);
  });
});
