import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AdaptivePacer } from '../../src/adapters/gitlab/pacer.js';
import { createGitLabTransport, type TransportStats } from '../../src/adapters/gitlab/transport.js';
import { GitLabVariableStore } from '../../src/adapters/gitlab/variable-store.js';
import type { VariableRef, VariableWrite } from '../../src/core/ports.js';
import { GitLabApiError, MaskRefusedError, StaleReadError } from '../../src/errors.js';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';

const TOKEN = 'glpat-store-test-token-0001';
const DEV_TOKEN = 'glpat-store-test-dev-00001';
let gitlab: GitLabEmulator;
let ids: Record<string, number>;
let stats: TransportStats;

function store(token = TOKEN) {
  stats = { requests: 0, retries: 0, throttled: 0 };
  const transport = createGitLabTransport({
    pacer: new AdaptivePacer({ maxConcurrency: 8 }),
    requestTimeoutMs: 2000,
    stats,
    wait: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
  });
  return new GitLabVariableStore({ url: gitlab.url, token, transport });
}

const write = (value: string, settings: VariableWrite['settings'] = {}): VariableWrite => ({
  value,
  settings: { variableType: 'env_var', protected: false, masked: true, raw: true, description: 'managed', ...settings },
});
const EXISTS = { exists: true } as const;
const MISSING = { exists: false } as const;
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
  gitlab.requests.length = 0;
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
    const project = () => ({ project: ids.app as number });
    const group = () => ({ group: ids.team as number });

    it('creates with every setting and the scope', async () => {
      await expect(store().write(projectRef('production'), write('{"auths":{}}'), MISSING)).resolves.toBe('created');
      expect(gitlab.getVariable(project(), 'DOCKER_AUTH_CONFIG', 'production')).toMatchObject({
        value: '{"auths":{}}',
        raw: true,
        masked: true,
        description: 'managed',
        variable_type: 'env_var',
      });
    });

    it('updates only the filtered scope, sending only the settings it is given', async () => {
      gitlab.putVariable(group(), { key: 'DOCKER_AUTH_CONFIG', value: '{"star":1}' });
      gitlab.putVariable(group(), {
        key: 'DOCKER_AUTH_CONFIG',
        value: '{"prod":1}',
        environment_scope: 'production',
        protected: true,
        variable_type: 'file',
        description: 'theirs',
      });
      await expect(store().write(groupRef('production'), { value: '{"prod":2}', settings: {} }, EXISTS)).resolves.toBe('updated');
      expect(gitlab.getVariable(group(), 'DOCKER_AUTH_CONFIG', '*')?.value).toBe('{"star":1}');
      expect(gitlab.getVariable(group(), 'DOCKER_AUTH_CONFIG', 'production')).toMatchObject({ value: '{"prod":2}', protected: true, variable_type: 'file', description: 'theirs' });
    });

    it('switches masking on for a visible unmasked variable in the same PUT', async () => {
      gitlab.putVariable(project(), { key: 'DOCKER_AUTH_CONFIG', value: '{ "auths": {} }', masked: false, raw: false });
      await store().write(projectRef(), { value: '{"auths":{}}', settings: { masked: true, raw: true } }, EXISTS);
      expect(gitlab.getVariable(project(), 'DOCKER_AUTH_CONFIG')).toMatchObject({ masked: true, raw: true, value: '{"auths":{}}' });
    });

    it('says MaskRefusedError when GitLab cannot mask the value', async () => {
      await expect(store().write(projectRef(), write('{"a": "has spaces"}'), MISSING)).rejects.toBeInstanceOf(MaskRefusedError);
      expect(gitlab.getVariable(project(), 'DOCKER_AUTH_CONFIG')).toBeUndefined();
    });

    it('never POSTs over a row created since the read, nor PUTs a row deleted since: it asks for a new read', async () => {
      await expect(store().write(projectRef(), write('{"x":"one"}'), EXISTS)).rejects.toBeInstanceOf(StaleReadError);
      expect(gitlab.requests.slice(-1).map((r) => `${r.method} ${r.status}`)).toEqual(['PUT 404']);
      gitlab.putVariable(project(), { key: 'DOCKER_AUTH_CONFIG', value: '{"theirs":1}', masked: true, raw: true });
      await expect(store().write(projectRef(), write('{"x":"one"}'), MISSING)).rejects.toBeInstanceOf(StaleReadError);
      expect(gitlab.requests.slice(-1).map((r) => `${r.method} ${r.status}`)).toEqual(['POST 400']);
      expect(gitlab.getVariable(project(), 'DOCKER_AUTH_CONFIG')?.value).toBe('{"theirs":1}');
    });

    it('on an unlicensed group, refuses to PUT after "already taken": the "*" row is left as it was', async () => {
      gitlab.groupScopesLicensed = false;
      try {
        gitlab.putVariable(group(), { key: 'DOCKER_AUTH_CONFIG', value: '{"auths":{"quay.io":{"auth":"cTpx"}},"credHelpers":{"gcr.io":"gcloud"}}', raw: true });
        const error = await store()
          .write(groupRef('production'), write('{"auths":{}}'), MISSING)
          .catch((caught) => caught);
        expect(error).toBeInstanceOf(GitLabApiError);
        expect(error.message).toMatch(/holds no row in environment scope "production".*remove environmentScope/);
        expect(gitlab.requests.filter((r) => r.method === 'PUT')).toEqual([]);
        expect(gitlab.getVariable(group(), 'DOCKER_AUTH_CONFIG', '*')?.value).toContain('credHelpers');
      } finally {
        gitlab.groupScopesLicensed = true;
      }
    });

    it("reports a group PUT that GitLab applied to another scope's row, naming both scopes", async () => {
      // The emulator, like GitLab, answers a group PUT whose scope has no row by changing the "*" row.
      gitlab.putVariable(group(), { key: 'DOCKER_AUTH_CONFIG', value: '{"star":1}' });
      const error = await store()
        .write(groupRef('production'), write('{"prod":1}'), EXISTS)
        .catch((caught) => caught);
      expect(error.message).toMatch(/wrote DOCKER_AUTH_CONFIG of environment scope "\*" instead of "production"/);
    });

    it('reports a created variable that landed in another scope (unlicensed group, no "*" row yet)', async () => {
      gitlab.groupScopesLicensed = false;
      try {
        await expect(store().write(groupRef('production'), write('{"auths":{}}'), MISSING)).rejects.toThrowError(
          /created DOCKER_AUTH_CONFIG in environment scope "\*" instead of "production"/,
        );
      } finally {
        gitlab.groupScopesLicensed = true;
      }
    });

    it('writes instance variables without a scope', async () => {
      const ref: VariableRef = { owner: { kind: 'instance' }, key: 'DOCKER_AUTH_CONFIG' };
      await expect(store().write(ref, write('{"i":"one"}'), MISSING)).resolves.toBe('created');
      await expect(store().write(ref, write('{"i":"two"}'), EXISTS)).resolves.toBe('updated');
      expect(gitlab.getVariable('instance', 'DOCKER_AUTH_CONFIG')?.value).toBe('{"i":"two"}');
    });

    it('explains a 403 with the role and scope the token needs', async () => {
      await expect(store(DEV_TOKEN).write(projectRef(), write('{"auths":{}}'), MISSING)).rejects.toThrowError(
        /403 Forbidden — the token needs the api scope and the role of Maintainer on the project/,
      );
    });

    it('does not send a write whose read is too old', async () => {
      await expect(store().write(projectRef(), write('{"late":1}'), { exists: false, sendBy: Date.now() - 1 })).rejects.toBeInstanceOf(StaleReadError);
      expect(gitlab.requests).toEqual([]);
    });

    it('never retries a write as it is: after a 429 or 5xx it waits, then asks for a new read', async () => {
      gitlab.faults.burst429 = { remaining: 1, retryAfterSeconds: 0 };
      await expect(store().write(projectRef(), write('{"r":"first"}'), MISSING)).rejects.toBeInstanceOf(StaleReadError);
      expect(stats).toMatchObject({ requests: 1, throttled: 1 });
      gitlab.inject({ match: (method) => method === 'POST', status: 503 });
      await expect(store().write(projectRef(), write('{"r":"first"}'), MISSING)).rejects.toBeInstanceOf(StaleReadError);
      expect(gitlab.getVariable(project(), 'DOCKER_AUTH_CONFIG')).toBeUndefined();
    });

    it('retries reads through 429s, 5xx answers and dropped connections', async () => {
      gitlab.putVariable(project(), { key: 'DOCKER_AUTH_CONFIG', value: '{"keep":1}' });
      gitlab.faults.burst429 = { remaining: 2, retryAfterSeconds: 0 };
      await expect(store().read(projectRef())).resolves.toMatchObject({ value: '{"keep":1}' });
      expect(stats.throttled).toBe(2);
      gitlab.faults.errorRate = 0.3;
      gitlab.faults.dropRate = 0.1;
      gitlab.seed(7);
      for (let i = 0; i < 5; i++) await expect(store().read(projectRef())).resolves.toMatchObject({ value: '{"keep":1}' });
    });
  });
});
