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

  it('refuses a malformed image with exit 2 and names --image, before any GitLab call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-cli-'));
    const config = join(dir, 'config.yml');
    // Nothing listens on this port: a GitLab call would fail with another message.
    writeFileSync(
      config,
      stringify({
        gitlab: { url: 'http://127.0.0.1:9', allowInsecureHttp: true },
        registries: [{ name: 'p', accountId: '111111111111', regions: ['us-east-1'] }],
        targets: [{ group: 'g' }],
      }),
    );
    const errors: string[] = [];
    const io = { stdout: () => {}, stderr: (text: string) => errors.push(text), env: { GITLAB_TOKEN: 'glpat-unused' } };
    const code = await runCli(['explain', '--config', config, '--project', 'a/b', '--image', 'registry.example.com/App'], io);
    expect(code).toBe(2);
    expect(errors.join('')).toBe('error: --image: "registry.example.com/App" is not an image reference: the repository name (App) must be lower case\n');
  });

  it('refuses an unknown --profile with exit 2, naming the known ones, before any GitLab call', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'explain-cli-'));
    const config = join(dir, 'config.yml');
    writeFileSync(
      config,
      stringify({
        gitlab: { url: 'http://127.0.0.1:9', allowInsecureHttp: true },
        registries: [{ name: 'p', accountId: '111111111111', regions: ['us-east-1'] }],
        targets: [{ group: 'g' }],
        profiles: [{ name: 'prod', registries: ['p'], projects: ['g/*'] }],
        oidc: { issuer: 'https://gitlab.example.com' },
      }),
    );
    const errors: string[] = [];
    const io = { stdout: () => {}, stderr: (text: string) => errors.push(text), env: { GITLAB_TOKEN: 'glpat-unused' } };
    const code = await runCli(['explain', '--config', config, '--project', 'g/a', '--image', 'h/app', '--profile', 'nope'], io);
    expect(code).toBe(2);
    expect(errors.join('')).toBe('error: --profile nope: no such profile in the config (known: prod)\n');
  });
});
