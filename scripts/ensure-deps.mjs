#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies when node_modules is missing or older than
// the lock file, and checks for moto_server (the AWS emulator the tests and the demo use).
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  // `npm install` rather than `npm ci`: npm 11 writes lock files without the other platforms' optional
  // binaries (Biome's), which `npm ci` then rejects as out of sync; install still honours the lock.
  console.error('ensure-deps: installing npm dependencies…');
  execSync('npm install --no-audit --no-fund', { stdio: 'inherit' });
}

if (spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' }).status !== 0) {
  console.error('ensure-deps: moto_server is missing. Install it with: pip install "moto[server]==5.2.1"');
  process.exit(1);
}
