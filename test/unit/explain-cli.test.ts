import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseCli } from '../../src/cli/args.js';
import { runCli } from '../../src/cli/main.js';
import { ConfigError } from '../../src/errors.js';

describe('Function: parseCli (explain)', () => {
  it('reads every explain flag', () => {
    const command = parseCli(
      ['explain', '--project', 'a/b', '--image', 'h/app:1', '--environment', 'review/x', '--ref', 'refs/tags/v1', '--protected-ref', '--probe', '--json'],
      {},
    );
    expect(command).toMatchObject({
      name: 'explain',
      json: true,
      explain: { project: 'a/b', image: 'h/app:1', environment: 'review/x', ref: 'refs/tags/v1', protectedRef: true, probe: true },
    });
  });

  it('takes one --profile: the profile whose secret the job reads', () => {
    expect(parseCli(['explain', '--project', 'a/b', '--image', 'h/app', '--profile', 'prod'], {}).explain?.profile).toBe('prod');
    expect(() => parseCli(['explain', '--project', 'a/b', '--image', 'h/app', '--profile', 'a', '--profile', 'b'], {})).toThrowError(
      'arguments: explain takes one --profile (the one the job reads)',
    );
  });

  it('needs --project and --image', () => {
    expect(() => parseCli(['explain', '--image', 'h/app'], {})).toThrowError(ConfigError);
    expect(() => parseCli(['explain'], {})).toThrowError('explain needs --project\nexplain needs --image'.replace(/explain/g, 'arguments: explain'));
    expect(parseCli(['doctor'], {}).explain).toBeUndefined();
  });
});

describe('Function: runCli (explain)', () => {
  it('exits 2 with the field and reason on bad arguments, before reading any config', async () => {
    const errors: string[] = [];
    const code = await runCli(['explain', '--project', 'a/b'], { stdout: () => {}, stderr: (text) => errors.push(text), env: {} });
    expect(code).toBe(2);
    expect(errors.join('')).toBe('error: arguments: explain needs --image\n');
  });

  /** Runs explain against a config whose GitLab nothing listens on: a GitLab call would fail with another message. */
  async function explainWith(extra: Record<string, unknown>, args: string[]) {
    const config = join(mkdtempSync(join(tmpdir(), 'explain-cli-')), 'config.yml');
    writeFileSync(
      config,
      stringify({
        gitlab: { url: 'http://127.0.0.1:9', allowInsecureHttp: true },
        registries: [{ name: 'p', accountId: '111111111111', regions: ['us-east-1'] }],
        targets: [{ group: 'g' }],
        ...extra,
      }),
    );
    const errors: string[] = [];
    const io = { stdout: () => {}, stderr: (text: string) => errors.push(text), env: { GITLAB_TOKEN: 'glpat-unused' } };
    const code = await runCli(['explain', '--config', config, ...args], io);
    return { code, errors: errors.join('') };
  }

  it('refuses a malformed image with exit 2 and names --image, before any GitLab call', async () => {
    expect(await explainWith({}, ['--project', 'a/b', '--image', 'registry.example.com/App'])).toEqual({
      code: 2,
      errors: 'error: --image: "registry.example.com/App" is not an image reference: the repository name (App) must be lower case\n',
    });
  });

  it('refuses an unknown --profile with exit 2, naming the known ones, before any GitLab call', async () => {
    const profiles = { profiles: [{ name: 'prod', registries: ['p'], projects: ['g/*'] }], oidc: { issuer: 'https://gitlab.example.com' } };
    expect(await explainWith(profiles, ['--project', 'g/a', '--image', 'h/app', '--profile', 'nope'])).toEqual({
      code: 2,
      errors: 'error: --profile nope: no such profile in the config (known: prod)\n',
    });
  });
});
