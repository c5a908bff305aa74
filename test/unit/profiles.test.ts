import { describe, expect, it } from 'vitest';
import { renderProfileSnippet } from '../../src/cli/profile-snippet.js';
import { validateConfig } from '../../src/config/parse.js';
import type { Config } from '../../src/config/schema.js';
import { METADATA_KEY } from '../../src/core/formats/docker-auth.js';
import { configWarnings } from '../../src/core/inspect/config-warnings.js';
import { trustProblems } from '../../src/core/inspect/doctor-profiles.js';
import { planRefresh } from '../../src/core/refresh/plan.js';
import { renderProfileSecret } from '../../src/core/refresh/profile-secrets.js';
import { runRefresh } from '../../src/core/refresh/refresh.js';
import { registryHostMatcher } from '../../src/domain/hosts.js';
import { oidcSettings, profileTrustPolicy, subjectPatterns, trustConditions } from '../../src/domain/profile-trust.js';
import { profileSecretName } from '../../src/domain/secret-names.js';
import { ConfigError } from '../../src/errors.js';
import { refreshMetricsRecord } from '../../src/observability/metrics.js';
import { CapturingLogger, FakeMinter, MemorySecretStore } from '../support/builders.js';
import { trustAdmits } from '../support/iam-trust.js';

const PROVIDER = 'arn:aws:iam::123456789012:oidc-provider/gitlab.example.com';

/** Profiles only: no gitlab section, no targets. */
function profilesConfig(overrides: Record<string, unknown> = {}): Config {
  return validateConfig({
    registries: [
      { name: 'prod', accountId: '111111111111', regions: ['eu-west-1', 'us-east-1'] },
      { name: 'dev', accountId: '222222222222', regions: ['eu-west-1'] },
      { name: 'public', public: true },
    ],
    profiles: [
      { name: 'prod', registries: ['prod'], projects: ['platform/*'], refs: ['branch:main', 'tag:v*'] },
      { name: 'dev', registries: ['dev', 'public'], projects: ['platform/api', 'tools/ci'] },
    ],
    oidc: { issuer: 'https://gitlab.example.com/' },
    ...overrides,
  });
}

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

const base = {
  registries: [{ name: 'prod', accountId: '111111111111', regions: ['eu-west-1'] }],
  oidc: { issuer: 'https://gitlab.example.com' },
};

