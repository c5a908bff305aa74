import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/adapters/gitlab/rate-limiter.js';
import { createGitLabTransport, type TransportStats } from '../../src/adapters/gitlab/transport.js';
import { GitLabVariableStore } from '../../src/adapters/gitlab/variable-store.js';
import type { VariableRef, VariableWrite } from '../../src/core/ports.js';
import { GitLabApiError } from '../../src/errors.js';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';

const TOKEN = 'glpat-store-test-token-0001';
const DEV_TOKEN = 'glpat-store-test-dev-00001';
let gitlab: GitLabEmulator;
let ids: Record<string, number>;
let stats: TransportStats;

function store(token = TOKEN) {
  stats = { requests: 0, retries: 0, throttled: 0 };
  const transport = createGitLabTransport({ limiter: new RateLimiter(1000), requestTimeoutMs: 2000, stats, wait: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) });
  return new GitLabVariableStore({ url: gitlab.url, token, transport });
}

const write = (value: string, extra: Partial<VariableWrite> = {}): VariableWrite => ({
  value,
  variableType: 'env_var',
  protected: false,
  masked: true,
  description: 'managed',
  ...extra,
});
const projectRef = (scope = '*'): VariableRef => ({ owner: { kind: 'project', id: 'team/app' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: scope });
const groupRef = (scope = '*'): VariableRef => ({ owner: { kind: 'group', id: 'team' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: scope });

beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
  const admin = gitlab.addUser('bot', { admin: true });
  const dev = gitlab.addUser('dev');
  gitlab.addToken(TOKEN, admin);
  gitlab.addToken(DEV_TOKEN, dev);
  ids = { team: gitlab.addGroup('team') };
  ids.app = gitlab.addProject('team/app');
  gitlab.addMember('project', ids.app, dev, ACCESS.developer);
});
afterAll(() => gitlab.stop());
beforeEach(() => {
  gitlab.resetFaults();
  gitlab.clearVariables();
});

