/**
 * `npm run demo`: a real refresh through the CLI against moto and the GitLab emulator, the merged
 * variables with every credential redacted, then doctor and status; green only when all of it is.
 */
import { redactDockerConfig } from '../src/core/formats/docker-auth.js';
import { runCliProcess } from '../test/support/cli-process.js';
import { demoProblems } from '../test/support/demo-verdict.js';
import { ECR_TOKEN_LIFETIME_SECONDS, startSandbox } from '../test/support/sandbox.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The group target covers the projects below it that would hide its value (coverShadowing). Tokens last
// 12 hours as on AWS (moto itself says they expired in 2015; the sandbox rewrites only that field).
const sandbox = await startSandbox({
  tokenLifetimeSeconds: ECR_TOKEN_LIFETIME_SECONDS,
  configOverrides: (config) => {
    const targets = config.targets as Array<Record<string, unknown>>;
    for (const target of targets) if (target.group) target.coverShadowing = true;
  },
});
try {
  console.log(`Sandbox: moto at ${sandbox.moto.url}, GitLab emulator at ${sandbox.gitlab.url}\n`);
  const run = async (command: 'refresh' | 'doctor' | 'status') => {
    console.log(`$ ecr-gitlab-refresher ${command} --config refresher.config.yml\n`);
    const result = await runCliProcess([command, '--config', sandbox.configPath], sandbox.env);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    console.log(`exit code ${result.code}\n`);
    return result.code;
  };
  const refresh = await run('refresh');

  const show = (label: string, owner: { project: number } | { group: number }, scope = '*') => {
    const variable = sandbox.gitlab.getVariable(owner, 'DOCKER_AUTH_CONFIG', scope);
    console.log(`${label} DOCKER_AUTH_CONFIG (scope ${scope}), credentials redacted:`);
    console.log(variable ? JSON.stringify(redactDockerConfig(JSON.parse(variable.value)), null, 2) : '(missing)');
    console.log();
  };
  show('project platform/api', { project: sandbox.ids.api as number });
  show('group platform', { group: sandbox.ids.platform as number });
  show('project platform/web', { project: sandbox.ids.web as number }, 'production');
  show("project platform/backend/worker (not a target: its own value hid the group's; covered through coverShadowing)", { project: sandbox.ids.worker as number });
  console.log("Note: the sandbox gives moto's ECR tokens AWS's 12-hour lifetime (moto answers 2015-01-01), so doctor and status judge real expiry times.\n");
  const doctor = await run('doctor');
  const status = await run('status');

  const api = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG')?.value ?? '';
  const worker = JSON.parse(sandbox.gitlab.getVariable({ project: sandbox.ids.worker as number }, 'DOCKER_AUTH_CONFIG')?.value ?? '{}');
  const problems = demoProblems({
    exitCodes: { refresh, doctor, status },
    dockerHubKept: api.includes('index.docker.io'),
    shadowingCovered: Object.keys(worker.auths ?? {}).some((host) => host.includes('.dkr.ecr.')) && 'quay.io' in (worker.auths ?? {}),
  });
  if (problems.length === 0) {
    console.log('Demo verdict: all is well. refresh, doctor and status exited 0; the seeded Docker Hub entry in platform/api was kept;');
    console.log('the shadowing project platform/backend/worker now holds the ECR entries too, its quay.io entry kept.');
  } else {
    console.log(`Demo verdict: ${problems.length} problem(s):`);
    for (const problem of problems) console.log(`- ${problem}`);
  }
  process.exitCode = problems.length === 0 ? 0 : 1;
} finally {
  await sandbox.stop();
}
