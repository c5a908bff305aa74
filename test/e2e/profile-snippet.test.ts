import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCliProcess } from '../support/cli-process.js';
import { runProcess } from '../support/process.js';

/** gitlab-ci-local 4.70.1 (pinned devDependency) bundles GitLab's CI JSON schema, aws_secrets_manager included. */
const GITLAB_CI_LOCAL = fileURLToPath(new URL('../../node_modules/gitlab-ci-local/dist/index.js', import.meta.url));
const ROLE_ARN = 'arn:aws:iam::123456789012:role/ecr-gitlab-refresher-prod-ProfileProdRole-AbC';

const config = {
  registries: [{ name: 'prod', accountId: '111111111111', regions: ['eu-west-1'] }],
  profiles: [{ name: 'prod', registries: ['prod'], projects: ['platform/*'], refs: ['branch:main', 'tag:v*'] }],
  oidc: { issuer: 'https://gitlab.example.com' },
};

let work: string;
let configPath: string;
let snippet: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'profile-snippet-'));
  configPath = join(work, 'refresher.yml');
  writeFileSync(configPath, stringify(config));
  const run = await runCliProcess(['profile', 'snippet', 'prod', '--config', configPath, '--region', 'eu-west-1', '--role-arn', ROLE_ARN], {});
  expect(run.code, run.stderr).toBe(0);
  expect(run.stderr).toBe('');
  snippet = run.stdout;
});

/** A git repository whose .gitlab-ci.yml includes the snippet file and has a job that extends it. */
function repositoryWith(snippet: string): string {
  const repo = mkdtempSync(join(work, 'repo-'));
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  mkdirSync(join(repo, 'ci'));
  writeFileSync(join(repo, 'ci', 'ecr-profile-prod.yml'), snippet);
  writeFileSync(
    join(repo, '.gitlab-ci.yml'),
    stringify({
      include: [{ local: 'ci/ecr-profile-prod.yml' }],
      build: { extends: '.ecr-profile-prod', image: '111111111111.dkr.ecr.eu-west-1.amazonaws.com/platform/app:1', script: ['make'] },
    }),
  );
  // gitlab-ci-local reads local includes from the repository's commits, as GitLab does.
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args]);
  git('add', '.');
  git('commit', '-q', '-m', 'ci');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/platform/app.git');
  return repo;
}

const gitlabCiLocal = (repo: string, ...args: string[]) => runProcess(process.execPath, [GITLAB_CI_LOCAL, ...args], { cwd: repo, env: { ...process.env, NO_COLOR: '1' } });

describe('CLI: profile snippet, validated by gitlab-ci-local against GitLab CI schema', () => {
  it('prints a snippet that GitLab accepts and that a job can extend: ID token, secret with its token, AWS variables', async () => {
    const repo = repositoryWith(snippet);
    const list = await gitlabCiLocal(repo, '--list');
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^build\s/m);
    const preview = await gitlabCiLocal(repo, '--preview');
    expect(preview.code, preview.stderr).toBe(0);
    const build = parse(preview.stdout).build;
    expect(build.id_tokens).toEqual({ ECR_PROFILE_ID_TOKEN: { aud: 'sts.amazonaws.com' } });
    expect(build.secrets).toEqual({
      DOCKER_AUTH_CONFIG: { aws_secrets_manager: { secret_id: 'ecr-gitlab-refresher/profiles/prod', region: 'eu-west-1' }, token: '$ECR_PROFILE_ID_TOKEN', file: false },
    });
    expect(build.variables).toEqual({ AWS_REGION: 'eu-west-1', AWS_ROLE_ARN: ROLE_ARN });
  });

  it('a misspelt secret_id fails the schema', async () => {
    const repo = repositoryWith(snippet.replace('secret_id:', 'secretid:'));
    const list = await gitlabCiLocal(repo, '--list');
    expect(list.code).not.toBe(0);
    expect(list.stdout + list.stderr).toContain("must have required property 'secret_id'");
    expect(readFileSync(join(repo, 'ci', 'ecr-profile-prod.yml'), 'utf8')).toContain('secretid:');
  });

  it('the runner-role variant (no ID token) is valid too; without --role-arn the placeholder names the stack output', async () => {
    const runner = await runCliProcess(['profile', 'snippet', 'prod', '--config', configPath, '--runner-role'], { AWS_REGION: 'eu-west-1' });
    expect(runner.code, runner.stderr).toBe(0);
    const list = await gitlabCiLocal(repositoryWith(runner.stdout), '--list');
    expect(list.code, list.stdout + list.stderr).toBe(0);
    const placeholder = await runCliProcess(['profile', 'snippet', 'prod', '--config', configPath, '--region', 'eu-west-1'], {});
    expect(placeholder.stdout).toContain('AWS_ROLE_ARN: "REPLACE-WITH-STACK-OUTPUT-ProfileProdRoleArn"');
    expect(placeholder.stderr).toBe('note: AWS_ROLE_ARN is a placeholder: pass --role-arn with the stack output ProfileProdRoleArn\n');
  });

  it('refuses an unknown profile and a missing region with exit 2', async () => {
    const unknown = await runCliProcess(['profile', 'snippet', 'nope', '--config', configPath, '--region', 'eu-west-1'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe('error: profile "nope": not in the config (known: prod)\n');
    const noRegion = await runCliProcess(['profile', 'snippet', 'prod', '--config', configPath], { AWS_REGION: '', AWS_DEFAULT_REGION: '' });
    expect(noRegion.code).toBe(2);
    expect(noRegion.stderr).toBe('error: --region: required (the region of the stack and its secrets), or set AWS_REGION\n');
  });
});
