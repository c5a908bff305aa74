import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCli } from '../../src/cli/args.js';
import { parsePublishArgs } from '../../src/cli/helper-publish.js';
import { parseProfileArgs } from '../../src/cli/profile-snippet.js';
import { ConfigError } from '../../src/errors.js';
import { type DocCommand, extractCommands, SUBSTITUTED, shellWords, synopsisForms } from '../support/doc-commands.js';

/**
 * "Every command in README and docs is exercised by a test or the demo": each command a reader can copy
 * is checked against what it names — the CLI's own argument parsers, package.json's scripts,
 * serverless.yml's functions and parameters — or is listed below with the test that runs it, or why it
 * cannot run here. A doc that drifts from the code fails this test.
 */

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const exists = (path: string) => existsSync(new URL(path, root));
const DOCS = [
  'README.md',
  ...readdirSync(new URL('docs/', root))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];
const COMMANDS = DOCS.flatMap((file) => extractCommands(file, read(file)));

/** Commands this test cannot check by parsing: where each runs, or why it does not. */
const ELSEWHERE: Array<{ prefix: string; test?: string; why?: string }> = [
  { prefix: 'moto_server -H 127.0.0.1 -p', test: 'test/support/moto.ts' },
  { prefix: 'export AWS_ENDPOINT_URL=http://127.0.0.1:5000 AWS_ACCESS_KEY_ID=testing', test: 'test/e2e/serverless.test.ts' },
  { prefix: 'aws secretsmanager ', test: 'test/integration/doc-aws-commands.test.ts' },
  { prefix: 'aws kms ', test: 'test/integration/doc-aws-commands.test.ts' },
  {
    prefix: 'aws cloudformation describe-stacks --stack-name ecr-gitlab-refresher-prod',
    why: "reads a profile role's ARN from the stack outputs; moto reports no outputs for this stack (it skips the Function URL the outputs refer to, see docs/deploy.md)",
  },
  { prefix: 'aws ecr get-login-password', why: 'the per-job login this tool replaces: the docs name it as what to remove, not as a step to run' },
];

/** Where each documented npm script runs, or why no test runs it. */
const NPM_SCRIPTS: Record<string, { test?: string; why?: string }> = {
  demo: { test: 'test/e2e/demo.test.ts' },
  test: { test: '.ci/run' },
  build: { test: 'test/support/global-setup.ts' },
  package: { test: 'test/e2e/serverless.test.ts' },
  'docs:config': { test: 'test/unit/config-reference.test.ts' },
  'bench:refresh': { why: 'a benchmark, not a test: minutes of load on purpose; docs/benchmarks.md holds its last numbers' },
  'bench:cold-start': { why: 'a benchmark, not a test: it packages the service and times nine cold imports; docs/benchmarks.md holds its numbers' },
};

/** What the listed test file holds when it really runs the script's command. */
const RUNS_SCRIPT: Record<string, string> = { demo: 'scripts/demo.ts', test: 'npm test', build: 'scripts/build.mjs', package: "'package'", 'docs:config': 'configJsonSchemaText' };

/** Where each documented serverless command runs (against moto), or why it cannot. */
const SERVERLESS_COMMANDS: Record<string, { test?: string; why?: string }> = {
  package: { test: 'test/e2e/serverless.test.ts' },
  deploy: { test: 'test/e2e/serverless.test.ts' },
  info: { test: 'test/e2e/serverless.test.ts' },
  remove: { test: 'test/e2e/serverless.test.ts' },
  'invoke local': { test: 'test/e2e/serverless.test.ts' },
  invoke: { why: 'invokes the deployed function in AWS; moto runs Lambda code only in Docker containers, and the test machines have no Docker daemon' },
};

/** A listed place: the test file exists and names the command, or a reason is given. */
function expectExercised(entry: { test?: string; why?: string } | undefined, command: string, mentions: string): void {
  expect(entry, `say where "${command}" runs, or why it cannot`).toBeDefined();
  if (entry?.test) expect(read(entry.test), `${entry.test} runs ${command}`).toContain(mentions);
  else expect(entry?.why?.length).toBeGreaterThan(20);
}

/** A value for each placeholder a flag takes in the docs (FILE, PATH, <digest>, …). */
const SAMPLES: Record<string, string> = {
  '--config': 'refresher.config.example.yml',
  '--target': 'project:platform/api',
  '--registry': 'prod',
  '--profile': 'prod',
  '--project': 'platform/api',
  '--image': '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1',
  '--environment': 'production',
  '--ref': 'main',
  '--version': '0.12.0',
  '--bucket': 'my-helper-bucket',
  '--sha256': 'a'.repeat(64),
  '--from-file': './docker-credential-ecr-login',
  '--region': 'eu-west-1',
  '--role-arn': 'arn:aws:iam::123456789012:role/profile',
  '--targets': '10',
  '--concurrency': '12',
};
const isPlaceholder = (word: string) => /^[A-Z][A-Z_/]*$/.test(word) || /^<.+>$/.test(word) || word === SUBSTITUTED;

