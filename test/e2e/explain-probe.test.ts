import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliProcess } from '../support/cli-process.js';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';
import { type HtpasswdRegistry, startHtpasswdRegistry } from '../support/htpasswd-registry.js';
import { writeOciImage } from '../support/oci-image.js';
import { describeWithBinaries } from '../support/system-tools.js';

const TOKEN = 'glpat-explainProbe0000000000';
const PASSWORD = 'fresh-registry-password-0001';

/**
 * `explain --probe` against Debian's docker-registry with htpasswd auth (a Basic challenge, as ECR
 * gives): the CLI reads the job's DOCKER_AUTH_CONFIG from the GitLab emulator and asks the registry
 * with exactly those credentials; skopeo (--authfile) and the Docker CLI (config.json) get the same
 * value and must agree on every case.
 */
describeWithBinaries('explain --probe against a real registry, compared with skopeo and the Docker CLI', ['skopeo', 'docker-registry', 'htpasswd', 'docker'], () => {
  let gitlab: GitLabEmulator;
  let registry: HtpasswdRegistry;
  let address: string;
  let work: string;
  let configPath: string;
  let projectId: number;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'explain-probe-'));
    gitlab = new GitLabEmulator();
    await gitlab.start();
    const user = gitlab.addUser('explainer', { admin: true });
    gitlab.addToken(TOKEN, user);
    const group = gitlab.addGroup('platform');
    gitlab.addMember('group', group, user, ACCESS.owner);
    projectId = gitlab.addProject('platform/app');
    configPath = join(work, 'config.yml');
    writeFileSync(
      configPath,
      stringify({
        gitlab: { url: gitlab.url, allowInsecureHttp: true },
        registries: [{ name: 'prod', accountId: '111111111111', regions: ['us-east-1'] }],
        targets: [{ group: 'platform' }],
      }),
    );

    registry = await startHtpasswdRegistry(work, PASSWORD);
    address = registry.address;
    const seed = authFile('seed', PASSWORD);
    const push = spawnSync(
      'skopeo',
      ['--insecure-policy', 'copy', '--dest-tls-verify=false', '--authfile', seed, writeOciImage(join(work, 'image')), `docker://${address}/platform/app:v1`],
      {
        encoding: 'utf8',
      },
    );
    expect(push.status, push.stderr).toBe(0);
  }, 120_000);

  afterAll(async () => {
    registry?.stop();
    await gitlab?.stop();
  });

  const value = (password: string) => JSON.stringify({ auths: { [address]: { auth: Buffer.from(`AWS:${password}`).toString('base64') } } });

  function authFile(name: string, password: string): string {
    const file = join(work, `${name}.json`);
    writeFileSync(file, value(password));
    return file;
  }

  /** The same value as a Docker CLI config directory (Docker before 28.3 reads only config.json). */
  function dockerConfig(name: string, password: string): string {
    const dir = join(work, `docker-${name}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), value(password));
    return dir;
  }

  async function explain(password: string, image: string) {
    gitlab.clearVariables();
    gitlab.putVariable({ project: projectId }, { key: 'DOCKER_AUTH_CONFIG', value: value(password), raw: true, masked: true });
    const run = await runCliProcess(['explain', '--config', configPath, '--project', 'platform/app', '--image', image, '--probe', '--json'], { GITLAB_TOKEN: TOKEN });
    expect(run.stdout).not.toContain(password);
    expect(run.stdout).not.toContain(Buffer.from(`AWS:${password}`).toString('base64'));
    return { code: run.code, report: JSON.parse(run.stdout || '{}'), stderr: run.stderr };
  }

  const skopeoInspect = (file: string, image: string) => spawnSync('skopeo', ['inspect', '--tls-verify=false', '--authfile', file, `docker://${image}`], { encoding: 'utf8' });
  const dockerInspect = (dir: string, image: string) =>
    spawnSync('docker', ['manifest', 'inspect', '--insecure', image], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: work, DOCKER_CONFIG: dir } });

  it('the fresh entry: 200, exit 0 — and skopeo and the Docker CLI read the manifest too', async () => {
    const image = `${address}/platform/app:v1`;
    const { code, report, stderr } = await explain(PASSWORD, image);
    expect(code, stderr).toBe(0);
    expect(report.probe).toMatchObject({ ran: true, outcome: 'authenticated' });
    expect(report.probe.steps.map((step: { request: string; status: number }) => [step.request, step.status])).toEqual([
      [`GET https://${address}/v2/`, undefined],
      [`GET http://${address}/v2/`, 401],
      [`HEAD http://${address}/v2/platform/app/manifests/v1`, 200],
    ]);
    expect(skopeoInspect(authFile('fresh', PASSWORD), image).status).toBe(0);
    expect(dockerInspect(dockerConfig('fresh', PASSWORD), image).status).toBe(0);
  });

  it('a stale password: 401, exit 1 — and both clients are refused', async () => {
    const image = `${address}/platform/app:v1`;
    const { code, report } = await explain('stale-password', image);
    expect(code).toBe(1);
    expect(report.probe).toMatchObject({ outcome: 'unauthenticated' });
    expect(report.verdict.summary).toContain('would NOT authenticate');
    const skopeo = skopeoInspect(authFile('stale', 'stale-password'), image);
    expect(skopeo.status).not.toBe(0);
    expect(skopeo.stderr).toMatch(/unauthorized|authentication required/i);
    const docker = dockerInspect(dockerConfig('stale', 'stale-password'), image);
    expect(docker.status).not.toBe(0);
    // `docker manifest inspect` reports a refused login as "no such manifest"; explain names the 401.
    expect(docker.stderr).toMatch(/unauthorized|authentication required|no such manifest/i);
  });

  it('a tag that does not exist: authenticated but 404, exit 1 — and both clients find no manifest', async () => {
    const image = `${address}/platform/app:missing`;
    const { code, report } = await explain(PASSWORD, image);
    expect(code).toBe(1);
    expect(report.probe).toMatchObject({ outcome: 'not-found' });
    const skopeo = skopeoInspect(authFile('missing', PASSWORD), image);
    expect(skopeo.status).not.toBe(0);
    expect(skopeo.stderr).toMatch(/manifest unknown/i);
    const docker = dockerInspect(dockerConfig('missing', PASSWORD), image);
    expect(docker.status).not.toBe(0);
    expect(docker.stderr).toMatch(/no such manifest|manifest unknown/i);
  });
});