describe('Config: profiles', () => {
  it('needs no gitlab section or targets, and defaults the audience', () => {
    const config = profilesConfig();
    expect(config.gitlab).toBeUndefined();
    expect(config.targets).toEqual([]);
    expect(oidcSettings(config)).toEqual({ issuer: 'https://gitlab.example.com', audience: 'sts.amazonaws.com', providerArn: undefined, providerUrl: 'gitlab.example.com' });
  });

  it('takes the issuer from gitlab.url when oidc.issuer is not given', () => {
    const config = validateConfig({
      gitlab: { url: 'https://GitLab.Example.com/gitlab/' },
      registries: base.registries,
      profiles: [{ name: 'p', registries: ['prod'], projects: ['g/x'] }],
    });
    expect(oidcSettings(config)?.providerUrl).toBe('gitlab.example.com/gitlab');
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['no project patterns', { name: 'p', registries: ['prod'] }, 'profiles[0].projects: required: list the GitLab projects'],
    ['an empty project list', { name: 'p', registries: ['prod'], projects: [] }, 'profiles[0].projects: list at least one project pattern'],
    ['a wildcard top-level group', { name: 'p', registries: ['prod'], projects: ['*/api'] }, 'profiles[0].projects[0]: expected a GitLab project path or pattern'],
    ['a pattern for every project', { name: 'p', registries: ['prod'], projects: ['*'] }, 'profiles[0].projects[0]: expected a GitLab project path or pattern'],
    ['a lookalike top-level wildcard', { name: 'p', registries: ['prod'], projects: ['platform*/x'] }, 'profiles[0].projects[0]: expected a GitLab project path or pattern'],
    ['a ref without its type', { name: 'p', registries: ['prod'], projects: ['g/x'], refs: ['main'] }, 'profiles[0].refs[0]: expected branch:NAME or tag:NAME'],
    [
      'a ref with an IAM variable',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, not a template
      { name: 'p', registries: ['prod'], projects: ['g/x'], refs: ['branch:${aws:username}'] },
      'profiles[0].refs[0]: expected branch:NAME or tag:NAME',
    ],
    ['an unknown registry', { name: 'p', registries: ['nope'], projects: ['g/x'] }, 'profiles[0].registries[0]: unknown registry "nope"'],
    ['an upper-case name', { name: 'Prod', registries: ['prod'], projects: ['g/x'] }, 'profiles[0].name: expected lower-case letters'],
  ])('refuses %s with the field path', (_, profile, expected) => {
    expect(problemsOf({ ...base, profiles: [profile] }).join('\n')).toContain(expected);
  });

  it('refuses two profiles with one name, or with one stack resource name', () => {
    const twice = problemsOf({ ...base, profiles: [0, 1].map(() => ({ name: 'p', registries: ['prod'], projects: ['g/x'] })) });
    expect(twice).toEqual(['profiles[1].name: duplicate profile name "p" (see profiles[0])']);
    const sameId = problemsOf({
      ...base,
      profiles: [
        { name: 'a-1', registries: ['prod'], projects: ['g/x'] },
        { name: 'a1', registries: ['prod'], projects: ['g/x'] },
      ],
    });
    expect(sameId).toEqual(['profiles[1].name: gives the same stack resource names (ProfileA1…) as profiles[0]; rename one']);
  });

  it('refuses a profile holding two registries that give one host', () => {
    const problems = problemsOf({
      ...base,
      registries: [...base.registries, { name: 'via-role', roleArn: 'arn:aws:iam::111111111111:role/r', regions: ['eu-west-1'] }],
      profiles: [{ name: 'p', registries: ['prod', 'via-role'], projects: ['g/x'] }],
    });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^profiles\[0\]\.registries: registries "prod" and "via-role" both give the registry host of 111111111111 in eu-west-1.*a profile's Docker config holds one entry per host/,
    );
  });

  it('needs an https issuer that AWS can register, and a provider ARN for that issuer', () => {
    expect(problemsOf({ registries: base.registries, profiles: [{ name: 'p', registries: ['prod'], projects: ['g/x'] }] })).toEqual([
      "oidc.issuer: required when there is no gitlab section: the GitLab URL that issues the jobs' ID tokens",
    ]);
    const http = problemsOf({
      gitlab: { url: 'http://127.0.0.1:8080', allowInsecureHttp: true },
      registries: base.registries,
      profiles: [{ name: 'p', registries: ['prod'], projects: ['g/x'] }],
    });
    expect(http).toEqual([
      'oidc: profiles need an https issuer: IAM accepts only https OIDC providers (gitlab.url is http://127.0.0.1:8080; set oidc.issuer to the https URL AWS can reach)',
    ]);
    const arn = problemsOf({
      ...base,
      oidc: { issuer: 'https://gitlab.example.com', providerArn: 'arn:aws:iam::123456789012:oidc-provider/gitlab.com' },
      profiles: [{ name: 'p', registries: ['prod'], projects: ['g/x'] }],
    });
    expect(arn).toEqual(['oidc.providerArn: names the provider for gitlab.com, but the issuer is gitlab.example.com: the roles would trust tokens no job gets']);
  });

  it('needs targets or profiles, gitlab with targets, and profiles for an oidc section', () => {
    expect(problemsOf({ registries: base.registries })).toEqual(['(root): configure targets (GitLab variables), profiles (pull-time secrets), or both']);
    expect(problemsOf({ registries: base.registries, targets: [{ group: 'g' }] })).toEqual(['gitlab: required: targets are GitLab variables']);
    expect(problemsOf({ ...base, targets: [{ group: 'g' }], gitlab: { url: 'https://g.example.com' } })).toEqual(['oidc: only profiles use it: add profiles or remove oidc']);
  });

  it('refuses a profile secret that is a host secret or the GitLab token secret, naming both fields', () => {
    const host = problemsOf({
      gitlab: { url: 'https://gitlab.example.com', tokenSecretId: 'ecr/profiles/prod' },
      registries: [{ name: 'profiles', regions: ['us-east-1'] }],
      secrets: { prefix: 'ecr/' },
      targets: [{ group: 'g' }],
      profiles: [
        { name: 'us-east-1', registries: ['profiles'], projects: ['g/x'] },
        { name: 'prod', registries: ['profiles'], projects: ['g/x'] },
      ],
    });
    expect(host).toContain(
      'profiles[0].name: the secret of profile "us-east-1" and the host secret of registry "profiles" in us-east-1 are one Secrets Manager secret (ecr/profiles/us-east-1): a run would overwrite one with the other; rename the registry or change secrets.prefix (see registries[0].regions[0])',
    );
    expect(host.some((problem) => problem.startsWith('gitlab.tokenSecretId: the GitLab token secret and the secret of profile "prod"'))).toBe(true);
    expect(profileSecretName('ecr/', 'prod')).toBe('ecr/profiles/prod');
  });
});

