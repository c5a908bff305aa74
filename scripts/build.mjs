#!/usr/bin/env node
// Bundles the CLI to dist/cli.mjs (dependencies stay in node_modules). Also npm's `prepare` step, so the
// bin works right after `npm ci`; an install without dev dependencies has no esbuild and skips it.
let esbuild;
try {
  esbuild = await import('esbuild');
} catch (error) {
  if (process.env.npm_lifecycle_event !== 'prepare') throw error;
  console.warn('build: esbuild is not installed (an install without dev dependencies), so dist/cli.mjs was not built');
  process.exit(0);
}

await esbuild.build({
  entryPoints: ['src/cli/index.ts'],
  outfile: 'dist/cli.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  logLevel: 'warning',
});
