import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/process.js';
import { ROOT } from '../support/serverless.js';

/** The working tree as a fresh clone has it: tracked and new files, nothing ignored (no node_modules, no dist). */
function freshCopy(): string {
  const copy = mkdtempSync(join(tmpdir(), 'fresh-clone-'));
  const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(ROOT, file), join(copy, file));
  }
  return copy;
}

describe('the repository as CI installs it', () => {
  it('has a lock file that npm ci accepts (it fails when package.json drifts from it)', () => {
    const run = spawnSync('npm', ['ci', '--dry-run', '--no-audit', '--no-fund'], { cwd: ROOT, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
  });

  it('locks every platform binary of Biome, so npm ci works on macOS, Windows and musl too', () => {
    const lock = JSON.parse(readFileSync(`${ROOT}/package-lock.json`, 'utf8')) as { packages: Record<string, { optionalDependencies?: Record<string, string> }> };
    const biome = lock.packages['node_modules/@biomejs/biome'];
    const platforms = Object.keys(biome?.optionalDependencies ?? {});
    expect(platforms.length).toBeGreaterThanOrEqual(8);
    for (const name of platforms) expect(lock.packages[`node_modules/${name}`], name).toBeDefined();
    expect(execFileSync('git', ['ls-files', 'package-lock.json'], { cwd: ROOT, encoding: 'utf8' }).trim()).toBe('package-lock.json');
  });

  it('runs the bin right after `npm ci` in a fresh copy (prepare builds the CLI), and says how to build when dist/ is gone', async () => {
    const copy = freshCopy();
    try {
      expect(existsSync(join(copy, 'dist'))).toBe(false);
      const install = await runProcess('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: copy });
      expect(install.code, install.stderr).toBe(0);
      const cli = await runProcess('npx', ['--no-install', 'ecr-gitlab-refresher', 'validate-config', '--config', 'config/dev.yml'], { cwd: copy });
      expect(cli.code, cli.stderr).toBe(0);
      expect(cli.stdout).toBe('config/dev.yml: valid (3 registries, 2 targets)\n');

      rmSync(join(copy, 'dist'), { recursive: true });
      const unbuilt = await runProcess('npx', ['--no-install', 'ecr-gitlab-refresher', '--help'], { cwd: copy });
      expect(unbuilt.code).toBe(1);
      expect(unbuilt.stderr).toContain('dist/cli.mjs is missing; run `npm run build`');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }, 300_000);
});