describe('Function: planRefresh with profiles', () => {
  it('mints once per (credentials, region) for targets and profiles together', () => {
    const config = profilesConfig({
      gitlab: { url: 'https://gitlab.example.com' },
      targets: [{ group: 'g', registries: ['prod'] }],
    });
    const plan = planRefresh(config);
    expect(plan.calls.map((call) => [call.request.kind === 'private' ? call.request.region : 'public', call.slots.map((slot) => slot.registry)])).toEqual([
      ['eu-west-1', ['prod', 'dev']],
      ['us-east-1', ['prod']],
      ['public', ['public']],
    ]);
    expect(plan.profiles.map((planned) => planned.profile.name)).toEqual(['prod', 'dev']);
    expect(plan.variables).toHaveLength(1);
  });

  it('narrows to the chosen profiles (no targets), or to the chosen targets (no profiles)', () => {
    const config = profilesConfig({ gitlab: { url: 'https://gitlab.example.com' }, targets: [{ group: 'g', registries: ['prod'] }] });
    const onlyDev = planRefresh(config, { profiles: ['dev'] });
    expect(onlyDev.variables).toEqual([]);
    expect(onlyDev.profiles.map((planned) => planned.profile.name)).toEqual(['dev']);
    expect(onlyDev.calls.flatMap((call) => call.slots.map((slot) => slot.registry)).sort()).toEqual(['dev', 'public']);
    const onlyTarget = planRefresh(config, { targets: ['group:g'] });
    expect(onlyTarget.profiles).toEqual([]);
    expect(() => planRefresh(config, { profiles: ['nope'] })).toThrow('profile "nope": not in the config (known: prod, dev)');
  });

  it('mints a registry no target or profile uses only when a secrets section exists, and warns otherwise', () => {
    const registries = [
      { name: 'prod', accountId: '111111111111', regions: ['eu-west-1'] },
      { name: 'spare', accountId: '333333333333', regions: ['ap-south-1'] },
    ];
    const profiles = [{ name: 'prod', registries: ['prod'], projects: ['g/x'] }];
    const without = profilesConfig({ registries, profiles });
    expect(planRefresh(without).calls.map((call) => (call.request.kind === 'private' ? call.request.region : 'public'))).toEqual(['eu-west-1']);
    expect(configWarnings(without)).toEqual([
      {
        path: 'registries[1]',
        detail: 'registry "spare" is used by no target and no profile, and there is no secrets section: it is never minted',
        fix: "list it in a target's or profile's registries, add a secrets section (its host secrets are then refreshed), or remove it",
      },
    ]);
    const withSecrets = profilesConfig({ registries, profiles, secrets: { prefix: 'ecr/' } });
    expect(planRefresh(withSecrets).calls.map((call) => (call.request.kind === 'private' ? call.request.region : 'public'))).toEqual(['eu-west-1', 'ap-south-1']);
    expect(configWarnings(withSecrets)).toEqual([]);
    // A run narrowed to one profile mints only what that profile needs.
    expect(planRefresh(withSecrets, { profiles: ['prod'] }).calls).toHaveLength(1);
  });
});

const NOW = new Date('2026-11-22T06:00:00Z');
const credential = (host: string, password = `pw-${host}`) => ({ host, username: 'AWS', password, expiresAt: new Date('2026-11-22T18:00:00Z') });
const PROD_EU = '111111111111.dkr.ecr.eu-west-1.amazonaws.com';
const PROD_US = '111111111111.dkr.ecr.us-east-1.amazonaws.com';

