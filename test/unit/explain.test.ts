import { describe, expect, it } from 'vitest';
import { encodeAuth } from '../../src/core/formats/docker-auth.js';
import { type ExplainRequest, explainPull } from '../../src/core/inspect/explain/explain.js';
import { profileAdmits } from '../../src/domain/profile-trust.js';
import { ConfigError } from '../../src/errors.js';
import { aVariable, ECR_HOST, ECR_IMAGE, FakeJobVariables, FakeRegistryProbe, PASSWORD, toolValue } from '../support/explain-fakes.js';

const NOW = Date.parse('2026-06-01T12:00:00Z');
const FRESH = '2026-06-01T20:00:00.000Z';
const STALE = '2026-06-01T06:00:00.000Z';
const PROJECT = 'platform/backend/api';

function explain(gitlab: FakeJobVariables, request: Partial<ExplainRequest> = {}, registry?: FakeRegistryProbe) {
  return explainPull({ project: PROJECT, image: ECR_IMAGE, ...request }, { gitlab, registry, now: () => NOW });
}

describe('Function: explainPull', () => {
  describe('which value the job gets', () => {
    it('project beats subgroup beats group beats instance', async () => {
      const gitlab = new FakeJobVariables()
        .define('instance', aVariable(toolValue(STALE)))
        .define('group:platform', aVariable(toolValue(STALE)))
        .define('group:platform/backend', aVariable(toolValue(STALE)))
        .define(`project:${PROJECT}`, aVariable(toolValue(FRESH)));
      const report = await explain(gitlab);
      expect(report.candidates.map((c) => [c.level, c.outcome])).toEqual([
        ['instance', 'loses'],
        ['group:platform', 'loses'],
        ['group:platform/backend', 'loses'],
        [`project:${PROJECT}`, 'wins'],
      ]);
      expect(report.verdict).toMatchObject({ exitCode: 0 });
      expect(report.validity).toMatchObject({ state: 'fresh', expiresAt: FRESH });
    });

    it('for review/app-1: review/* beats * and production does not match, within one level', async () => {
      const gitlab = new FakeJobVariables().define(
        'group:platform',
        aVariable(toolValue(STALE), { environmentScope: '*' }),
        aVariable(toolValue(STALE), { environmentScope: 'production' }),
        aVariable(toolValue(FRESH), { environmentScope: 'review/*' }),
      );
      const report = await explain(gitlab, { environment: 'review/app-1' });
      expect(report.candidates.map((c) => [c.scope, c.outcome])).toEqual([
        ['*', 'loses'],
        ['production', 'not-sent'],
        ['review/*', 'wins'],
      ]);
      expect(report.candidates[1]?.why).toBe('scope production does not match environment review/app-1 (the whole name must match, case-sensitive)');
      expect(report.received).toBe('group:platform scope review/*');
      expect(report.verdict.exitCode).toBe(0);
    });

    it('a job without an environment gets only * rows', async () => {
      const gitlab = new FakeJobVariables().define('group:platform', aVariable(toolValue(FRESH), { environmentScope: 'production' }));
      const report = await explain(gitlab);
      expect(report.verdict).toMatchObject({ exitCode: 1, summary: expect.stringContaining('no DOCKER_AUTH_CONFIG reaches this job') });
      expect(report.candidates[0]?.why).toBe('scope production: a job without an environment gets only * rows');
    });

    it('a protected variable on an unprotected ref is not sent; the lookup names the rule', async () => {
      const gitlab = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(FRESH), { protected: true }));
      gitlab.protectedBranches = ['release/*'];
      const report = await explain(gitlab, { ref: 'feature/x' });
      expect(report.job).toMatchObject({ ref: 'feature/x', refProtected: false, protection: 'not protected as a branch and as a tag' });
      expect(report.candidates[0]).toMatchObject({ sent: false, why: 'protected, and the ref is not protected' });
      expect(report.verdict.exitCode).toBe(1);

      const onRelease = await explain(gitlab, { ref: 'refs/heads/release/1.0' });
      expect(onRelease.job).toMatchObject({ refProtected: true, protection: 'protected branch (rule release/*)' });
      expect(onRelease.verdict.exitCode).toBe(0);
    });

    it('a bare name that only a tag rule protects is looked up as GitLab does: a tag first, then a branch', async () => {
      const gitlab = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(FRESH), { protected: true }));
      gitlab.protectedTags = ['v*'];
      gitlab.tags.add('v1.0');
      expect((await explain(gitlab, { ref: 'v1.0' })).job).toMatchObject({ refProtected: true, protection: 'protected tag (rule v*)' });
      gitlab.branches.add('v1.0');
      const ambiguous = await explain(gitlab, { ref: 'v1.0' });
      expect(ambiguous.verdict).toMatchObject({ exitCode: 2, rule: expect.stringContaining('both a branch and a tag') });
    });

    it('asks nothing about protection when no matching candidate is protected, and nothing is protected in merge-request pipelines', async () => {
      const gitlab = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(FRESH)));
      const report = await explain(gitlab);
      expect(report.job.protection).toBe('not looked up: no candidate that matches is protected');
      expect(gitlab.calls.filter((call) => call.startsWith('protectedRefs'))).toEqual([]);
      const mr = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(FRESH), { protected: true }));
      mr.protectedBranches = ['*'];
      const onMr = await explain(mr, { ref: 'refs/merge-requests/4/head' });
      expect(onMr.verdict.exitCode).toBe(1);
      expect(onMr.job.refProtected).toBe(false);
    });

    it('cannot tell when protection decides and the protected branches cannot be read, unless --protected-ref says so', async () => {
      const gitlab = new FakeJobVariables().define('group:platform', aVariable(toolValue(FRESH), { protected: true }));
      gitlab.protectedRefsError = 'GET /api/v4/projects/x/protected_branches returned 403: 403 Forbidden';
      expect((await explain(gitlab)).verdict).toMatchObject({ exitCode: 2, rule: expect.stringContaining('whether main is protected decides') });
      expect((await explain(gitlab, { protectedRef: true })).verdict.exitCode).toBe(0);
    });

    it('says "undefined order" for two different matching wildcards, and carries on when their values are equal', async () => {
      const differ = new FakeJobVariables().define(
        `project:${PROJECT}`,
        aVariable(toolValue(FRESH), { environmentScope: 'review/*' }),
        aVariable(toolValue(STALE), { environmentScope: '*/app-1' }),
      );
      const report = await explain(differ, { environment: 'review/app-1' });
      expect(report.verdict).toMatchObject({ exitCode: 2, rule: expect.stringContaining('no order') });
      expect(report.candidates.map((c) => c.outcome)).toEqual(['undefined-order', 'undefined-order']);
      const same = new FakeJobVariables().define(
        `project:${PROJECT}`,
        aVariable(toolValue(FRESH), { environmentScope: 'review/*' }),
        aVariable(toolValue(FRESH), { environmentScope: '*/app-1' }),
      );
      expect((await explain(same, { environment: 'review/app-1' })).verdict.exitCode).toBe(0);
    });

    it('cannot tell when a level above the answer is unreadable; an unreadable instance below it does not matter', async () => {
      const gitlab = new FakeJobVariables().define('group:platform', aVariable(toolValue(FRESH)));
      gitlab.failing.set('instance', 'GET /api/v4/admin/ci/variables returned 403: 403 Forbidden');
      const below = await explain(gitlab);
      expect(below.verdict.exitCode).toBe(0);
      expect(below.levels[0]).toMatchObject({ level: 'instance', readable: false });
      gitlab.failing.set('group:platform/backend', 'GET /api/v4/groups/platform%2Fbackend/variables returned 403: 403 Forbidden');
      const above = await explain(gitlab);
      expect(above.verdict).toMatchObject({ exitCode: 2, rule: expect.stringContaining('group:platform/backend') });
    });

    it('a personal namespace passes no group variables', async () => {
      const gitlab = new FakeJobVariables({ id: 3, fullPath: 'alice/tool', defaultBranch: 'main', namespace: { kind: 'user', fullPath: 'alice' } });
      const report = await explainPull({ project: 'alice/tool', image: ECR_IMAGE }, { gitlab, now: () => NOW });
      expect(report.levels.map((l) => l.level)).toEqual(['instance', 'project:alice/tool']);
    });

    it('a hidden winner cannot be read, so explain cannot tell', async () => {
      const gitlab = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(null, { masked: true }));
      expect((await explain(gitlab)).verdict).toMatchObject({ exitCode: 2, summary: expect.stringContaining('hidden') });
    });

    it("a job secret overrides every variable; explain says so and cannot tell when it cannot read the secret's value", async () => {
      const gitlab = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(STALE)));
      const unreadable = await explain(gitlab, { jobSecret: { source: 'aws_secrets_manager ecr/pull', value: undefined } });
      expect(unreadable.candidates[0]).toMatchObject({ outcome: 'overridden-by-job-secret' });
      expect(unreadable.verdict).toMatchObject({ exitCode: 2, summary: expect.stringContaining('ecr/pull') });
      const read = await explain(gitlab, { jobSecret: { source: 'aws_secrets_manager ecr/pull', value: toolValue(FRESH) } });
      expect(read.received).toBe('job secret aws_secrets_manager ecr/pull');
      expect(read.verdict.exitCode).toBe(0);
      // Secrets are raw: a $ in them is never expanded.
      const dollar = await explain(gitlab, { jobSecret: { source: 's', value: toolValue(FRESH, ECR_HOST, 'pa$word') } });
      expect(dollar.runner?.reading).toContain('raw');
      expect(dollar.verdict.exitCode).toBe(0);
    });
  });

  describe("a profile's secret: only jobs its role trusts can read it", () => {
    const profile = { projects: [PROJECT], refs: ['branch:main', 'tag:v*'] };
    const secret = (value = toolValue(FRESH)) => ({ source: 'profile prod', value, admits: (subject: string) => profileAdmits(profile, subject) });
    const gitlab = () => new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(STALE)));

    it('goes on to the Runner when the role trusts the job (a branch, or a tag the patterns name)', async () => {
      expect((await explain(gitlab(), { ref: 'refs/heads/main', jobSecret: secret() })).verdict.exitCode).toBe(0);
      expect((await explain(gitlab(), { ref: 'refs/tags/v1.2', jobSecret: secret() })).verdict.exitCode).toBe(0);
    });

    it('would not authenticate when the role refuses the ID token: the secrets: step fails before the pull', async () => {
      const report = await explain(gitlab(), { ref: 'refs/heads/feature', jobSecret: secret() });
      expect(report.verdict).toMatchObject({
        exitCode: 1,
        summary: expect.stringContaining(`does not trust this job's ID token (sub project_path:${PROJECT}:ref_type:branch:ref:feature)`),
        fix: expect.stringContaining("that profile's projects and refs"),
      });
      expect(report.runner).toBeUndefined();
    });

    it('cannot tell for a bare ref name the role trusts as a tag only, nor for a merge-request pipeline', async () => {
      const bare = await explain(gitlab(), { ref: 'v1.2', jobSecret: secret() });
      expect(bare.verdict).toMatchObject({ exitCode: 2, fix: 'pass --ref refs/heads/NAME or refs/tags/NAME' });
      const merge = await explain(gitlab(), { ref: 'refs/merge-requests/4/head', jobSecret: secret() });
      expect(merge.verdict).toMatchObject({ exitCode: 2, summary: expect.stringContaining('merge-request pipeline') });
    });
  });

  describe('what the Runner does with it', () => {
    const one = (value: string, overrides = {}) => new FakeJobVariables().define(`project:${PROJECT}`, aVariable(value, overrides));

    it('a credHelpers entry for the host takes over: cannot tell, and the probe cannot run the helper', async () => {
      const value = JSON.stringify({ ...JSON.parse(toolValue(FRESH)), credHelpers: { [ECR_HOST]: 'ecr-login' } });
      const registry = new FakeRegistryProbe({ manifestStatus: 200 });
      const report = await explain(one(value), { probe: true }, registry);
      expect(report.runner?.match).toMatchObject({ source: 'credHelpers', helper: 'ecr-login' });
      expect(report.verdict).toMatchObject({ exitCode: 2, fix: expect.stringContaining('drop-for-managed-hosts') });
      expect(report.probe).toMatchObject({ ran: false, reason: expect.stringContaining('cannot run it') });
      expect(registry.requests).toEqual([]);
    });

    it('a credsStore: cannot tell, the helper decides for every registry', async () => {
      const value = JSON.stringify({ ...JSON.parse(toolValue(FRESH)), credsStore: 'ecr-login' });
      expect((await explain(one(value))).verdict).toMatchObject({ exitCode: 2, fix: expect.stringContaining('remove credsStore') });
    });

    it('a key with https:// and a path is the host to the Runner', async () => {
      const value = JSON.stringify({ auths: { [`https://${ECR_HOST}/v2/`]: { auth: encodeAuth('AWS', PASSWORD) } } });
      const report = await explain(one(value));
      expect(report.runner?.match).toMatchObject({ key: `https://${ECR_HOST}/v2/`, path: ECR_HOST });
      // Not this tool's spelling, so not its record: an ECR entry of unknown age.
      expect(report.validity?.state).toBe('not-recorded');
      expect(report.verdict.exitCode).toBe(2);
    });

    it('an expired entry: would not authenticate', async () => {
      const report = await explain(one(toolValue(STALE)));
      expect(report.validity).toMatchObject({ state: 'expired', expiresAt: STALE });
      expect(report.verdict).toMatchObject({ exitCode: 1, fix: expect.stringContaining('run a refresh now') });
    });

    it('a non-JSON value is dropped whole', async () => {
      const report = await explain(one('this is not json'));
      expect(report.runner).toMatchObject({ outcome: 'dropped' });
      expect(report.verdict).toMatchObject({ exitCode: 1, rule: expect.stringContaining('dropped entirely') });
    });

    it('no entry for the host names the paths tried and the keys present', async () => {
      const report = await explain(one(toolValue(FRESH, '222222222222.dkr.ecr.eu-west-1.amazonaws.com')));
      expect(report.verdict).toMatchObject({ exitCode: 1, rule: expect.stringContaining(`${ECR_HOST}/platform/app, then ${ECR_HOST}/platform, then ${ECR_HOST}`) });
    });

    it('a non-raw value with $NAME in the entry depends on the job variables; $$ alone does not', async () => {
      // $NAME only in another host's entry: the expansion changes nothing the Runner uses for this image.
      const elsewhere = await explain(one(toolValue(FRESH, ECR_HOST, PASSWORD, { auths: { 'quay.io': { username: 'u', password: 'p$QUAY' } } }), { raw: false }));
      expect(elsewhere.runner?.reading).toContain('$QUAY');
      expect(elsewhere.verdict.exitCode).toBe(0);
      const withName = JSON.stringify({ auths: { [ECR_HOST]: { username: 'AWS', password: 'pa$SECRET' } } });
      const report = await explain(one(withName, { raw: false }));
      expect(report.verdict).toMatchObject({ exitCode: 2, rule: expect.stringContaining('$SECRET'), fix: expect.stringContaining('raw') });
      const escaped = JSON.stringify({
        auths: { [ECR_HOST]: { username: 'AWS', password: 'pa$$word' } },
        ecrGitlabRefresher: { refreshedAt: 'x', expiresAt: { [ECR_HOST]: FRESH } },
      });
      expect((await explain(one(escaped, { raw: false }))).verdict.exitCode).toBe(0);
    });

    it('a file variable is read by its content', async () => {
      const report = await explain(one(toolValue(FRESH), { variableType: 'file' }));
      expect(report.runner?.reading).toContain('file variable');
      expect(report.verdict.exitCode).toBe(0);
    });

    it('a credHelpers entry for another host makes the answer depend on that helper', async () => {
      const value = JSON.stringify({ ...JSON.parse(toolValue(FRESH)), credHelpers: { 'gcr.io': 'gcloud' } });
      expect((await explain(one(value))).verdict).toMatchObject({ exitCode: 2, summary: expect.stringContaining('gcr.io → docker-credential-gcloud') });
    });
  });

  describe('--probe', () => {
    const fresh = () => new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(FRESH)));

    it.each([
      [200, 0, 'authenticated'],
      [401, 1, 'unauthenticated'],
      [403, 1, 'denied'],
      [404, 1, 'not-found'],
    ])('a manifest answer %s gives exit %s (%s)', async (status, exitCode, outcome) => {
      const registry = new FakeRegistryProbe({ manifestStatus: status });
      const report = await explain(fresh(), { probe: true }, registry);
      expect(report.probe).toMatchObject({ ran: true, outcome });
      expect(report.verdict.exitCode).toBe(exitCode);
      expect(registry.requests).toEqual([
        { endpointHost: ECR_HOST, repository: 'platform/app', reference: 'v1', credentials: { kind: 'basic', username: 'AWS', password: PASSWORD } },
      ]);
    });

    it('the registry wins over the recorded expiry', async () => {
      const stale = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(STALE)));
      expect((await explain(stale, { probe: true }, new FakeRegistryProbe({ manifestStatus: 200 }))).verdict.exitCode).toBe(0);
    });

    it('a probe that cannot finish leaves the answer as it was, and says why', async () => {
      const report = await explain(fresh(), { probe: true }, new FakeRegistryProbe({ error: 'connect ECONNREFUSED' }));
      expect(report.probe).toMatchObject({ ran: true, outcome: 'failed', meaning: expect.stringContaining('ECONNREFUSED') });
      expect(report.verdict.exitCode).toBe(0);
    });
  });

  it('never puts a credential in the report', async () => {
    const gitlab = new FakeJobVariables().define(`project:${PROJECT}`, aVariable(toolValue(FRESH)));
    const report = await explain(gitlab, { probe: true }, new FakeRegistryProbe({ manifestStatus: 401 }));
    const text = JSON.stringify(report);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(encodeAuth('AWS', PASSWORD));
    expect(report.verdict.exitCode).toBe(1);
  });

  it('refuses a malformed image before any GitLab call', async () => {
    const gitlab = new FakeJobVariables();
    await expect(explain(gitlab, { image: 'Platform/App' })).rejects.toThrowError(ConfigError);
    await expect(explain(gitlab, { image: 'platform/App' })).rejects.toThrowError('must be lower case');
    expect(gitlab.calls).toEqual([]);
  });
});
