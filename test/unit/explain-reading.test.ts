import { describe, expect, it } from 'vitest';
import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import { resolveJobVariable } from '../../src/core/inspect/explain/candidates.js';
import { parseImageReference, runnerImagePath } from '../../src/core/inspect/explain/image-ref.js';
import { parseJobRef } from '../../src/core/inspect/explain/job-ref.js';
import { expandAsRunner, readAsRunner } from '../../src/core/inspect/explain/runner-reading.js';
import { environmentRank, refPatternMatches } from '../../src/domain/gitlab-wildcards.js';
import { aVariable, ECR_HOST, ECR_IMAGE } from '../support/explain-fakes.js';

const AUTH = encodeAuth('AWS', 'pw');

describe('Function: parseImageReference', () => {
  it.each([
    ['ubuntu', 'docker.io', 'library/ubuntu', 'latest', 'registry-1.docker.io'],
    ['team/app:1.2', 'docker.io', 'team/app', '1.2', 'registry-1.docker.io'],
    ['index.docker.io/ubuntu', 'docker.io', 'library/ubuntu', 'latest', 'registry-1.docker.io'],
    ['localhost/app', 'localhost', 'app', 'latest', 'localhost'],
    ['127.0.0.1:5000/team/app:v1', '127.0.0.1:5000', 'team/app', 'v1', '127.0.0.1:5000'],
    [`${ECR_HOST}/platform/app@sha256:${'a'.repeat(64)}`, ECR_HOST, 'platform/app', `sha256:${'a'.repeat(64)}`, ECR_HOST],
    [`${ECR_HOST}/platform/app:v1@sha256:${'b'.repeat(64)}`, ECR_HOST, 'platform/app', `sha256:${'b'.repeat(64)}`, ECR_HOST],
    // An upper-case first component is a host to Docker (not a Docker Hub path).
    ['Registry/app', 'Registry', 'app', 'latest', 'Registry'],
  ])('%s → %s / %s @ %s', (text, domain, repository, reference, endpointHost) => {
    expect(parseImageReference(text)).toMatchObject({ domain, repository, reference, endpointHost });
  });

  it.each([
    ['platform/App:v1', 'must be lower case'],
    [`${ECR_HOST}/app:bad/tag`, 'bad repository name'],
    [`${ECR_HOST}/app@sha256:short`, 'bad digest'],
    ['a'.repeat(64), 'image id'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(() => parseImageReference(text)).toThrowError(reason);
  });
});

describe('Function: runnerImagePath (the Runner, not Docker)', () => {
  it.each([
    ['ubuntu:22.04', 'docker.io/ubuntu'],
    ['index.docker.io/team/app', 'docker.io/team/app'],
    ['Registry.Example.com:5000/Team/app:v1', 'registry.example.com:5000/Team/app'],
    [`${ECR_HOST}/platform/app@sha256:${'a'.repeat(64)}`, `${ECR_HOST}/platform/app@sha256`],
    ['LOCALHOST/app', 'localhost/app'],
  ])('%s → %s', (image, path) => {
    expect(runnerImagePath(image)).toBe(path);
  });
});

describe('Function: environmentRank', () => {
  it.each([
    ['*', 'review/app-1', 0],
    ['review/*', 'review/app-1', 1],
    ['*/app-1', 'review/app-1', 1],
    ['r*w/*-1', 'review/app-1', 1],
    ['review/app-1', 'review/app-1', 2],
    ['production', 'review/app-1', undefined],
    ['Review/*', 'review/app-1', undefined],
    ['review', 'review/app-1', undefined],
    ['review_app', 'reviewXapp', undefined],
    ['*', undefined, 0],
    ['production', undefined, undefined],
    ['review/*', undefined, undefined],
  ])('scope %s for environment %s → %s', (scope, environment, rank) => {
    expect(environmentRank(scope, environment)).toBe(rank);
  });
});

describe('Function: refPatternMatches and parseJobRef', () => {
  it.each([
    ['main', 'main', true],
    ['main', 'Main', false],
    ['release/*', 'release/1.0', true],
    ['release/*', 'release/a/b', true],
    ['release/*', 'release', false],
    ['*-stable', '16-stable', true],
    ['v*', 'av1', false],
  ])('%s protects %s: %s', (pattern, name, expected) => {
    expect(refPatternMatches(pattern, name)).toBe(expected);
  });

  it('reads qualified, bare and merge-request refs', () => {
    expect(parseJobRef('refs/heads/release/1')).toEqual({ kind: 'branch', name: 'release/1' });
    expect(parseJobRef('refs/tags/v1')).toEqual({ kind: 'tag', name: 'v1' });
    expect(parseJobRef('refs/merge-requests/12/head')).toEqual({ kind: 'merge-request', name: 'refs/merge-requests/12/head' });
    expect(parseJobRef('main')).toEqual({ kind: 'unqualified', name: 'main' });
  });
});

describe('Function: resolveJobVariable', () => {
  const levels = [
    { level: { kind: 'instance' as const }, variables: [aVariable('instance')] },
    { level: { kind: 'group' as const, path: 'platform' }, variables: [aVariable('group-production', { environmentScope: 'production' })] },
    { level: { kind: 'group' as const, path: 'platform/backend' }, variables: [aVariable('subgroup-star')] },
    {
      level: { kind: 'project' as const, path: 'platform/backend/api' },
      variables: [aVariable('project-review', { environmentScope: 'review/*', protected: true }), aVariable('other', { key: 'OTHER' })],
    },
  ];

  it('level beats specificity: the subgroup * row beats the group production row', () => {
    const { decision, candidates } = resolveJobVariable(levels, 'DOCKER_AUTH_CONFIG', { environment: 'production', refProtected: true });
    expect(decision.kind === 'one' && decision.candidate.variable.value).toBe('subgroup-star');
    expect(candidates.map((c) => [c.variable.value, c.sent])).toEqual([
      ['instance', true],
      ['group-production', true],
      ['subgroup-star', true],
      ['project-review', false],
    ]);
  });

  it('a protected project row wins only on a protected ref', () => {
    const onProtected = resolveJobVariable(levels, 'DOCKER_AUTH_CONFIG', { environment: 'review/app-1', refProtected: true });
    const onOther = resolveJobVariable(levels, 'DOCKER_AUTH_CONFIG', { environment: 'review/app-1', refProtected: false });
    expect(onProtected.decision.kind === 'one' && onProtected.decision.candidate.variable.value).toBe('project-review');
    expect(onOther.decision.kind === 'one' && onOther.decision.candidate.variable.value).toBe('subgroup-star');
    expect(onOther.candidates.find((c) => c.variable.value === 'project-review')?.why).toBe('protected, and the ref is not protected');
  });

  it('two different matching wildcards of one level have no defined order', () => {
    const tie = [
      {
        level: { kind: 'project' as const, path: 'p/q' },
        variables: [aVariable('a', { environmentScope: 'review/*' }), aVariable('b', { environmentScope: '*/app-1' }), aVariable('c')],
      },
    ];
    const { decision } = resolveJobVariable(tie, 'DOCKER_AUTH_CONFIG', { environment: 'review/app-1', refProtected: false });
    expect(decision.kind).toBe('undefined-order');
    expect(decision.kind === 'undefined-order' && decision.candidates.map((c) => c.variable.value)).toEqual(['a', 'b']);
  });

  it('an unreadable level contributes nothing', () => {
    const { decision } = resolveJobVariable([{ level: { kind: 'instance' }, error: '403' }], 'DOCKER_AUTH_CONFIG', { refProtected: false });
    expect(decision).toEqual({ kind: 'none' });
  });
});

describe('Function: readAsRunner', () => {
  const read = (value: unknown, image = ECR_IMAGE) => readAsRunner(typeof value === 'string' ? value : JSON.stringify(value), image);

  it('matches a key with https:// and a path to the host, like the Runner', () => {
    const reading = read({ auths: { [`https://${ECR_HOST.toUpperCase()}/v2/`]: { auth: AUTH } } });
    expect(reading.kind === 'read' && reading.match).toMatchObject({ key: `https://${ECR_HOST.toUpperCase()}/v2/`, path: ECR_HOST, source: 'auths' });
  });

  it('prefers the longest matching path, and never a sibling path or another port', () => {
    const reading = read({
      auths: { [ECR_HOST]: { auth: AUTH }, [`${ECR_HOST}/platform`]: { auth: AUTH }, [`${ECR_HOST}/plat`]: { auth: AUTH }, [`${ECR_HOST}:443`]: { auth: AUTH } },
    });
    expect(reading.kind === 'read' && reading.match?.key).toBe(`${ECR_HOST}/platform`);
    expect(reading.kind === 'read' && reading.tried).toEqual([`${ECR_HOST}/platform/app`, `${ECR_HOST}/platform`, ECR_HOST]);
  });

  it('keeps the first of two keys for one path in byte order (bare ECR host before https://)', () => {
    const reading = read({ auths: { [`https://${ECR_HOST}`]: { auth: encodeAuth('AWS', 'old') }, [ECR_HOST]: { auth: AUTH } } });
    expect(reading.kind === 'read' && [reading.match?.key, reading.ignored.map((e) => e.key)]).toEqual([ECR_HOST, [`https://${ECR_HOST}`]]);
  });

  it('lets a credHelpers entry with the same key override the auths entry', () => {
    const reading = read({ auths: { [ECR_HOST]: { auth: AUTH } }, credHelpers: { [ECR_HOST]: 'ecr-login' } });
    expect(reading.kind === 'read' && reading.match).toMatchObject({ source: 'credHelpers', helper: 'ecr-login' });
  });

  it.each([
    ['not JSON at all', 'dropped', /not JSON/],
    ['["auths"]', 'dropped', /an array, not an object/],
    ['{"auths":[]}', 'dropped', /"auths" is JSON an array/],
    ['{"credsStore":true}', 'dropped', /"credsStore" is JSON a boolean/],
    ['{"auths":{"h":{"auth":"not base64!"}}}', 'dropped', /not standard base64/],
    [`{"auths":{"h":{"auth":"${Buffer.from('no-colon').toString('base64')}"}}}`, 'dropped', /user:password/],
    ['{"proxies":{"default":{"httpProxy":1}}}', 'dropped', /httpProxy/],
    ['  ', 'no-source', /empty/],
    ['null', 'no-source', /no auths/],
    ['{"psFormat":"x"}', 'no-source', /no auths/],
    ['{"credsStore":"a/b"}', 'refused', /path traversal/],
    ['{"credHelpers":{"h":""}}', 'refused', /path traversal/],
  ])('%s → %s', (value, kind, reason) => {
    const reading = read(value);
    expect(reading.kind).toBe(kind);
    expect(reading.kind !== 'read' && reading.reason).toMatch(reason);
  });

  it('reads only the first JSON value, and field names in any case, like Go', () => {
    const reading = read(`{"AUTHS":{"${ECR_HOST}":{"Auth":"${AUTH}"}}} trailing text`);
    expect(reading.kind === 'read' && reading.match?.credentials).toMatchObject({ username: 'AWS', password: 'pw' });
  });
});

describe('Function: expandAsRunner', () => {
  it.each([
    ['no dollar', 'no dollar', []],
    ['a$$b', 'a$b', []],
    ['p$1w', 'pw', []],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Runner's ${} syntax, literally
    ['x${}y', 'xy', []],
    ['x${y', 'xy', []],
    ['x$%y', 'x$%y', []],
    ['end$', 'end$', []],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the Runner's ${NAME} syntax, literally
    ['a$NAME-b${OTHER}c', 'a-bc', ['NAME', 'OTHER']],
  ])('%s → %s', (value, expanded, references) => {
    expect(expandAsRunner(value)).toMatchObject({ value: expanded, references });
  });
});
