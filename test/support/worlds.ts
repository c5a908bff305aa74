/**
 * Generated GitLab worlds, configs and faults for the footprint property suite
 * (test/integration/footprint.property.test.ts), and how a world is seeded into the GitLab emulator.
 *
 * Every world has the same namespaces (so numeric ids are known before seeding) and differs in what
 * matters for the footprint: which projects are shared into which groups, every variable (keys,
 * scopes, settings, values in both formats, helpers, foreign entries, non-JSON), the token and its
 * rights. Values are generated as data and serialised at seeding, so a shrunk counterexample reads as
 * JSON. No generated value holds a real credential: foreign entries say `theirs-…`.
 */
import fc from 'fast-check';
import { ACCESS, type GitLabEmulator, type ScriptedFaultEffect } from './gitlab-emulator.js';

/** The account of the identity that mints (the fake minter's caller): registries without accountId reach it. */
export const CALLER_ACCOUNT = '999999999999';
export const SECRET_PREFIX = 'ecr-gitlab-refresher/';
export const TOKEN_SECRET = `${SECRET_PREFIX}gitlab-token`;
/** Replaced by the emulator's address when a case runs. */
export const EMULATOR_URL = 'http://gitlab.emulator';

/** Created in this order after a reset: group i has id i + 1, project j has id GROUPS.length + j + 1. */
export const GROUPS = ['g0', 'g0/sub', 'g0/sub/deep', 'g1', 'other'] as const;
export const PROJECTS = ['g0/app', 'g0/sub/svc', 'g0/sub/deep/job', 'g1/web', 'other/lib'] as const;
export type OwnerKind = 'project' | 'group';

export function namespaceId(kind: OwnerKind, path: string): number {
  const index = kind === 'group' ? (GROUPS as readonly string[]).indexOf(path) : (PROJECTS as readonly string[]).indexOf(path);
  if (index === -1) throw new Error(`${kind} ${path} is not in the world`);
  return kind === 'group' ? index + 1 : GROUPS.length + index + 1;
}

export function namespacePath(kind: OwnerKind, id: number): string | undefined {
  return kind === 'group' ? GROUPS[id - 1] : PROJECTS[id - GROUPS.length - 1];
}

/** Projects shared into a group that is not one of their ancestors: listed under it by GitLab, inheriting nothing. */
const SHARES = [
  { project: 'g1/web', group: 'g0' },
  { project: 'other/lib', group: 'g0/sub' },
  { project: 'g0/app', group: 'g1' },
  { project: 'g0/sub/svc', group: 'g1' },
] as const;

export const HOSTS = {
  callerUs: `${CALLER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`,
  callerEu: `${CALLER_ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com`,
  prodUs: '111111111111.dkr.ecr.us-east-1.amazonaws.com',
  prodEu: '111111111111.dkr.ecr.eu-west-1.amazonaws.com',
  /** An account no configured registry names: never the tool's. */
  foreignUs: '333333333333.dkr.ecr.us-east-1.amazonaws.com',
  roleUs: '444444444444.dkr.ecr.us-east-1.amazonaws.com',
  public: 'public.ecr.aws',
} as const;

/** `auths` and `credHelpers` keys: ECR hosts of the caller and of other accounts, other spellings, other registries. */
const REGISTRY_KEYS = [
  ...Object.values(HOSTS),
  `https://${HOSTS.callerUs}/v2/`,
  `${HOSTS.callerUs}/team`,
  `HTTPS://${HOSTS.prodUs.toUpperCase()}`,
  'https://index.docker.io/v1/',
  'quay.io',
  'registry.example.com/team',
  'gcr.io',
];

/** `*-prod` and `eu-*` meet (in eu-prod) although neither matches the other's text. */
export const SCOPES = ['*', 'production', 'staging', 'review/*', 'review/app-1', '*-prod', 'eu-*'] as const;

export interface WorldVariable {
  /** `project:<path>`, `group:<path>` or `instance`. */
  owner: string;
  key: string;
  scope: string;
  protected: boolean;
  masked: boolean;
  hidden: boolean;
  raw: boolean;
  variableType: 'env_var' | 'file';
  description: string | null;
  /** Parsed JSON (serialised at seeding) or, for values that are not JSON, the text itself. */
  content: unknown;
  pretty: boolean;
}

