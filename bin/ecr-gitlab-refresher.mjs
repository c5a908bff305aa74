#!/usr/bin/env node
// The CLI is bundled to dist/cli.mjs by `npm run build`, which `npm ci` and `npm install` run (prepare).
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.mjs', import.meta.url);
if (!existsSync(cli)) {
  console.error('ecr-gitlab-refresher: dist/cli.mjs is missing; run `npm run build` (npm ci builds it unless run with --ignore-scripts)');
  process.exit(1);
}
await import(cli.href);
