import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';

const OWNER = 'glpat-owner-token-000000';
const DEV = 'glpat-developer-token-00';
const READ_ONLY = 'glpat-read-api-token-000';
let gitlab: GitLabEmulator;
let ids: { group: number; project: number };

async function call(method: string, path: string, token: string | undefined, body?: Record<string, unknown>) {
  const headers: Record<string, string> = token ? { 'PRIVATE-TOKEN': token } : {};
  if (body) headers['content-type'] = 'application/json';
  const response = await fetch(`${gitlab.url}/api/v4${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  const parsed = response.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : text;
  return { status: response.status, body: parsed, headers: response.headers };
}

beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
});
afterAll(() => gitlab.stop());

beforeEach(() => {
  gitlab.resetFaults();
  const suffix = Math.random().toString(36).slice(2, 8);
  const owner = gitlab.addUser(`owner-${suffix}`);
  const developer = gitlab.addUser(`dev-${suffix}`);
  gitlab.addToken(OWNER, owner, ['api']);
  gitlab.addToken(DEV, developer, ['api']);
  gitlab.addToken(READ_ONLY, owner, ['read_api']);
  const group = gitlab.addGroup(`g${suffix}`);
  const project = gitlab.addProject(`g${suffix}/app`);
  gitlab.addMember('group', group, owner, ACCESS.owner);
  gitlab.addMember('project', project, developer, ACCESS.developer);
  ids = { group, project };
});

describe('GitLab emulator', () => {
  it('checks 401, then visibility (404), then permission (403)', async () => {
    expect((await call('GET', `/projects/${ids.project}/variables`, undefined)).body).toEqual({ message: '401 Unauthorized' });
    expect((await call('GET', '/projects/999999/variables', OWNER)).body).toEqual({ message: '404 Project Not Found' });
    expect(await call('GET', `/projects/${ids.project}/variables`, DEV)).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect((await call('GET', `/projects/${ids.project}/variables`, OWNER)).status).toBe(200);
  });

  it('accepts read_api for reads only', async () => {
    expect((await call('GET', `/projects/${ids.project}/variables`, READ_ONLY)).status).toBe(200);
    expect((await call('POST', `/projects/${ids.project}/variables`, READ_ONLY, { key: 'A', value: 'b' })).status).toBe(403);
  });

  it('has no upsert: PUT of a missing key is 404, POST of an existing key is 400', async () => {
    const path = `/projects/${ids.project}/variables`;
    expect(await call('PUT', `${path}/K`, OWNER, { value: 'v' })).toMatchObject({ status: 404, body: { message: '404 Variable Not Found' } });
    expect((await call('POST', path, OWNER, { key: 'K', value: 'v' })).status).toBe(201);
    expect(await call('POST', path, OWNER, { key: 'K', value: 'v2' })).toMatchObject({ status: 400, body: { message: { key: ['(K) has already been taken'] } } });
  });

  it('answers 409 for a key in several scopes without a filter, except on group PUT', async () => {
    for (const kind of ['projects', 'groups'] as const) {
      const id = kind === 'projects' ? ids.project : ids.group;
      const path = `/${kind}/${id}/variables`;
      await call('POST', path, OWNER, { key: 'S', value: 'star' });
      await call('POST', path, OWNER, { key: 'S', value: 'prod', environment_scope: 'production' });
      expect((await call('GET', `${path}/S`, OWNER)).status).toBe(409);
      expect((await call('GET', `${path}/S?filter[environment_scope]=production`, OWNER)).body).toMatchObject({ value: 'prod', environment_scope: 'production' });
      expect((await call('GET', `${path}/S?filter[environment_scope]=staging`, OWNER)).status).toBe(404);
      expect((await call('PUT', `${path}/S`, OWNER, { value: 'x' })).status).toBe(kind === 'groups' ? 200 : 409);
      expect((await call('PUT', `${path}/S`, OWNER, { value: 'y', filter: { environment_scope: 'production' } })).body).toMatchObject({ value: 'y' });
    }
  });

  it('enforces the masked-value rules: raw allows any non-space value, plain a small alphabet', async () => {
    const path = `/projects/${ids.project}/variables`;
    const json = '{"auths":{"h":{"auth":"YTpi"}}}';
    expect((await call('POST', path, OWNER, { key: 'A', value: json, masked: true, raw: false })).body).toEqual({ message: { value: ['is invalid'] } });
    expect((await call('POST', path, OWNER, { key: 'A', value: '{"a": 1}', masked: true, raw: true })).status).toBe(400);
    expect((await call('POST', path, OWNER, { key: 'A', value: json, masked: true, raw: true })).status).toBe(201);
  });

  it('lets a visible variable switch masking with PUT, never a hidden one', async () => {
    const path = `/projects/${ids.project}/variables`;
    const json = '{"auths":{"h":{"auth":"YTpi"}}}';
    await call('POST', path, OWNER, { key: 'V', value: json, raw: true });
    expect((await call('PUT', `${path}/V`, OWNER, { value: json, masked: true })).body).toMatchObject({ masked: true });
    expect((await call('PUT', `${path}/V`, OWNER, { value: '{"a": 1}', masked: true })).body).toEqual({ message: { value: ['is invalid'] } });
    expect((await call('PUT', `${path}/V`, OWNER, { value: '{"a": 1}', masked: false })).body).toMatchObject({ masked: false, value: '{"a": 1}' });
    await call('POST', path, OWNER, { key: 'H', value: json, raw: true, masked_and_hidden: true });
    expect((await call('PUT', `${path}/H`, OWNER, { value: json, masked: false })).body).toMatchObject({ message: { base: [expect.stringContaining('cannot be changed')] } });
  });

  it("answers a group PUT whose scope has no row by overwriting another scope's row, as GitLab does", async () => {
    const path = `/groups/${ids.group}/variables`;
    await call('POST', path, OWNER, { key: 'G', value: 'star-value' });
    const put = await call('PUT', `${path}/G`, OWNER, { value: 'clobbered', filter: { environment_scope: 'production' } });
    expect(put).toMatchObject({ status: 200, body: { environment_scope: '*', value: 'clobbered' } });
    expect((await call('PUT', `${path}/NONE`, OWNER, { value: 'x', filter: { environment_scope: 'production' } })).status).toBe(404);
    expect((await call('PUT', `/projects/${ids.project}/variables/G`, OWNER, { value: 'x', filter: { environment_scope: 'production' } })).status).toBe(404);
  });

  it('finds projects and groups by path whatever the case, as GitLab routes do', async () => {
    const group = (await call('GET', `/groups/${ids.group}`, OWNER)).body as { full_path: string };
    expect((await call('GET', `/groups/${encodeURIComponent(group.full_path.toUpperCase())}`, OWNER)).status).toBe(200);
  });

  it('never returns a hidden value', async () => {
    const path = `/projects/${ids.project}/variables`;
    await call('POST', path, OWNER, { key: 'H', value: 'hidden-value-1', masked_and_hidden: true });
    expect((await call('GET', `${path}/H`, OWNER)).body).toMatchObject({ value: null, hidden: true, masked: true });
  });

  it('reads group flags as strings: masked_and_hidden "false" still hides', async () => {
    await call('POST', `/groups/${ids.group}/variables`, OWNER, { key: 'Q', value: 'quirky-value', masked_and_hidden: 'false' });
    expect((await call('GET', `/groups/${ids.group}/variables/Q`, OWNER)).body).toMatchObject({ hidden: true });
  });

  it('drops a group environment scope silently when scoped group variables are not licensed', async () => {
    gitlab.groupScopesLicensed = false;
    try {
      const created = await call('POST', `/groups/${ids.group}/variables`, OWNER, { key: 'L', value: 'v', environment_scope: 'production' });
      expect(created).toMatchObject({ status: 201, body: { environment_scope: '*' } });
    } finally {
      gitlab.groupScopesLicensed = true;
    }
  });

  it('paginates with X-* headers and Link rel="next"', async () => {
    for (let i = 0; i < 5; i++) gitlab.putVariable({ project: ids.project }, { key: `V${i}`, value: 'x' });
    const first = await call('GET', `/projects/${ids.project}/variables?per_page=2`, OWNER);
    expect(first.body).toHaveLength(2);
    expect(first.headers.get('x-total')).toBe('5');
    expect(first.headers.get('x-next-page')).toBe('2');
    const next = /<([^>]+)>; rel="next"/.exec(first.headers.get('link') ?? '')?.[1] as string;
    const second = await fetch(next, { headers: { 'PRIVATE-TOKEN': OWNER } });
    expect(((await second.json()) as Array<{ key: string }>).map((v) => v.key)).toEqual(['V2', 'V3']);
    const last = await call('GET', `/projects/${ids.project}/variables?per_page=2&page=3`, OWNER);
    expect(last.headers.get('x-next-page')).toBe('');
    expect(last.headers.get('link')).not.toContain('rel="next"');
  });

  it('throttles with text/plain 429, Retry-After and RateLimit headers', async () => {
    gitlab.faults.limitPerWindow = 2;
    await call('GET', '/user', OWNER);
    const second = await call('GET', '/user', OWNER);
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
    const third = await call('GET', '/user', OWNER);
    expect(third.status).toBe(429);
    expect(third.headers.get('content-type')).toBe('text/plain');
    expect(third.body).toBe('Retry later\n');
    expect(Number(third.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(third.headers.get('ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
  });

  it('can send the RateLimit headers only on the 429 itself', async () => {
    Object.assign(gitlab.faults, { limitPerWindow: 1, rateLimitHeaders: 'on429' });
    const first = await call('GET', '/user', OWNER);
    expect(first.headers.get('ratelimit-remaining')).toBeNull();
    const second = await call('GET', '/user', OWNER);
    expect(second.status).toBe(429);
    expect(second.headers.get('ratelimit-remaining')).toBe('0');
  });

  it('injects faults: 5xx, dropped connections and one-off responses', async () => {
    gitlab.faults.errorRate = 1;
    expect([500, 502, 503]).toContain((await call('GET', '/user', OWNER)).status);
    gitlab.faults.errorRate = 0;
    gitlab.faults.dropRate = 1;
    // The socket is closed without an answer (an emulator that is down would refuse the connection instead).
    await expect(call('GET', '/user', OWNER)).rejects.toMatchObject({ message: 'fetch failed', cause: { code: 'UND_ERR_SOCKET', message: 'other side closed' } });
    expect(gitlab.requests.at(-1)?.status).toBe(-1);
    gitlab.faults.dropRate = 0;
    gitlab.inject({ match: (method, path) => method === 'GET' && path.endsWith('/user'), status: 418 });
    expect((await call('GET', '/user', OWNER)).status).toBe(418);
    expect((await call('GET', '/user', OWNER)).status).toBe(200);
  });

  it('validates keys and instance limits', async () => {
    expect((await call('POST', `/projects/${ids.project}/variables`, OWNER, { key: 'BAD-KEY', value: 'v' })).body).toEqual({
      message: { key: ["can contain only letters, digits and '_'."] },
    });
    expect((await call('POST', `/projects/${ids.project}/variables`, OWNER, { key: 'NOVALUE' })).body).toEqual({ error: 'value is missing' });
    expect((await call('GET', '/admin/ci/variables', OWNER)).status).toBe(403);
  });
});

describe('GitLab emulator: footprint hooks (scripted faults, request rows, reset, token reuse)', () => {
  let emulator: GitLabEmulator;
  let project: number;
  const TOKEN = 'glpat-footprint-hooks-token-01';
  const send = async (method: string, path: string, body?: Record<string, unknown>, token = TOKEN) =>
    fetch(`${emulator.url}/api/v4${path}`, {
      method,
      headers: { 'PRIVATE-TOKEN': token, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    emulator = new GitLabEmulator();
    await emulator.start();
  });
  afterAll(() => emulator.stop());
  beforeEach(() => {
    emulator.reset();
    emulator.addGroup('team');
    project = emulator.addProject('team/app');
    const bot = emulator.addUser('bot');
    emulator.addToken(TOKEN, bot, ['api'], 'refresher', { expiresAt: '2999-01-01' });
    emulator.addMember('group', 1, bot, ACCESS.owner);
  });

  it('starts ids at 1 again and forgets namespaces, variables, requests and faults after reset', async () => {
    expect(project).toBe(2);
    emulator.putVariable({ project }, { key: 'K', value: 'v' });
    emulator.script({ match: () => true, effect: '5xx-before', times: 5 });
    await send('GET', `/projects/${project}/variables`);
    emulator.reset();
    expect(emulator.snapshot()).toEqual({});
    expect(emulator.requests).toEqual([]);
    expect(emulator.addGroup('again')).toBe(1);
    const bot = emulator.addUser('bot');
    emulator.addToken(TOKEN, bot, ['api'], 'refresher', { expiresAt: '2999-01-01' });
    expect((await send('GET', '/user')).status).toBe(200);
  });

  it('records which row each variables request addresses, with paths resolved to ids', async () => {
    await send('POST', '/projects/team%2Fapp/variables', { key: 'K', value: 'v', environment_scope: 'production' });
    await send('GET', `/projects/${project}/variables/K?filter%5Benvironment_scope%5D=production`);
    await send('PUT', '/projects/TEAM%2FAPP/variables/K', { value: 'w', filter: { environment_scope: 'production' } });
    await send('GET', `/projects/${project}/variables`);
    await send('POST', '/admin/ci/variables', { key: 'I', value: 'v' });
    expect(emulator.requests.map(({ method, owner, variableKey, scope, list }) => ({ method, owner, variableKey, scope, list }))).toEqual([
      { method: 'POST', owner: 'project:2', variableKey: 'K', scope: 'production', list: undefined },
      { method: 'GET', owner: 'project:2', variableKey: 'K', scope: 'production', list: undefined },
      { method: 'PUT', owner: 'project:2', variableKey: 'K', scope: 'production', list: undefined },
      { method: 'GET', owner: 'project:2', variableKey: undefined, scope: undefined, list: true },
      { method: 'POST', owner: 'instance', variableKey: 'I', scope: '*', list: undefined },
    ]);
  });

  it('applies a write and then drops the connection, or answers 502: the client cannot tell it happened', async () => {
    emulator.script({ match: ({ method }) => method === 'POST', effect: 'drop-after-apply' });
    await expect(send('POST', `/projects/${project}/variables`, { key: 'A', value: 'created' })).rejects.toThrow('fetch failed');
    expect(emulator.getVariable({ project }, 'A')?.value).toBe('created');
    emulator.script({ match: ({ method }) => method === 'PUT', effect: '5xx-after-apply' });
    expect((await send('PUT', `/projects/${project}/variables/A`, { value: 'updated' })).status).toBe(502);
    expect(emulator.getVariable({ project }, 'A')?.value).toBe('updated');
    emulator.script({ match: ({ method }) => method === 'PUT', effect: 'cdn-5xx-after-apply' });
    const cdn = await send('PUT', `/projects/${project}/variables/A`, { value: 'again' });
    expect([cdn.status, cdn.headers.get('content-type')]).toEqual([524, 'text/plain']);
    expect(emulator.getVariable({ project }, 'A')?.value).toBe('again');
    expect(emulator.requests.map(({ status, fault, appliedStatus }) => ({ status, fault, appliedStatus }))).toEqual([
      { status: -1, fault: 'drop-after-apply', appliedStatus: 201 },
      { status: 502, fault: '5xx-after-apply', appliedStatus: 200 },
      { status: 524, fault: 'cdn-5xx-after-apply', appliedStatus: 200 },
    ]);
  });

  it('fails before applying with a drop, a 503 or a 429 (Retry-After 0), after letting `skip` requests through', async () => {
    const post = (key: string) => send('POST', `/projects/${project}/variables`, { key, value: 'v' });
    emulator.script({ match: ({ method }) => method === 'POST', effect: 'drop-before', skip: 1 });
    expect((await post('FIRST')).status).toBe(201);
    await expect(post('DROPPED')).rejects.toThrow('fetch failed');
    emulator.script({ match: ({ method }) => method === 'POST', effect: '5xx-before' });
    expect((await post('REFUSED')).status).toBe(503);
    emulator.script({ match: ({ method }) => method === 'POST', effect: '429' });
    const throttled = await post('THROTTLED');
    expect([throttled.status, throttled.headers.get('retry-after'), await throttled.text()]).toEqual([429, '0', 'Retry later\n']);
    expect(emulator.snapshot()[`project:${project}`]?.map((variable) => variable.key)).toEqual(['FIRST']);
  });

  it('revokes the whole token family when a rotated token asks to rotate again (reuse detection)', async () => {
    const first = await send('POST', '/personal_access_tokens/self/rotate', { expires_at: new Date(Date.now() + 30 * 86_400_000).toISOString().slice(0, 10) });
    const successor = ((await first.json()) as { token: string }).token;
    expect(emulator.tokenInfo(successor)?.revoked).toBe(false);
    expect((await send('POST', '/personal_access_tokens/self/rotate', {})).status).toBe(401);
    expect(emulator.tokenInfo(successor)?.revoked).toBe(true);
    expect((await send('GET', '/user', undefined, successor)).status).toBe(401);
  });
});