export interface World {
  /** The token's user is an administrator (instance targets need it; no 403 anywhere then). */
  admin: boolean;
  /** The token's role in group `other` (Owner of g0 and g1 always). */
  otherAccess: 'owner' | 'developer';
  shares: Array<{ project: string; group: string }>;
  variables: WorldVariable[];
  token: { expiresInDays: number; secretFormat: 'json' | 'bare' };
}

export type FaultSite = 'variable POST' | 'variable PUT' | 'variable GET' | 'variables list' | 'token rotate' | 'token self';

export interface CaseFault {
  on: FaultSite;
  effect: ScriptedFaultEffect;
  /** Matching requests let through before this one fails. */
  skip: number;
}

export interface FootprintCase {
  world: World;
  /** The config as a user would write it (gitlab.url is replaced by the emulator's). */
  config: Record<string, unknown>;
  faults: CaseFault[];
  /** The first run is a dry run. */
  dryRun: boolean;
}

/** `arbitrary` about once in `oneIn` cases, otherwise undefined (which is also what it shrinks to). */
function sometimes<T>(arbitrary: fc.Arbitrary<T>, oneIn: number): fc.Arbitrary<T | undefined> {
  return fc.oneof({ withCrossShrink: true }, { weight: oneIn - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });
}

/** True about once in `oneIn` cases; shrinks to false. */
function rarely(oneIn: number): fc.Arbitrary<boolean> {
  return fc.constantFrom(false, ...Array.from({ length: oneIn - 1 }, (_, index) => index === 0));
}

/** Drops the keys whose value is undefined, so a printed config shows only what was set. */
function defined<T extends Record<string, unknown>>(record: T): Partial<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<T>;
}

// ---- values ------------------------------------------------------------------------------------

const foreignEntry = fc.constantFrom({ auth: 'theirs-auth-1' }, { auth: 'theirs-auth-2', email: 'ci@example.com' }, { identitytoken: 'theirs-token-3' });

const dockerConfig = fc.record(
  {
    auths: fc.dictionary(fc.constantFrom(...REGISTRY_KEYS), foreignEntry, { maxKeys: 5 }),
    credHelpers: fc.dictionary(fc.constantFrom(...REGISTRY_KEYS), fc.constantFrom('ecr-login', 'gcloud'), { minKeys: 1, maxKeys: 3 }),
    credsStore: fc.constantFrom('ecr-login', 'desktop'),
    proxies: fc.constant({ default: { httpProxy: 'http://proxy:3128' } }),
    HttpHeaders: fc.constant({ 'User-Agent': 'ci with spaces' }),
    ecrGitlabRefresher: fc.constant({ refreshedAt: '2026-01-01T00:00:00.000Z', expiresAt: { [HOSTS.callerUs]: '2026-01-01T12:00:00.000Z' } }),
  },
  { requiredKeys: ['auths'] },
);

const registryLogin = fc.dictionary(
  fc.constantFrom(...Object.values(HOSTS), 'registry.example.com'),
  fc.record({ username: fc.constantFrom('AWS', 'robot'), password: fc.constant('theirs-password'), expiresAt: fc.constant('2026-01-01T12:00:00.000Z') }),
  { maxKeys: 3 },
);

/** Values the tool must refuse to merge: not JSON, JSON that is not an object, `auths` that is not an object. */
const oddValue = fc.constantFrom<unknown>('user:pass', '', 'null', '[]', { auths: [] }, { theirs: true });

/** A value of each kind, and a roll that picks one: registry-login values mostly where the key suggests them. */
const contents = fc.record({ docker: dockerConfig, login: registryLogin, odd: oddValue, roll: fc.integer({ min: 0, max: 9 }) });

function pickContent(key: string, { docker, login, odd, roll }: { docker: unknown; login: unknown; odd: unknown; roll: number }): unknown {
  const loginFrom = key === 'ECR_LOGIN' ? 3 : 8;
  return roll < loginFrom ? docker : roll < 9 ? login : odd;
}