function fillPlaceholders(words: string[]): string[] {
  return words.map((word, index) => {
    if (!isPlaceholder(word)) return word;
    const flag = words[index - 1] ?? '';
    return SAMPLES[flag] ?? 'prod';
  });
}

/** The words after the environment assignments in front (`FOO=1 npx …`). */
function commandWords(text: string): string[] {
  const words = shellWords(text);
  while (words[0] && /^[A-Z_]+=/.test(words[0])) words.shift();
  return words;
}

/** Our CLI's own parsers, as `bin/ecr-gitlab-refresher.mjs` dispatches them; a bad argument throws ConfigError. */
function parseOurCli(argv: string[]): void {
  if (argv[0] === 'helper') {
    if (argv[1] !== 'publish') throw new ConfigError([`arguments: unknown helper command "${argv[1]}"`]);
    parsePublishArgs(argv.slice(2));
  } else if (argv[0] === 'profile') parseProfileArgs(argv.slice(1));
  else parseCli(argv, {});
}

function problemsOf(argv: string[]): string[] {
  try {
    parseOurCli(argv);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const ourCli = (words: string[]) => (words[0] === 'npx' ? words.slice(1) : words)[0] === 'ecr-gitlab-refresher';
const kind = (command: DocCommand) => {
  const words = commandWords(command.text);
  const [first, second] = words[0] === 'npx' ? words.slice(1) : words;
  if (ourCli(words)) return 'cli';
  if (first === 'npm' && (second === 'run' || second === 'test')) return 'npm';
  if (first === 'serverless') return 'serverless';
  if (first === 'vitest') return 'vitest';
  return 'other';
};
const byKind = (wanted: string) => COMMANDS.filter((command) => kind(command) === wanted).map((command) => [`${command.file}:${command.line} ${command.text}`, command] as const);

describe('Docs: every command in README.md and docs/ is checked', () => {
  it('finds the commands the docs show (README quick start included)', () => {
    expect(COMMANDS.length).toBeGreaterThan(50);
    const readme = COMMANDS.filter((command) => command.file === 'README.md').map((command) => command.text);
    expect(readme).toEqual(expect.arrayContaining(['npm run demo', 'npm test']));
    for (const wanted of ['cli', 'npm', 'serverless', 'vitest', 'other']) expect(byKind(wanted).length, wanted).toBeGreaterThan(0);
  });

  it.each(byKind('cli'))('%s parses with the CLI its own argument parser', (_label, command) => {
    const words = commandWords(command.text);
    const argv = (words[0] === 'npx' ? words.slice(2) : words.slice(1)).filter(Boolean);
    if (!command.synopsis) {
      expect(problemsOf(fillPlaceholders(argv))).toEqual([]);
      return;
    }
    // A usage line: the bare form must parse; each optional part alone must at least be a flag the parser knows.
    const [minimal, ...withOption] = synopsisForms(command.text).map((form) => fillPlaceholders(commandWords(form).slice(words[0] === 'npx' ? 2 : 1)));
    expect(problemsOf(minimal as string[])).toEqual([]);
    expect(withOption.length).toBeGreaterThan(0);
    for (const form of withOption) expect(problemsOf(form).filter((problem) => problem.startsWith('arguments:'))).toEqual([]);
  });

  it.each(byKind('npm'))('%s names a script in package.json', (_label, command) => {
    const scripts = JSON.parse(read('package.json')).scripts as Record<string, string>;
    const words = commandWords(command.text);
    const script = (words[1] === 'test' ? 'test' : words[2]) as string;
    expect(Object.keys(scripts)).toContain(script);
    expectExercised(NPM_SCRIPTS[script], `npm run ${script}`, RUNS_SCRIPT[script] ?? script);
    // Flags after `--` go to the script's own entry file, which must declare them.
    const flags = (command.synopsis ? synopsisForms(command.text).flatMap(commandWords) : words).filter((word) => /^--\w/.test(word));
    const entry = /tsx (\S+)$/.exec(scripts[script] ?? '')?.[1];
    if (flags.length > 0) expect(entry, `${script} runs a file that takes flags`).toBeDefined();
    for (const flag of flags) expect(read(entry as string), `${entry} takes ${flag}`).toMatch(new RegExp(`['\\s{]${flag.slice(2)}['"]?:`));
  });

  it.each(byKind('serverless'))('%s uses what serverless.yml declares', (_label, command) => {
    const yml = read('serverless.yml');
    const params = new Set([...(/\nparams:\n {2}default:\n((?: {4}.*\n|\n)+)/.exec(yml)?.[1] ?? '').matchAll(/^ {4}(\w+):/gm)].map((match) => match[1]));
    const functions = new Set([...(/\nfunctions:\n((?: {2}.*\n|\n)+)/.exec(yml)?.[1] ?? '').matchAll(/^ {2}(\w+):$/gm)].map((match) => match[1]));
    expect(params.size).toBeGreaterThan(5);
    expect(functions).toEqual(new Set(['refresh', 'helperUrl']));
    const words = commandWords(command.text);
    const args = (words[0] === 'npx' ? words.slice(2) : words.slice(1)).filter(Boolean);
    const subcommand = args[0] === 'invoke' && args[1] === 'local' ? 'invoke local' : (args[0] as string);
    expectExercised(SERVERLESS_COMMANDS[subcommand], `serverless ${subcommand}`, `'${subcommand.replace(' ', "', '")}'`);
    for (let index = 1; index < args.length; index++) {
      const arg = args[index] as string;
      const value = args[index + 1] ?? '';
      if (arg === 'local' && args[0] === 'invoke' && index === 1) continue;
      if (arg.startsWith('--param=')) expect(params, arg).toContain(arg.slice('--param='.length).split('=')[0]);
      else if (arg === '-f' || arg === '--function') expect(functions, arg).toContain(value);
      else if (arg === '--path') expect(exists(value), value).toBe(true);
      else if (arg === '--stage' || arg === '--package') expect(value).not.toMatch(/^-/);
      else throw new Error(`${command.file}:${command.line}: "${arg}" is not an option this test knows serverless to take`);
      if (!arg.startsWith('--param=')) index++;
    }
  });

  it.each(byKind('vitest'))('%s runs test files that exist', (_label, command) => {
    const files = commandWords(command.text).filter((word) => word.startsWith('test/'));
    for (const file of files) expect(exists(file), file).toBe(true);
    // `…` stands for the file of the line above; nothing else may be elided.
    expect(commandWords(command.text).filter((word) => !word.startsWith('test/') && !['npx', 'vitest', 'run', '…'].includes(word))).toEqual([]);
  });

  it.each(byKind('other'))('%s is listed with the test that runs it, or why it cannot run here', (_label, command) => {
    const entry = ELSEWHERE.find((candidate) => command.text.startsWith(candidate.prefix));
    expect(entry, 'add the command to ELSEWHERE with its test file or the reason').toBeDefined();
    if (entry?.test) expect(exists(entry.test), entry.test).toBe(true);
    else expect(entry?.why?.length).toBeGreaterThan(20);
  });

  it('lists nothing the docs no longer show', () => {
    const others = byKind('other').map(([, command]) => command.text);
    expect(ELSEWHERE.filter((entry) => !others.some((text) => text.startsWith(entry.prefix))).map((entry) => entry.prefix)).toEqual([]);
  });
});

describe('Function: extractCommands', () => {
  it('joins continuations, drops comments outside quotes, takes $ lines of text blocks, and inline commands of this project', () => {
    const page = [
      'Run `npm run demo` or `npm test`, not `serverless deploy`; `aws` alone is a name.',
      '```sh',
      'npx serverless deploy --stage prod \\',
      '  --param="noProxy=a#b"   # a comment',
      '```',
      '```text',
      '$ ecr-gitlab-refresher status',
      'ok    output, not a command',
      '```',
      '```yaml',
      'script: [npm test]',
      '```',
    ].join('\n');
    expect(extractCommands('page.md', page).map(({ line, text, synopsis }) => ({ line, text, synopsis }))).toEqual([
      { line: 1, text: 'npm run demo', synopsis: false },
      { line: 1, text: 'npm test', synopsis: false },
      { line: 3, text: 'npx serverless deploy --stage prod --param="noProxy=a#b"', synopsis: false },
      { line: 7, text: 'ecr-gitlab-refresher status', synopsis: false },
    ]);
  });

  it('makes a command substitution its own command and marks usage lines', () => {
    const page = ['```sh', 'tool --arn "$(aws sts get-caller-identity --query Arn)"', 'tool [--json] [--target project:PATH|group:PATH]...', '```'].join('\n');
    const [inner, outer, usage] = extractCommands('page.md', page);
    expect(inner?.text).toBe('aws sts get-caller-identity --query Arn');
    expect(outer?.text).toBe(`tool --arn ${SUBSTITUTED}`);
    expect(usage?.synopsis).toBe(true);
    expect(synopsisForms(usage?.text ?? '')).toEqual(['tool', 'tool --json', 'tool --target project:PATH']);
  });

  it('catches a drifted command: an unknown flag fails the CLI parser', () => {
    expect(problemsOf(['refresh', '--dryrun'])).toEqual([expect.stringMatching(/^arguments: Unknown option '--dryrun'/)]);
    expect(problemsOf(['profile', 'snippet', 'prod', '--role', 'x'])).toEqual([expect.stringMatching(/^arguments: Unknown option '--role'/)]);
  });
});
