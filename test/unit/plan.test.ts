import { describe, expect, it } from 'vitest';
import { planRefresh, variableRef } from '../../src/core/refresh/plan.js';
import { ConfigError } from '../../src/errors.js';
import { aConfig } from '../support/builders.js';

const role = 'arn:aws:iam::222222222222:role/ecr-pull';

describe('Function: planRefresh', () => {
  it('makes one call per (credentials, region): accounts reached the same way share the regional token', () => {
    const config = aConfig({
      registries: [
        { name: 'a', accountId: '111111111111', regions: ['us-east-1', 'eu-west-1'] },
        { name: 'b', accountId: '333333333333', regions: ['eu-west-1'] },
        { name: 'c', accountId: '222222222222', regions: ['eu-west-1'], roleArn: role },
        { name: 'pub', public: true },
      ],
      targets: [{ group: 'platform' }],
    });
    const calls = planRefresh(config).calls;
    expect(calls.map((call) => call.request)).toEqual([
      { kind: 'private', region: 'us-east-1', role: undefined },
      { kind: 'private', region: 'eu-west-1', role: undefined },
      { kind: 'private', region: 'eu-west-1', role: { arn: role, externalId: undefined } },
      { kind: 'public', role: undefined },
    ]);
    expect(calls[1]?.slots.map((slot) => `${slot.registry}:${slot.accountId}`)).toEqual(['a:111111111111', 'b:333333333333']);
  });

  it('makes one call for any number of accounts in a region', () => {
    const registries = Array.from({ length: 12 }, (_, index) => ({ name: `r${index}`, accountId: String(100000000000 + index), regions: ['us-east-1'] }));
    const calls = planRefresh(aConfig({ registries, targets: [{ group: 'g', registries: ['r0'] }, { group: 'h' }] })).calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]?.slots).toHaveLength(12);
  });

  it('mints only what the selected targets need', () => {
    const config = aConfig({
      registries: [
        { name: 'a', accountId: '111111111111', regions: ['us-east-1'] },
        { name: 'b', accountId: '333333333333', regions: ['eu-west-1'] },
      ],
      targets: [{ project: 'x/api', registries: ['a'] }, { group: 'g' }],
    });
    const plan = planRefresh(config, { targets: ['project:x/api'] });
    expect(plan.variables.map(({ target }) => target.project)).toEqual(['x/api']);
    expect(plan.calls.flatMap((call) => call.slots.map((slot) => slot.registry))).toEqual(['a']);
  });

  it('narrows by registry and drops targets that need none of the selected ones', () => {
    const config = aConfig({
      registries: [
        { name: 'a', accountId: '111111111111', regions: ['us-east-1'] },
        { name: 'b', accountId: '333333333333', regions: ['eu-west-1'] },
      ],
      targets: [{ project: 'x/api', registries: ['a'] }, { group: 'g' }],
    });
    const plan = planRefresh(config, { registries: ['b'] });
    expect(plan.variables.map(({ target, registries }) => [target.group ?? target.project, registries])).toEqual([['g', ['b']]]);
  });

  it('refuses selectors and registry names that are not in the config', () => {
    expect(() => planRefresh(aConfig(), { targets: ['project:nope/nope'] })).toThrowError(ConfigError);
    expect(() => planRefresh(aConfig(), { registries: ['staging'] })).toThrowError(/registry "staging": not in the config/);
  });
});

describe('Function: variableRef', () => {
  it('defaults the scope to "*" and gives instance variables none', () => {
    const config = aConfig({ targets: [{ group: 'g' }, { instance: true }, { project: '7', environmentScope: 'prod' }] });
    expect(config.targets.map((target) => variableRef(target))).toEqual([
      { owner: { kind: 'group', id: 'g' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: '*' },
      { owner: { kind: 'instance' }, key: 'DOCKER_AUTH_CONFIG' },
      { owner: { kind: 'project', id: '7' }, key: 'DOCKER_AUTH_CONFIG', environmentScope: 'prod' },
    ]);
  });
});

describe('Function: planRefresh (several variables per target)', () => {
  it("plans each variable with its own registries, defaulting to the target's", () => {
    const config = aConfig({
      registries: [
        { name: 'a', accountId: '111111111111', regions: ['us-east-1'] },
        { name: 'b', accountId: '333333333333', regions: ['eu-west-1'] },
      ],
      targets: [
        {
          group: 'g',
          variables: [
            { name: 'ECR_PUSH', variableType: 'file', registries: ['b'] },
            { name: 'ECR_LOGIN', format: 'registry-login' },
          ],
        },
      ],
    });
    const plan = planRefresh(config);
    expect(plan.variables.map(({ spec, registries }) => [spec.key, spec.variableType, spec.format, spec.createProtected, registries])).toEqual([
      ['DOCKER_AUTH_CONFIG', undefined, 'docker-config', false, ['a', 'b']],
      ['ECR_PUSH', 'file', 'docker-config', true, ['b']],
      ['ECR_LOGIN', undefined, 'registry-login', true, ['a', 'b']],
    ]);
  });
});