/** GitLab's masking rules, so a seeded variable is one GitLab could hold. */
function maskable(value: string, raw: boolean): boolean {
  return (raw ? /^\S{8,}$/ : /^[a-zA-Z0-9_+=/@:.~-]{8,}$/).test(value);
}

export function serialise(variable: Pick<WorldVariable, 'content' | 'pretty'>): string {
  if (typeof variable.content === 'string') return variable.content;
  return JSON.stringify(variable.content, null, variable.pretty ? 2 : undefined);
}

const OWNERS = ['instance', ...GROUPS.map((path) => `group:${path}`), ...PROJECTS.map((path) => `project:${path}`)];

/** Every scope, "*" (which overlaps every other) as likely as the rest together. */
const scope = fc.oneof({ weight: 4, arbitrary: fc.constant('*') }, { weight: 4, arbitrary: fc.constantFrom(...SCOPES) });

/** What a config's targets reach: the owners (and, for covering groups, everything below), keys and scopes. */
interface Aim {
  owners: string[];
  keys: string[];
  scopes: string[];
}

/** Mostly what the config aims at (so targets meet existing variables), sometimes anything. */
function aimed(values: string[], anything: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return values.length === 0 ? anything : fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...values) }, { weight: 1, arbitrary: anything });
}

const variableKey = fc.oneof(
  { weight: 6, arbitrary: fc.constant('DOCKER_AUTH_CONFIG') },
  { weight: 3, arbitrary: fc.constantFrom('ECR_DOCKER_CONFIG', 'ECR_LOGIN') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,7}$/) },
);

const worldVariable = (aim: Aim): fc.Arbitrary<WorldVariable> =>
  fc
    .record({
      owner: aimed(aim.owners, fc.constantFrom(...OWNERS)),
      key: aimed(aim.keys, variableKey),
      scope: aimed(aim.scopes, scope),
      protected: fc.boolean(),
      masked: fc.boolean(),
      hidden: rarely(3),
      raw: fc.boolean(),
      variableType: fc.constantFrom('env_var' as const, 'file' as const),
      description: fc.constantFrom(null, 'theirs'),
      contents,
      pretty: fc.boolean(),
    })
    .map(({ contents: choices, ...generated }) => {
      const variable = { ...generated, content: pickContent(generated.key, choices) };
      const instance = variable.owner === 'instance';
      const masked = variable.masked && maskable(serialise(variable), variable.raw);
      // Hidden variables are masked; instance variables have no scope and cannot be hidden.
      return { ...variable, scope: instance ? '*' : variable.scope, masked, hidden: !instance && masked && variable.hidden };
    });

/** A world whose variables mostly sit where the config's targets will look. */
export function worldFor(config: Record<string, unknown>): fc.Arbitrary<World> {
  return fc.record({
    admin: fc.boolean(),
    otherAccess: fc.constantFrom('owner' as const, 'developer' as const),
    shares: fc.subarray(SHARES.map((share) => ({ ...share }))),
    variables: fc.uniqueArray(worldVariable(aimOf(config)), { maxLength: 8, selector: (variable) => `${variable.owner}|${variable.key}|${variable.scope}` }),
    token: fc.record({ expiresInDays: fc.constantFrom(5, 200), secretFormat: fc.constantFrom('json' as const, 'bare' as const) }),
  });
}

function aimOf(config: Record<string, unknown>): Aim {
  const targets = (Array.isArray(config.targets) ? config.targets : []) as Array<Record<string, unknown>>;
  const owners = targets.flatMap((target) => {
    if (target.instance) return ['instance'];
    const kind: OwnerKind = target.project !== undefined ? 'project' : 'group';
    const ref = String(target.project ?? target.group);
    const path = /^\d+$/.test(ref) ? namespacePath(kind, Number(ref)) : ref.toLowerCase();
    if (!path) return [];
    const below = target.coverShadowing ? OWNERS.filter((candidate) => candidate.slice(candidate.indexOf(':') + 1).startsWith(`${path}/`)) : [];
    return [`${kind}:${path}`, ...below];
  });
  const keys = targets.flatMap((target) => ['DOCKER_AUTH_CONFIG', ...((target.variables ?? []) as Array<{ name: string }>).map((extra) => extra.name)]);
  const scopes = targets.map((target) => String(target.environmentScope ?? '*'));
  // A target naming an owner the world lacks (g0/missing) aims at nothing.
  return { owners: [...new Set(owners)].filter((owner) => OWNERS.includes(owner)), keys: [...new Set(keys)], scopes: [...new Set(scopes)] };
}