describe('Function: renderProfileSecret', () => {
  const config = profilesConfig();
  // prod names its account: no caller account needed.
  const isProd =
    registryHostMatcher(
      config.registries.filter((registry) => registry.name === 'prod'),
      undefined,
    ) ?? (() => false);

  it('holds exactly the profile hosts: fresh ones replaced, a failed one kept, others and foreign keys removed', () => {
    const current = JSON.stringify({
      auths: {
        [PROD_EU]: { auth: 'old-eu' },
        [`https://${PROD_US}/v2/`]: { auth: 'old-us' },
        'index.docker.io': { auth: 'hub' },
        '222222222222.dkr.ecr.eu-west-1.amazonaws.com': { auth: 'dev' },
      },
      credsStore: 'ecr-login',
      [METADATA_KEY]: { refreshedAt: 'x', expiresAt: { [PROD_US]: '2026-11-22T07:00:00.000Z', 'index.docker.io': '2030-01-01T00:00:00.000Z' } },
    });
    // us-east-1 failed to mint in this run: its last entry stays.
    const rendered = renderProfileSecret(current, [credential(PROD_EU)], isProd, NOW);
    const value = JSON.parse(rendered.value);
    expect(Object.keys(value).sort()).toEqual(['auths', METADATA_KEY]);
    expect(value.auths).toEqual({ [`https://${PROD_US}/v2/`]: { auth: 'old-us' }, [PROD_EU]: { auth: Buffer.from(`AWS:pw-${PROD_EU}`).toString('base64') } });
    expect(rendered.hosts).toEqual({ replaced: [PROD_EU], added: [], kept: [`https://${PROD_US}/v2/`] });
    expect(rendered.removed).toEqual(['222222222222.dkr.ecr.eu-west-1.amazonaws.com', 'index.docker.io']);
    expect(value[METADATA_KEY].expiresAt).toEqual({ [PROD_US]: '2026-11-22T07:00:00.000Z', [PROD_EU]: '2026-11-22T18:00:00.000Z' });
    expect(rendered.expiresAt).toBe('2026-11-22T07:00:00.000Z');
  });

  it("starts over from a value that is not a Docker config (the secret is the tool's own)", () => {
    const rendered = renderProfileSecret('not json', [credential(PROD_EU)], isProd, NOW);
    expect(Object.keys(JSON.parse(rendered.value).auths)).toEqual([PROD_EU]);
  });
});

