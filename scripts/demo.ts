/**
 * `npm run demo`: a real refresh through the CLI against moto and the GitLab emulator, then the merged
 * variables with every credential redacted.
 */
import { redactDockerConfig } from '../src/core/docker-auth.js';
import { runCliProcess } from '../test/support/cli-process.js';
import { startSandbox } from '../test/support/sandbox.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The group target covers the projects below it that would hide its value (coverShadowing).
const sandbox = await startSandbox({
  configOverrides: (config) => {
    const targets = config.targets as Array<Record<string, unknown>>;
    for (const target of targets) if (target.group) target.coverShadowing = true;
  },
});
try {
  console.log(`Sandbox: moto at ${sandbox.moto.url}, GitLab emulator at ${sandbox.gitlab.url}\n`);
  console.log('$ ecr-gitlab-refresher refresh --config refresher.config.yml\n');
  const run = await runCliProcess(['refresh', '--config', sandbox.configPath], sandbox.env);
  process.stdout.write(run.stdout);
  process.stderr.write(run.stderr);
  console.log(`exit code ${run.code}\n`);

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
  console.log('Note: moto reports every ECR token as expiring on 2015-01-01, so doctor and status below show');
  console.log('the entries as expired; against AWS they show about 12 hours.\n');
  for (const command of ['doctor', 'status']) {
    console.log(`$ ecr-gitlab-refresher ${command} --config refresher.config.yml\n`);
    const result = await runCliProcess([command, '--config', sandbox.configPath], sandbox.env);
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    console.log(`exit code ${result.code}\n`);
  }
  const kept = sandbox.gitlab.getVariable({ project: sandbox.ids.api as number }, 'DOCKER_AUTH_CONFIG')?.value.includes('index.docker.io');
  console.log(kept ? 'The seeded Docker Hub entry in platform/api was kept.' : 'ERROR: the Docker Hub entry was lost.');
  const worker = JSON.parse(sandbox.gitlab.getVariable({ project: sandbox.ids.worker as number }, 'DOCKER_AUTH_CONFIG')?.value ?? '{}');
  const covered = Object.keys(worker.auths ?? {}).some((host) => host.includes('.dkr.ecr.')) && 'quay.io' in (worker.auths ?? {});
  console.log(covered ? 'The shadowing project platform/backend/worker now holds the ECR entries too, its quay.io entry kept.' : 'ERROR: platform/backend/worker was not covered.');
  process.exitCode = run.code === 0 && kept && covered ? 0 : 1;
} finally {
  await sandbox.stop();
}
