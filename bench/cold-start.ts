/**
 * `npm run bench:cold-start`: packages the service offline, then reports each function's zip size and
 * the time to import its bundled handler in a fresh Node process (median of several runs), against the
 * budgets: zip ≤ 1 MB, import ≤ 150 ms.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runServerless } from '../test/support/serverless.js';

const RUNS = 9;
const BUDGET = { zipBytes: 1024 * 1024, importMs: 150 };

const out = mkdtempSync(join(tmpdir(), 'bench-cold-'));
const packaged = await runServerless(['package', '--stage', 'dev', '--package', out]);
if (packaged.code !== 0) throw new Error(`serverless package failed:\n${packaged.output}`);

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const rows = [['function', 'zip size', 'budget', 'import (median of 9)', 'budget', 'verdict']];
let allWithin = true;
for (const zip of readdirSync(out).filter((name) => name.endsWith('.zip'))) {
  const name = zip.replace(/\.zip$/, '');
  const dir = join(out, name);
  execFileSync('unzip', ['-q', join(out, zip), '-d', dir]);
  const handler = join(dir, 'src/handlers', readdirSync(join(dir, 'src/handlers')).find((file) => file.endsWith('.cjs')) as string);
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const probe = spawnSync(process.execPath, ['-e', `const t=process.hrtime.bigint();require(${JSON.stringify(handler)});console.log(Number(process.hrtime.bigint()-t)/1e6)`], {
      encoding: 'utf8',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    times.push(Number(probe.stdout.trim()));
  }
  const size = statSync(join(out, zip)).size;
  const ms = median(times);
  const ok = size <= BUDGET.zipBytes && ms <= BUDGET.importMs;
  allWithin &&= ok;
  rows.push([name, `${(size / 1024).toFixed(0)} KB`, '≤ 1024 KB', `${ms.toFixed(1)} ms`, '≤ 150 ms', ok ? 'within' : 'OVER']);
}
console.log(`Cold start: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version} (Lambda runs nodejs22.x on arm64)\n`);
console.log(rows.map((row) => `| ${row.join(' | ')} |`).join('\n').replace(/\n/, `\n|${' --- |'.repeat(rows[0]?.length ?? 0)}\n`));
process.exitCode = allWithin ? 0 : 1;
