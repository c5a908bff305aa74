import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/process.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const VITEST = new URL('../../node_modules/vitest/vitest.mjs', import.meta.url).pathname;

/** Runs the fixture's real-client tests (one binary present, one missing) in a vitest of their own. */
function runFixture(env: Record<string, string>) {
  const { CI: _ignored, ...inherited } = process.env;
  return runProcess(process.execPath, [VITEST, 'run', '--config', 'test/fixtures/vitest.config.ts', '--reporter=verbose'], {
    cwd: ROOT,
    env: { ...inherited, NO_COLOR: '1', ...env },
  });
}

describe('real-client tests whose binary is missing', () => {
  it('skip with the reason on a developer machine, and the run passes', async () => {
    const run = await runFixture({});
    const output = run.stdout + run.stderr;
    expect(run.code, output).toBe(0);
    expect(output).toContain('skipped "a suite that needs a missing binary": missing no-such-real-client-binary');
    expect(output).toMatch(/1 passed \| 2 skipped|2 skipped \| 1 passed/);
  });

  it('fail the run under CI=true, naming what is missing', async () => {
    const run = await runFixture({ CI: 'true' });
    const output = run.stdout + run.stderr;
    expect(run.code).toBe(1);
    expect(output).toContain(
      'a suite that needs a missing binary: missing no-such-real-client-binary (install no-such-real-client-binary); with CI=true a real-client test may not be skipped',
    );
    expect(output).toContain('a test that needs a missing binary: missing no-such-real-client-binary');
    expect(output).toMatch(/2 failed \| 1 passed/);
  });
});

describe('test files', () => {
  /** Every *.test.ts below test/ (fixtures included: they are the gate's own examples and use it). */
  const testFiles = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
      entry.isDirectory() ? testFiles(join(dir, entry.name)) : entry.name.endsWith('.test.ts') || entry.name.endsWith('.fixture.ts') ? [join(dir, entry.name)] : [],
    );

  it('never skip on a missing binary by hand: describeWithBinaries/itWithBinaries are the only way, so CI=true sees every skip', () => {
    const files = testFiles(join(ROOT, 'test'));
    expect(files.length).toBeGreaterThan(40);
    const bypasses = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, index) => (/\bhasBinary\(|\.skipIf\(/.test(line) ? [`${file.slice(ROOT.length)}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(bypasses).toEqual([]);
  });
});
