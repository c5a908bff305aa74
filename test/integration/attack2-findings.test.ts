/**
 * Adversarial review 2 (branch `attack2`): each block reproduces one finding and asserts what must NOT
 * happen. Red on main before the fixes that landed with it (2026-11-30).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { refreshAgainstEmulator } from '../support/emulator-refresh.js';
import { ACCESS, GitLabEmulator } from '../support/gitlab-emulator.js';

let gitlab: GitLabEmulator;

/** The emulator's GitLab with a prod and a dev registry, and these targets. */
const prodAndDev = (targets: Array<Record<string, unknown>>) =>
  validateConfig({
    gitlab: { url: gitlab.url, allowInsecureHttp: true },
    registries: [
      { name: 'prod', accountId: '111111111111', regions: ['us-east-1'] },
      { name: 'dev', accountId: '222222222222', regions: ['us-east-1'] },
    ],
    targets,
  });
beforeAll(async () => {
  gitlab = new GitLabEmulator();
  await gitlab.start();
});
afterAll(async () => {
  await gitlab.stop();
});

describe('coverShadowing, nested group target with a wildcard scope that overlaps the row without matching it', () => {
  const TOKEN = 'glpat-attack2-nested-wild-01';
  const KEY = 'DOCKER_AUTH_CONFIG';
  const PROD = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
  const ids: Record<string, number> = {};

  beforeAll(() => {
    const bot = gitlab.addUser('wild-bot');
    gitlab.addToken(TOKEN, bot);
    for (const group of ['wild', 'wild/eu-team']) ids[group] = gitlab.addGroup(group);
    ids.app = gitlab.addProject('wild/eu-team/app');
    gitlab.addMember('group', ids.wild as number, bot, ACCESS.owner);
  });

  it("never hands a row below the inner group target the outer group's credentials when their scopes can meet ('*-prod' and 'eu-*' both match 'eu-prod')", async () => {
    gitlab.clearVariables();
    // The project's own variable, scope *-prod: in environment eu-prod it hides wild/eu-team's eu-* value.
    gitlab.putVariable(
      { project: ids.app as number },
      { key: KEY, value: JSON.stringify({ auths: { 'quay.io': { auth: 'cXVheTpxdWF5' } } }), raw: true, environment_scope: '*-prod' },
    );
    const config = prodAndDev([
      { group: 'wild', registries: ['prod'], coverShadowing: true },
      // The nearer group gives its eu-* environments (eu-prod among them) dev credentials only, and does not cover.
      { group: 'wild/eu-team', registries: ['dev'], environmentScope: 'eu-*' },
    ]);
    const { summary } = await refreshAgainstEmulator(config, gitlab.url, TOKEN, { discovery: true });
    const app = JSON.parse(gitlab.getVariable({ project: ids.app as number }, KEY, '*-prod')?.value ?? '{}');
    const row = summary.targets.find((t) => t.target === 'project:wild/eu-team/app');
    // eu-prod jobs of wild/eu-team/app would get wild's prod credentials, which wild/eu-team withholds from them.
    expect(Object.keys(app.auths ?? {})).not.toContain(PROD);
    expect(row).toMatchObject({ status: 'skipped', note: expect.stringContaining('not covered: below group:wild/eu-team') });
  });
});

describe('coverShadowing, two covering targets on one group for one key in different scopes', () => {
  const TOKEN = 'glpat-attack2-twin-scope-01';
  const KEY = 'DOCKER_AUTH_CONFIG';
  const PROD = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
  const DEV = '222222222222.dkr.ecr.us-east-1.amazonaws.com';
  const ids: Record<string, number> = {};

  beforeAll(() => {
    const bot = gitlab.addUser('twin-bot');
    gitlab.addToken(TOKEN, bot);
    ids.twin = gitlab.addGroup('twin');
    ids.app = gitlab.addProject('twin/app');
    gitlab.addMember('group', ids.twin as number, bot, ACCESS.owner);
  });

  async function run(targets: Array<Record<string, unknown>>) {
    gitlab.clearVariables();
    gitlab.putVariable(
      { project: ids.app as number },
      { key: KEY, value: JSON.stringify({ auths: { 'quay.io': { auth: 'cXVheTpxdWF5' } } }), raw: true, environment_scope: 'production' },
    );
    const config = prodAndDev(targets);
    await refreshAgainstEmulator(config, gitlab.url, TOKEN, { discovery: true });
    return Object.keys(JSON.parse(gitlab.getVariable({ project: ids.app as number }, KEY, 'production')?.value ?? '{}').auths ?? {}).sort();
  }

  const everywhere = { group: 'twin', registries: ['prod'], coverShadowing: true };
  const production = { group: 'twin', registries: ['dev'], environmentScope: 'production', coverShadowing: true };

  it("gives the production row the group's production value (the one it hides), whatever the order of the targets", async () => {
    const specificFirst = await run([production, everywhere]);
    expect(specificFirst).toEqual([DEV, 'quay.io']);
    // Without the row, production jobs get twin's production value (dev): twin's * value (prod) never reaches them.
    const everywhereFirst = await run([everywhere, production]);
    expect(everywhereFirst).toEqual([DEV, 'quay.io']);
    expect(everywhereFirst).not.toContain(PROD);
  });
});

describe('coverShadowing, a variable on a covering nested group itself', () => {
  const TOKEN = 'glpat-attack2-own-row-0001';
  const KEY = 'DOCKER_AUTH_CONFIG';
  const ids: Record<string, number> = {};

  beforeAll(() => {
    const bot = gitlab.addUser('own-row-bot');
    gitlab.addToken(TOKEN, bot);
    for (const group of ['own', 'own/eu-team']) ids[group] = gitlab.addGroup(group);
    gitlab.addMember('group', ids.own as number, bot, ACCESS.owner);
  });

  it('is left alone and reported by the outer group (the nested group scans only below itself), never skipped in silence', async () => {
    gitlab.clearVariables();
    const before = { key: KEY, value: JSON.stringify({ auths: { 'quay.io': { auth: 'cXVheTpxdWF5' } } }), raw: true, environment_scope: '*-prod' };
    gitlab.putVariable({ group: ids['own/eu-team'] as number }, before);
    const config = prodAndDev([
      { group: 'own', registries: ['prod'], coverShadowing: true },
      { group: 'own/eu-team', registries: ['dev'], environmentScope: 'eu-*', coverShadowing: true },
    ]);
    const { summary } = await refreshAgainstEmulator(config, gitlab.url, TOKEN, { discovery: true });
    expect(gitlab.getVariable({ group: ids['own/eu-team'] as number }, KEY, '*-prod')?.value).toBe(before.value);
    expect(summary.targets.filter((t) => t.target === 'group:own/eu-team' && t.environmentScope === '*-prod')).toEqual([
      expect.objectContaining({ via: 'group:own', status: 'skipped', note: expect.stringContaining('not covered: a variable of group:own/eu-team itself') }),
    ]);
  });
});
