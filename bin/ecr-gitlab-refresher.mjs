#!/usr/bin/env node
// Built by `npm run build` (esbuild): dist/cli.mjs.
import '../dist/cli.mjs';