// ---- configs -----------------------------------------------------------------------------------

/** Registry entries to choose from; the public one's name sometimes collides with a secret the run writes. */
const registryPool = fc.constantFrom('pub', 'pub', 'gitlab-token', 'docker-config').map((publicName) => [
  { name: 'own', regions: ['us-east-1'] },
  { name: 'own-eu', regions: ['eu-west-1'] },
  { name: 'prod', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
  { name: 'cross', roleArn: 'arn:aws:iam::444444444444:role/ecr-pull', regions: ['us-east-1'] },
  { name: publicName, public: true },
]);

type RawRegistry = { name: string } & Record<string, unknown>;

const REGISTRY_SLOTS = ['own', 'own-eu', 'prod', 'cross', 'public'] as const;

const projectRef = fc.oneof(
  { weight: 3, arbitrary: fc.constant<string | number>('g0/app') },
  { weight: 3, arbitrary: fc.constantFrom<string | number>(...PROJECTS) },
  { weight: 2, arbitrary: fc.constantFrom(...PROJECTS).map((path) => namespaceId('project', path)) },
  { weight: 1, arbitrary: fc.constantFrom<string | number>('G0/App', 'g0/missing') },
);
const groupRef = fc.oneof(
  { weight: 4, arbitrary: fc.constant<string | number>('g0') },
  { weight: 3, arbitrary: fc.constantFrom<string | number>(...GROUPS) },
  { weight: 1, arbitrary: fc.constantFrom(...GROUPS).map((path) => namespaceId('group', path)) },
);

const registrySlots = fc.subarray([...REGISTRY_SLOTS], { minLength: 1 });

const extraVariable = fc
  .record({
    name: fc.constantFrom('ECR_DOCKER_CONFIG', 'ECR_LOGIN'),
    access: fc.constantFrom(undefined, 'push', 'push', 'pull'),
    format: sometimes(fc.constant('registry-login'), 2),
    variableType: sometimes(fc.constant('file'), 3),
    protected: sometimes(fc.boolean(), 4),
    registries: sometimes(registrySlots, 3),
  })
  .map(defined);

const targetOptions = fc
  .record({
    environmentScope: sometimes(scope, 2),
    registries: sometimes(registrySlots, 3),
    format: sometimes(fc.constant('registry-login'), 8),
    ownership: sometimes(fc.constant('full'), 10),
    helpers: sometimes(fc.constant('drop-for-managed-hosts'), 3),
    masked: sometimes(fc.constant(false), 10),
    protected: sometimes(fc.boolean(), 6),
    description: sometimes(fc.constant('set by the config'), 8),
    variableType: sometimes(fc.constantFrom('env_var', 'file'), 8),
    variables: sometimes(fc.uniqueArray(extraVariable, { minLength: 1, maxLength: 2, selector: (extra) => extra.name }), 2),
  })
  .map(defined);

const target = fc.oneof(
  { weight: 4, arbitrary: fc.record({ project: projectRef, options: targetOptions }) },
  { weight: 4, arbitrary: fc.record({ group: groupRef, coverShadowing: fc.boolean(), options: targetOptions }) },
  { weight: 1, arbitrary: fc.record({ instance: fc.constant(true as const), options: targetOptions }) },
);

/**
 * A covering group with another target of its key nearer to the rows: a group below it, or the same group
 * in another scope. Rows there are the nearer target's to decide (rule 3), which plain lists of one to
 * three targets almost never set up.
 */
const nearerPair = fc
  .record({
    outer: fc.constantFrom('g0', 'g0/sub'),
    inner: fc.constantFrom('g0/sub', 'g0/sub/deep', 'same'),
    outerScope: sometimes(scope, 3),
    innerScope: scope,
    innerCovers: fc.boolean(),
  })
  .map(({ outer, inner, outerScope, innerScope, innerCovers }) => [
    { group: outer, coverShadowing: true, options: defined({ environmentScope: outerScope }) },
    { group: inner.startsWith(`${outer}/`) ? inner : outer, coverShadowing: innerCovers, options: { environmentScope: innerScope } },
  ]);

/** Rarely, a mistake validation must catch (then nothing may be sent or written at all). */
const typo = sometimes(fc.constantFrom({ enviromentScope: 'production' }, { registries: ['missing'] }), 25);

const gitlabSection = fc
  .record({
    tokenSecretId: fc.constantFrom(
      TOKEN_SECRET,
      TOKEN_SECRET,
      TOKEN_SECRET,
      TOKEN_SECRET,
      TOKEN_SECRET,
      TOKEN_SECRET,
      `${SECRET_PREFIX}docker-config`,
      `${SECRET_PREFIX}own/us-east-1`,
    ),
    rotateToken: sometimes(fc.constant({ daysBefore: 14, lifetimeDays: 90 }), 2),
    concurrency: sometimes(fc.integer({ min: 1, max: 12 }), 3),
  })
  .map(defined);

/** A whole config as a user would write it: registries, targets naming them, optional secrets and typos. */
export const configs: fc.Arbitrary<Record<string, unknown>> = fc
  .record({
    gitlab: gitlabSection,
    pool: registryPool,
    chosen: fc.subarray([...REGISTRY_SLOTS], { minLength: 1 }),
    secrets: fc.boolean(),
    targets: fc.oneof(
      { weight: 5, arbitrary: fc.array(target, { minLength: 1, maxLength: 3 }).map((list): Array<Record<string, unknown>> => list) },
      { weight: 1, arbitrary: nearerPair.map((list): Array<Record<string, unknown>> => list) },
    ),
    typo,
  })
  .map(({ gitlab, pool, chosen, secrets, targets, typo }) => {
    const bySlot = new Map<string, RawRegistry>(REGISTRY_SLOTS.map((slot, index) => [slot, pool[index] as RawRegistry]));
    const registries = chosen.map((slot) => bySlot.get(slot) as RawRegistry);
    const names = (slots: readonly string[] | undefined) => {
      const kept = (slots ?? []).filter((slot) => chosen.includes(slot as never)).map((slot) => bySlot.get(slot)?.name as string);
      return kept.length > 0 ? kept : undefined;
    };
    const rawTargets = targets.map((generated, index) => {
      const { options, ...owner } = generated as Record<string, unknown> & { options: Record<string, unknown> };
      const out: Record<string, unknown> = { ...owner };
      if ('coverShadowing' in out && !out.coverShadowing) delete out.coverShadowing;
      for (const [key, value] of Object.entries(options)) {
        if (key === 'environmentScope' && 'instance' in out) continue;
        if (key === 'registries') {
          const list = names(value as string[]);
          if (list) out.registries = list;
        } else if (key === 'variables') {
          out.variables = (value as Array<Record<string, unknown>>).map(({ registries: slots, ...extra }) => {
            const list = names(slots as string[] | undefined);
            return list ? { ...extra, registries: list } : extra;
          });
        } else out[key] = value;
      }
      return index === 0 && typo ? { ...out, ...typo } : out;
    });
    return {
      gitlab: { url: EMULATOR_URL, allowInsecureHttp: true, ...gitlab },
      registries,
      ...(secrets ? { secrets: { prefix: SECRET_PREFIX } } : {}),
      targets: rawTargets,
    };
  });

// ---- faults and cases --------------------------------------------------------------------------

const fault: fc.Arbitrary<CaseFault> = fc.record({
  on: fc.constantFrom<FaultSite>('variable POST', 'variable PUT', 'variable GET', 'variables list', 'token rotate', 'token rotate', 'token self'),
  effect: fc.constantFrom<ScriptedFaultEffect>('drop-before', '5xx-before', '429', 'drop-after-apply', '5xx-after-apply', 'cdn-5xx-after-apply'),
  skip: fc.integer({ min: 0, max: 2 }),
});

/** A config, a world aimed at it (variables where its targets look), faults and the dry-run flag. */
export const cases: fc.Arbitrary<FootprintCase> = fc
  .record({
    setting: configs.chain((config) => worldFor(config).map((world) => ({ world, config }))),
    faults: fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: fc.constant<CaseFault[]>([]) }, { weight: 2, arbitrary: fc.array(fault, { minLength: 1, maxLength: 2 }) }),
    dryRun: rarely(10),
  })
  .map(({ setting, faults, dryRun }) => ({ world: setting.world, config: setting.config, faults, dryRun }));

