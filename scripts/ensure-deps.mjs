#!/usr/bin/env node
// Makes a fresh clone runnable: installs npm dependencies with `npm ci` (exactly the lock file; it fails
// when package.json and package-lock.json drift apart) when node_modules is missing or older than the lock
// file, and checks for moto_server (the AWS emulator the tests and the demo use).
import { execSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync('package-lock.json').mtimeMs;
if (stale) {
  console.error('ensure-deps: installing npm dependencies (npm ci)…');
  execSync('npm ci --no-audit --no-fund', { stdio: 'inherit' });
}

if (spawnSync('sh', ['-c', 'command -v moto_server'], { stdio: 'ignore' }).status !== 0) {
  console.error('ensure-deps: moto_server is missing. Install it with: pip install "moto[server]==5.2.1"');
  process.exit(1);
}
