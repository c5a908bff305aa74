// Loads and validates the refresher config at packaging time with the same code the CLI uses
// (src/config/parse.ts, compiled on the fly by esbuild), so an invalid config fails
// `serverless package` / `deploy` with the CLI's field-path errors, before anything is uploaded.
const { buildSync } = require('esbuild');
const { readFileSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
let parser;
let profileTrust;

/** TypeScript modules of the project (an `export … from` list), bundled in memory and loaded as CommonJS. */
function compile(exports) {
  const output = buildSync({
    stdin: { contents: exports, resolveDir: root, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'cjs',
    write: false,
    logLevel: 'silent',
  });
  const module = { exports: {} };
  new Function('module', 'exports', 'require', output.outputFiles[0].text)(module, module.exports, require);
  return module.exports;
}

function loadParser() {
  if (!parser) parser = compile("export { parseConfigText } from './src/config/parse.ts'; export { withCaCertificatesFile } from './src/config/ca-certificates.ts';");
  return parser;
}

/** src/domain/profile-trust.ts: the stack's profile roles trust exactly what doctor expects to find. */
function loadProfileTrust() {
  if (!profileTrust) profileTrust = compile("export * from './src/domain/profile-trust.ts';");
  return profileTrust;
}

class RefresherConfigError extends Error {
  constructor(file, problems) {
    super(`Invalid refresher config ${file}:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
    this.name = 'RefresherConfigError';
  }
}

/**
 * The validated config object with the files it names read and checked (the CA bundle is then part of
 * the config the function bundles), or a RefresherConfigError listing every "path: reason".
 */
function loadRefresherConfig(file) {
  const absolute = path.resolve(root, file);
  let text;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    throw new RefresherConfigError(file, [`cannot read the file (${error.code}); create it or pass --param="config=PATH"`]);
  }
  try {
    const { parseConfigText, withCaCertificatesFile } = loadParser();
    return withCaCertificatesFile(parseConfigText(text, file), path.dirname(absolute));
  } catch (error) {
    if (error && error.name === 'ConfigError') throw new RefresherConfigError(file, error.problems);
    throw error;
  }
}

module.exports = { loadRefresherConfig, loadProfileTrust, RefresherConfigError };