describe('Class: GitLabVariableStore', () => {
  describe('Method: read', () => {
    it('returns undefined for a missing variable but fails for a missing project', async () => {
      await expect(store().read(projectRef())).resolves.toBeUndefined();
      const error = await store()
        .read({ ...projectRef(), owner: { kind: 'project', id: 'team/nope' } })
        .catch((caught) => caught);
      expect(error).toBeInstanceOf(GitLabApiError);
      expect(error.message).toMatch(/404 Project Not Found — project not found, or not visible/);
    });

    it('reads the right scope when the key exists in several', async () => {
      gitlab.putVariable({ project: ids.app as number }, { key: 'DOCKER_AUTH_CONFIG', value: '{"a":1}' });
      gitlab.putVariable({ project: ids.app as number }, { key: 'DOCKER_AUTH_CONFIG', value: '{"b":2}', environment_scope: 'production' });
      await expect(store().read(projectRef('production'))).resolves.toMatchObject({ value: '{"b":2}', environmentScope: 'production' });
      await expect(store().read(projectRef('*'))).resolves.toMatchObject({ value: '{"a":1}' });
    });

    it('reports a hidden variable as hidden with no value', async () => {
      gitlab.putVariable({ project: ids.app as number }, { key: 'DOCKER_AUTH_CONFIG', value: 'secret-stuff', hidden: true, masked: true });
      await expect(store().read(projectRef())).resolves.toMatchObject({ value: null, hidden: true });
    });
  });

  describe('Method: write', () => {
    it('creates with raw, masked, description and scope', async () => {
      await expect(store().write(projectRef('production'), write('{"auths":{}}'), 'missing')).resolves.toBe('created');
      expect(gitlab.getVariable({ project: ids.app as number }, 'DOCKER_AUTH_CONFIG', 'production')).toMatchObject({
        value: '{"auths":{}}',
        raw: true,
        masked: true,
        description: 'managed',
        variable_type: 'env_var',
      });
    });

    it('updates only the filtered scope, never the other one', async () => {
      gitlab.putVariable({ group: ids.team as number }, { key: 'DOCKER_AUTH_CONFIG', value: '{"star":1}' });
      gitlab.putVariable({ group: ids.team as number }, { key: 'DOCKER_AUTH_CONFIG', value: '{"prod":1}', environment_scope: 'production' });
      await expect(store().write(groupRef('production'), write('{"prod":2}', { masked: false }), 'exists')).resolves.toBe('updated');
      expect(gitlab.getVariable({ group: ids.team as number }, 'DOCKER_AUTH_CONFIG', '*')?.value).toBe('{"star":1}');
      expect(gitlab.getVariable({ group: ids.team as number }, 'DOCKER_AUTH_CONFIG', 'production')?.value).toBe('{"prod":2}');
    });

    it('switches to POST when PUT says the variable is missing (it was deleted since the read)', async () => {
      await expect(store().write(projectRef(), write('{"x":"one"}'), 'exists')).resolves.toBe('created');
      expect(gitlab.requests.slice(-2).map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 404', 'POST 201']);
    });

    it('switches to PUT when POST says the key is taken (it was created since the read)', async () => {
      gitlab.putVariable({ project: ids.app as number }, { key: 'DOCKER_AUTH_CONFIG', value: '{}', masked: true, raw: true });
      await expect(store().write(projectRef(), write('{"x":"one"}'), 'missing')).resolves.toBe('updated');
      expect(gitlab.requests.slice(-2).map((r) => `${r.method} ${r.status}`)).toEqual(['POST 400', 'PUT 200']);
    });

    it('writes instance variables without a scope', async () => {
      const ref: VariableRef = { owner: { kind: 'instance' }, key: 'DOCKER_AUTH_CONFIG' };
      await expect(store().write(ref, write('{"i":"one"}'), 'unknown')).resolves.toBe('created');
      await expect(store().write(ref, write('{"i":"two"}'), 'exists')).resolves.toBe('updated');
      expect(gitlab.getVariable('instance', 'DOCKER_AUTH_CONFIG')?.value).toBe('{"i":"two"}');
    });

    it('refuses to treat an unlicensed group scope as success', async () => {
      gitlab.groupScopesLicensed = false;
      try {
        await expect(store().write(groupRef('production'), write('{"auths":{}}'), 'missing')).rejects.toThrowError(/instead of "production"/);
      } finally {
        gitlab.groupScopesLicensed = true;
      }
    });

    it('explains a 403 with the role and scope the token needs', async () => {
      await expect(store(DEV_TOKEN).write(projectRef(), write('{"auths":{}}'), 'missing')).rejects.toThrowError(
        /403 Forbidden — the token needs the api scope and the role of Maintainer on the project/,
      );
    });

    it('rides out a burst of text/plain 429s and 5xx answers', async () => {
      gitlab.faults.burst429 = { remaining: 2, retryAfterSeconds: 0 };
      await expect(store().write(projectRef(), write('{"r":"first"}'), 'missing')).resolves.toBe('created');
      expect(stats.throttled).toBe(2);
      gitlab.faults.errorRate = 0.5;
      gitlab.seed(7);
      for (let i = 0; i < 5; i++) await store().write(projectRef(), write(`{"round":${i}}`), 'exists');
      expect(gitlab.getVariable({ project: ids.app as number }, 'DOCKER_AUTH_CONFIG')?.value).toBe('{"round":4}');
    });

    it('survives dropped connections', async () => {
      gitlab.faults.dropRate = 0.3;
      gitlab.seed(3);
      for (let i = 0; i < 5; i++) await store().write(projectRef(), write(`{"drop":${i}}`), 'unknown');
      expect(gitlab.getVariable({ project: ids.app as number }, 'DOCKER_AUTH_CONFIG')?.value).toBe('{"drop":4}');
    });
  });
});