/** Which requests a fault site selects. */
export function faultMatcher(site: FaultSite): (request: { method: string; path: string; record: { variableKey?: string; list?: boolean } }) => boolean {
  const variables = (path: string) => /\/variables(\/|$)/.test(path);
  switch (site) {
    case 'variable POST':
      return ({ method, path }) => method === 'POST' && variables(path);
    case 'variable PUT':
      return ({ method, path }) => method === 'PUT' && variables(path);
    case 'variable GET':
      return ({ method, path, record }) => method === 'GET' && variables(path) && record.variableKey !== undefined;
    case 'variables list':
      return ({ method, record }) => method === 'GET' && record.list === true;
    case 'token rotate':
      return ({ method, path }) => method === 'POST' && path.endsWith('/personal_access_tokens/self/rotate');
    case 'token self':
      return ({ method, path }) => method === 'GET' && path.endsWith('/personal_access_tokens/self');
  }
}

// ---- seeding -----------------------------------------------------------------------------------

export const GITLAB_TOKEN = 'glpat-footprint-suite-token-01';

/**
 * Resets the emulator and builds the world in it: namespaces (ids as `namespaceId` says), shares, the
 * token's user and rights, every variable as generated (bypassing validation, as a UI edit could not).
 */
export function seedWorld(gitlab: GitLabEmulator, world: World): void {
  gitlab.reset();
  for (const path of GROUPS) expectId(gitlab.addGroup(path), namespaceId('group', path));
  for (const path of PROJECTS) expectId(gitlab.addProject(path), namespaceId('project', path));
  for (const share of world.shares) gitlab.shareProject(namespaceId('project', share.project), namespaceId('group', share.group));
  const bot = gitlab.addUser('refresher-bot', { admin: world.admin });
  const expiresAt = new Date(Date.now() + world.token.expiresInDays * 86_400_000).toISOString().slice(0, 10);
  gitlab.addToken(GITLAB_TOKEN, bot, ['api'], 'refresher', { expiresAt });
  for (const group of ['g0', 'g1']) gitlab.addMember('group', namespaceId('group', group), bot, ACCESS.owner);
  gitlab.addMember('group', namespaceId('group', 'other'), bot, world.otherAccess === 'owner' ? ACCESS.owner : ACCESS.developer);
  for (const variable of world.variables) {
    gitlab.putVariable(emulatorOwner(variable.owner), {
      key: variable.key,
      value: serialise(variable),
      environment_scope: variable.scope,
      protected: variable.protected,
      masked: variable.masked,
      hidden: variable.hidden,
      raw: variable.raw,
      variable_type: variable.variableType,
      description: variable.description,
    });
  }
}

/** The token secret's value in the world's format. */
export function tokenSecretValue(world: World): string {
  return world.token.secretFormat === 'json' ? JSON.stringify({ token: GITLAB_TOKEN, owner: 'platform-team' }) : GITLAB_TOKEN;
}

function emulatorOwner(owner: string): 'instance' | { project: number } | { group: number } {
  if (owner === 'instance') return 'instance';
  const [kind, path] = owner.split(':') as [OwnerKind, string];
  return kind === 'project' ? { project: namespaceId('project', path) } : { group: namespaceId('group', path) };
}

function expectId(actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`world seeding: expected id ${expected}, the emulator gave ${actual} (was it reset?)`);
}
