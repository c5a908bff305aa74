import { runCli } from './main.js';

/** The process boundary: the only place that sets the exit code. */
const code = await runCli(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  interactive: process.stderr.isTTY === true,
});
process.exitCode = code;
