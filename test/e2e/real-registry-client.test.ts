import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCliProcess } from '../support/cli-process.js';
import { type HtpasswdRegistry, startHtpasswdRegistry } from '../support/htpasswd-registry.js';
import { writeOciImage } from '../support/oci-image.js';
import { PROD_ACCOUNT, type Sandbox, startSandbox } from '../support/sandbox.js';
import { describeWithBinaries, itWithBinaries } from '../support/system-tools.js';

/**
 * The file variable a pushing job receives is accepted by a real registry client: skopeo, with
 * --authfile, pushes to Debian's docker-registry on loopback, which checks htpasswd for user AWS and the
 * password minted by the refresh. The entry is keyed by the loopback registry's address instead of the
 * ECR host; what is proven is the file format and the `auth` value.
 */
describeWithBinaries('Real client: skopeo against docker-registry with the refreshed file variable', ['skopeo', 'docker-registry', 'htpasswd'], () => {
  let sandbox: Sandbox;
  let registry: HtpasswdRegistry;
  let address: string;
  let work: string;
  let authfile: string;
  let image: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    work = mkdtempSync(join(tmpdir(), 'real-registry-'));
    const config = { ...sandbox.config, targets: [{ group: 'platform', registries: ['prod'], variables: [{ name: 'ECR_DOCKER_CONFIG', variableType: 'file' }] }] };
    const configPath = join(work, 'config.yml');
    writeFileSync(configPath, stringify(config));
    const run = await runCliProcess(['refresh', '--config', configPath, '--target', 'group:platform'], sandbox.env);
    expect(run.code, run.stderr).toBe(0);

    const variable = sandbox.gitlab.getVariable({ group: sandbox.ids.platform as number }, 'ECR_DOCKER_CONFIG');
    expect(variable?.variable_type).toBe('file');
    const host = `${PROD_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
    const value = JSON.parse(variable?.value ?? '{}');
    const password = Buffer.from(value.auths[host].auth, 'base64').toString().split(':')[1] as string;

    registry = await startHtpasswdRegistry(work, password);
    address = registry.address;
    value.auths = { [address]: value.auths[host] };
    authfile = join(work, 'ECR_DOCKER_CONFIG');
    writeFileSync(authfile, JSON.stringify(value));
    image = writeOciImage(join(work, 'image'));
  }, 120_000);

  afterAll(async () => {
    registry?.stop();
    await sandbox?.stop();
  });

  const skopeo = (...args: string[]) => spawnSync('skopeo', ['--insecure-policy', ...args], { encoding: 'utf8' });

  it('pushes and inspects with the file as --authfile', () => {
    const push = skopeo('copy', '--dest-tls-verify=false', '--authfile', authfile, image, `docker://${address}/platform/app:v1`);
    expect(push.status, push.stderr).toBe(0);
    const inspect = skopeo('inspect', '--tls-verify=false', '--authfile', authfile, `docker://${address}/platform/app:v1`);
    expect(inspect.status, inspect.stderr).toBe(0);
    expect(JSON.parse(inspect.stdout).Name).toBe(`${address}/platform/app`);
  });

  /** The push recipe of docs/push-credentials.md, word for word (the test below fails when the page drifts from it). */
  const DOCKER_PUSH_RECIPE = ['unset DOCKER_AUTH_CONFIG', 'mkdir -p "$HOME/.docker" && cp "$ECR_DOCKER_CONFIG" "$HOME/.docker/config.json"'];
  const dockerVersion = () => /Docker version (\d+)\.(\d+)/.exec(spawnSync('docker', ['--version'], { encoding: 'utf8' }).stdout ?? '');

  itWithBinaries('the documented push recipe makes the Docker CLI use the push credentials, with the pull variable set too', ['docker'], () => {
    const page = readFileSync(new URL('../../docs/push-credentials.md', import.meta.url), 'utf8');
    for (const line of DOCKER_PUSH_RECIPE) expect(page).toContain(`- ${line}`);
    const push = skopeo('copy', '--dest-tls-verify=false', '--authfile', authfile, image, `docker://${address}/platform/app:recipe`);
    expect(push.status, push.stderr).toBe(0);
    // The job also gets the Runner's pull variable; here it holds a password the registry refuses for the same host.
    const pullOnly = JSON.stringify({ auths: { [address]: { auth: Buffer.from('AWS:pull-only-password').toString('base64') } } });
    const job = (lines: string[]) => {
      const home = mkdtempSync(join(tmpdir(), 'recipe-home-'));
      const script = ['set -eu', ...lines, `docker manifest inspect --insecure ${address}/platform/app:recipe`].join('\n');
      return spawnSync('bash', ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: home, DOCKER_AUTH_CONFIG: pullOnly, ECR_DOCKER_CONFIG: authfile } });
    };
    // `docker manifest inspect` needs no daemon and authenticates exactly like `docker push` does, host by host.
    const recipe = job(DOCKER_PUSH_RECIPE);
    expect(recipe.status, recipe.stderr).toBe(0);
    expect(JSON.parse(recipe.stdout).schemaVersion).toBe(2);
    // The old recipe (copy only): Docker 28.3 and later prefer DOCKER_AUTH_CONFIG, so it fails there.
    const [, major, minor] = dockerVersion() ?? [];
    const readsEnvironment = Number(major) > 28 || (Number(major) === 28 && Number(minor) >= 3);
    const copyOnly = job(DOCKER_PUSH_RECIPE.slice(1));
    expect(copyOnly.status === 0).toBe(!readsEnvironment);
  });

  it('is refused without the credentials: the registry really checks them', () => {
    const empty = join(work, 'empty.json');
    writeFileSync(empty, '{"auths":{}}');
    const push = skopeo('copy', '--dest-tls-verify=false', '--authfile', empty, image, `docker://${address}/platform/app:v2`);
    expect(push.status).not.toBe(0);
    expect(push.stderr).toMatch(/unauthorized|authentication required/i);
  });
});
