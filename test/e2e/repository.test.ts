import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/serverless.js';

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
});