describe('Function: runRefresh with only profiles', () => {
  it('writes each profile secret with its own hosts, needs no GitLab store, and reports the earliest expiry', async () => {
    const config = profilesConfig();
    const store = new MemorySecretStore();
    const minter = new FakeMinter();
    const summary = await runRefresh(
      config,
      { dryRun: false },
      { minter, secretStore: store, clock: { now: () => NOW.getTime() }, logger: new CapturingLogger(), onSecret: () => {} },
    );
    expect(summary.ok).toBe(true);
    expect(summary.targets).toEqual([]);
    expect(minter.calls).toHaveLength(3);
    expect(summary.profiles.map((p) => [p.profile, p.secret, p.status])).toEqual([
      ['prod', 'ecr-gitlab-refresher/profiles/prod', 'created'],
      ['dev', 'ecr-gitlab-refresher/profiles/dev', 'created'],
    ]);
    expect(Object.keys(JSON.parse(store.values.get('ecr-gitlab-refresher/profiles/prod') ?? '{}').auths).sort()).toEqual([PROD_EU, PROD_US]);
    expect(Object.keys(JSON.parse(store.values.get('ecr-gitlab-refresher/profiles/dev') ?? '{}').auths).sort()).toEqual([
      '222222222222.dkr.ecr.eu-west-1.amazonaws.com',
      'public.ecr.aws',
    ]);
    expect([...store.values.keys()].sort()).toEqual(['ecr-gitlab-refresher/profiles/dev', 'ecr-gitlab-refresher/profiles/prod']);
    const record = refreshMetricsRecord(summary, NOW, { stage: 'test', narrowed: false });
    expect(record.SecondsUntilEarliestExpiry).toBe(12 * 3600);
    expect(record.ProfilesUpdated).toBe(2);
    expect(record.GitLabRequests).toBeUndefined();
  });

  it('keeps a profile secret whose registries all failed to mint, and reports the failure', async () => {
    const config = profilesConfig();
    const store = new MemorySecretStore();
    const previous = JSON.stringify({ auths: { [PROD_EU]: { auth: 'x' } }, [METADATA_KEY]: { refreshedAt: 'r', expiresAt: { [PROD_EU]: '2026-11-22T09:00:00.000Z' } } });
    store.values.set('ecr-gitlab-refresher/profiles/prod', previous);
    const minter = new FakeMinter();
    minter.failRegions = new Set(['eu-west-1', 'us-east-1']);
    const summary = await runRefresh(
      config,
      { dryRun: false, selection: { profiles: ['prod'] } },
      { minter, secretStore: store, clock: { now: () => NOW.getTime() }, logger: new CapturingLogger(), onSecret: () => {} },
    );
    expect(summary.ok).toBe(false);
    expect(summary.registries.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(summary.profiles).toEqual([
      {
        profile: 'prod',
        secret: 'ecr-gitlab-refresher/profiles/prod',
        status: 'skipped',
        expiresAt: '2026-11-22T09:00:00.000Z',
        note: 'no registry of this profile was minted in this run: the secret keeps its last value',
      },
    ]);
    expect(store.writes).toEqual([]);
    expect(store.values.get('ecr-gitlab-refresher/profiles/prod')).toBe(previous);
  });

  it('refuses a value over 64 KB before writing, says how to split, and leaves the secret as it was', async () => {
    const regions = ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1', 'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2'];
    const config = profilesConfig({
      registries: Array.from({ length: 4 }, (_, index) => ({ name: `r${index}`, accountId: `10000000000${index}`, regions })),
      profiles: [{ name: 'huge', registries: ['r0', 'r1', 'r2', 'r3'], projects: ['g/x'] }],
    });
    const store = new MemorySecretStore();
    store.values.set('ecr-gitlab-refresher/profiles/huge', '{"auths":{}}');
    const bigPasswords: typeof FakeMinter.prototype.mint = async (request) => ({
      host: `999999999999.dkr.ecr.${request.kind === 'private' ? request.region : 'x'}.amazonaws.com`,
      username: 'AWS',
      password: 'p'.repeat(2_500),
      expiresAt: new Date('2026-11-22T18:00:00Z'),
    });
    const summary = await runRefresh(
      config,
      { dryRun: false },
      { minter: { mint: bigPasswords }, secretStore: store, clock: { now: () => NOW.getTime() }, logger: new CapturingLogger(), onSecret: () => {} },
    );
    const [result] = summary.profiles;
    expect(result?.status).toBe('failed');
    expect(result?.error).toMatch(
      /^SecretTooLargeError: ecr-gitlab-refresher\/profiles\/huge: value is \d+ bytes, over Secrets Manager's 65536-byte limit; split profile "huge" into profiles with fewer registries/,
    );
    expect(store.writes).toEqual([]);
    expect(store.values.get('ecr-gitlab-refresher/profiles/huge')).toBe('{"auths":{}}');
    expect(refreshMetricsRecord(summary, NOW, { stage: 'test', narrowed: false }).ProfilesFailed).toBe(1);
  });

  it('writes nothing in a dry run', async () => {
    const store = new MemorySecretStore();
    const summary = await runRefresh(
      profilesConfig(),
      { dryRun: true },
      { minter: new FakeMinter(), secretStore: store, clock: { now: () => NOW.getTime() }, logger: new CapturingLogger(), onSecret: () => {} },
    );
    expect(summary.profiles.map((p) => p.status)).toEqual(['would-write', 'would-write']);
    expect(store.writes).toEqual([]);
  });
});

describe('Profile trust, as written, against GitLab ID token claims', () => {
  const config = profilesConfig();
  const oidc = oidcSettings(config);
  if (!oidc) throw new Error('test config has profiles');
  const [prod, dev] = config.profiles as [Config['profiles'][number], Config['profiles'][number]];
  /** The claims IAM sees for a GitLab job (`sub` as GitLab documents it). */
  const job = (project: string, refType: 'branch' | 'tag', ref: string, aud = 'sts.amazonaws.com') => ({
    providerArn: PROVIDER,
    claims: { 'gitlab.example.com:sub': `project_path:${project}:ref_type:${refType}:ref:${ref}`, 'gitlab.example.com:aud': aud },
  });
  const admits = (profile: typeof prod, request: ReturnType<typeof job>) => trustAdmits(profileTrustPolicy(profile, oidc, PROVIDER), request);

  it('admits the projects and refs the profile names', () => {
    expect(subjectPatterns(prod)).toEqual(['project_path:platform/*:ref_type:branch:ref:main', 'project_path:platform/*:ref_type:tag:ref:v*']);
    expect(admits(prod, job('platform/api', 'branch', 'main'))).toBe(true);
    expect(admits(prod, job('platform/backend/worker', 'tag', 'v1.2.0'))).toBe(true);
    expect(admits(dev, job('tools/ci', 'branch', 'feature/x'))).toBe(true);
  });

  it.each<[string, ReturnType<typeof job>]>([
    ['a project outside the pattern', job('other/api', 'branch', 'main')],
    ['a lookalike group', job('platform-evil/x', 'branch', 'main')],
    ['the group path without a project', job('platform', 'branch', 'main')],
    ['a branch outside the refs', job('platform/api', 'branch', 'feature')],
    ['a branch named like the allowed tag', job('platform/api', 'branch', 'v1.0')],
    ['a tag named like the allowed branch', job('platform/api', 'tag', 'main')],
    ['a wrong audience', job('platform/api', 'branch', 'main', 'https://gitlab.example.com')],
  ])('refuses %s', (_, request) => {
    expect(admits(prod, request)).toBe(false);
  });

  it('refuses a lookalike of an exact project, and another issuer', () => {
    expect(admits(dev, job('platform/api-evil', 'branch', 'main'))).toBe(false);
    expect(admits(dev, job('platform/api', 'branch', 'main'))).toBe(true);
    expect(
      trustAdmits(profileTrustPolicy(dev, oidc, PROVIDER), { ...job('platform/api', 'branch', 'main'), providerArn: 'arn:aws:iam::123456789012:oidc-provider/gitlab.com' }),
    ).toBe(false);
  });

  it('doctor names each difference between a deployed trust and the config', () => {
    const expected = trustConditions(prod, oidc);
    expect(trustProblems(profileTrustPolicy(prod, oidc, PROVIDER), PROVIDER, expected)).toEqual([]);
    const drifted = profileTrustPolicy(
      { ...prod, projects: ['platform/api'], refs: ['branch:main'] },
      { ...oidc, audience: 'other' },
      'arn:aws:iam::123456789012:oidc-provider/gitlab.com',
    );
    expect(trustProblems(drifted, PROVIDER, expected)).toEqual([
      `trusts arn:aws:iam::123456789012:oidc-provider/gitlab.com instead of ${PROVIDER}`,
      'requires gitlab.example.com:aud other instead of sts.amazonaws.com',
      'does not admit project_path:platform/*:ref_type:branch:ref:main, project_path:platform/*:ref_type:tag:ref:v*',
      'also admits project_path:platform/api:ref_type:branch:ref:main',
    ]);
    const open = {
      Statement: [
        {
          Effect: 'Allow',
          Action: 'sts:AssumeRoleWithWebIdentity',
          Principal: { Federated: PROVIDER },
          Condition: { StringEquals: { 'gitlab.example.com:aud': 'sts.amazonaws.com' } },
        },
      ],
    };
    expect(trustProblems(open, PROVIDER, expected)).toEqual(['has no gitlab.example.com:sub condition: every project of the issuer could read the secret']);
  });
});

describe('Function: renderProfileSnippet', () => {
  const profile = profilesConfig().profiles[0] as Config['profiles'][number];
  const input = {
    profile,
    secretId: 'ecr-gitlab-refresher/profiles/prod',
    region: 'eu-west-1',
    audience: 'sts.amazonaws.com',
    issuer: 'https://gitlab.example.com',
    runnerRole: false,
  };

  it('defines the ID token, the secret with its token, and the variables the Runner needs', () => {
    const text = renderProfileSnippet({ ...input, roleArn: 'arn:aws:iam::123456789012:role/p' });
    expect(text).toContain(
      [
        '.ecr-profile-prod:',
        '  id_tokens:',
        '    ECR_PROFILE_ID_TOKEN:',
        '      aud: "sts.amazonaws.com"',
        '  secrets:',
        '    DOCKER_AUTH_CONFIG:',
        '      aws_secrets_manager:',
        '        secret_id: "ecr-gitlab-refresher/profiles/prod"',
        '        region: "eu-west-1"',
        '      token: $ECR_PROFILE_ID_TOKEN',
        '      file: false',
      ].join('\n'),
    );
    expect(text).toContain('    AWS_REGION: "eu-west-1"\n    AWS_ROLE_ARN: "arn:aws:iam::123456789012:role/p"\n');
    expect(text).toContain('ci_id_token_sub_claim_components');
  });

  it('names the stack output when no role ARN is given, and drops the ID token for runner roles', () => {
    expect(renderProfileSnippet(input)).toContain('AWS_ROLE_ARN: "REPLACE-WITH-STACK-OUTPUT-ProfileProdRoleArn"');
    const runner = renderProfileSnippet({ ...input, runnerRole: true });
    expect(runner).not.toContain('id_tokens');
    expect(runner).not.toContain('AWS_ROLE_ARN');
    expect(runner).toContain('Profile' + 'ProdPolicyArn');
  });
});
