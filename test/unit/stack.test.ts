import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/parse.js';
import { deriveStack, stackParams } from '../support/stack.js';

const require = createRequire(import.meta.url);
const { expiryAlarms, scheduleHours, reservedConcurrency } = require('../../build/stack.cjs') as {
  expiryAlarms: (schedule: string, margin: number, window?: string) => { windowHours: number; thresholdSeconds: number; latestStalledFireSeconds: number };
  scheduleHours: (schedule: string) => number | undefined;
  reservedConcurrency: (value: unknown) => number | undefined;
};

describe('Function: scheduleHours', () => {
  it.each([
    ['rate(6 hours)', 6],
    ['rate(1 hour)', 1],
    ['rate(90 minutes)', 1.5],
    ['rate(1 day)', 24],
    ['cron(0 */6 * * ? *)', undefined],
  ])('%s → %s', (schedule, hours) => {
    expect(scheduleHours(schedule)).toBe(hours);
  });
});

describe('Function: expiryAlarms', () => {
  it.each([
    ['rate(6 hours)', 7, 9 * 3600],
    ['rate(1 hour)', 2, 4 * 3600],
    ['rate(90 minutes)', 3, 4.5 * 3600],
    ['rate(7 hours)', 8, 10 * 3600],
  ])('%s: window %i hours, threshold %i s, and a stopped refresh alarms within 9 hours', (schedule, window, threshold) => {
    const alarms = expiryAlarms(schedule, 10_800);
    expect(alarms).toMatchObject({ windowHours: window, thresholdSeconds: threshold });
    expect(alarms.latestStalledFireSeconds).toBeLessThanOrEqual(9 * 3600);
  });

  it('refuses schedules that leave no time, and cron without an explicit window', () => {
    expect(() => expiryAlarms('rate(8 hours)', 10_800)).toThrowError(/too slow/);
    expect(() => expiryAlarms('rate(1 day)', 10_800)).toThrowError(/too slow/);
    expect(() => expiryAlarms('cron(0 */6 * * ? *)', 10_800)).toThrowError(/expiryAlarmWindowHours/);
    expect(expiryAlarms('cron(0 */6 * * ? *)', 10_800, '7')).toMatchObject({ windowHours: 7, thresholdSeconds: 6 * 3600 + 10_800 });
    expect(() => expiryAlarms('rate(6 hours)', 20_000)).toThrowError(/leaves healthy runs under the alarm threshold/);
  });
});

describe('Function: reservedConcurrency', () => {
  it.each([
    ['none', undefined],
    ['1', 1],
    [1, 1],
    ['5', 5],
  ])('%j → %j', (value, expected) => {
    expect(reservedConcurrency(value)).toBe(expected);
  });

  it('refuses 0, which deploys a function that every invocation (the schedule too) finds throttled', () => {
    expect(() => reservedConcurrency(0)).toThrowError(
      'reservedConcurrency 0 would throttle every invocation, the schedule\'s included, so the refresh would never run: use 1 (one run at a time, the default) or "none"',
    );
    expect(() => reservedConcurrency('0')).toThrowError('reservedConcurrency 0 would throttle every invocation');
  });

  it.each(['-1', '1.5', 'one', ''])('refuses %j', (value) => {
    expect(() => reservedConcurrency(value)).toThrowError(`reservedConcurrency must be a whole number of at least 1 or "none", got "${value}"`);
  });
});

describe('Function: vpcConfig', () => {
  const { vpcConfig } = require('../../build/stack.cjs') as {
    vpcConfig: (subnets: unknown, groups: unknown) => { SubnetIds: string[]; SecurityGroupIds: string[] } | undefined;
  };

  it('is none by default, and takes comma-separated or listed ids', () => {
    expect(vpcConfig('', '')).toBeUndefined();
    expect(vpcConfig(' subnet-0a1b2c3d , subnet-0a1b2c3d4e5f60718', 'sg-0123456789abcdef0')).toEqual({
      SubnetIds: ['subnet-0a1b2c3d', 'subnet-0a1b2c3d4e5f60718'],
      SecurityGroupIds: ['sg-0123456789abcdef0'],
    });
    expect(vpcConfig(['subnet-0a1b2c3d'], ['sg-0123abcd', 'sg-0123abcd'])).toEqual({ SubnetIds: ['subnet-0a1b2c3d'], SecurityGroupIds: ['sg-0123abcd'] });
  });

  it('refuses half a VPC config and ids that are not ids, naming the parameter', () => {
    expect(() => vpcConfig('subnet-0a1b2c3d', '')).toThrowError('vpcSubnetIds and vpcSecurityGroupIds go together');
    expect(() => vpcConfig('', 'sg-0123abcd')).toThrowError('vpcSubnetIds and vpcSecurityGroupIds go together');
    expect(() => vpcConfig('subnet-xyz', 'sg-0123abcd')).toThrowError('vpcSubnetIds: "subnet-xyz" is not a subnet id');
    expect(() => vpcConfig('subnet-0a1b2c3d', 'default')).toThrowError('vpcSecurityGroupIds: "default" is not a security group id');
    expect(() => vpcConfig('subnet-0a1b2c3d', Array.from({ length: 6 }, (_, index) => `sg-0123abc${index}`).join(','))).toThrowError('at most 5 security groups');
  });
});

describe('Function: deriveStack, profiles', () => {
  const params = stackParams('x');
  const withProjects = (count: number) =>
    validateConfig({
      registries: [{ name: 'prod', accountId: '123456789012', regions: ['us-east-1'] }],
      profiles: [{ name: 'big', registries: ['prod'], projects: Array.from({ length: count }, (_, index) => `g/project-number-${index}`), refs: ['branch:main'] }],
      oidc: { issuer: 'https://gitlab.example.com' },
    });

  it("refuses a profile whose trust policy would exceed IAM's default 2,048 characters, and says what to do", () => {
    expect(() => deriveStack(withProjects(20), params)).not.toThrow();
    expect(() => deriveStack(withProjects(40), params)).toThrowError(
      /^profile "big": its role's trust policy is about \d+ characters, over IAM's default limit of 2048: use fewer project or ref patterns \(a group pattern such as platform\/\* instead of each project\), or split the profile$/,
    );
  });
});

describe('Function: deriveStack, the secrets the refresh function writes', () => {
  const params = stackParams('x');
  const registries = [{ name: 'prod', accountId: '123456789012', regions: ['us-east-1'] }];
  const writers = (config: unknown) =>
    (deriveStack(config, params).refreshStatements as Array<{ Effect: string; Action: string[]; Resource: unknown }>).filter(
      (statement) => statement.Effect === 'Allow' && statement.Action.includes('secretsmanager:PutSecretValue'),
    );

  it('may describe every secret it may write: a same-named secret without its managed-by tag is refused, never written', () => {
    const both = validateConfig({
      registries,
      secrets: { prefix: 'ecr/' },
      profiles: [{ name: 'p', registries: ['prod'], projects: ['g/*'] }],
      oidc: { issuer: 'https://gitlab.example.com' },
    });
    const profilesOnly = validateConfig({ registries, profiles: [{ name: 'p', registries: ['prod'], projects: ['g/*'] }], oidc: { issuer: 'https://gitlab.example.com' } });
    for (const config of [both, profilesOnly]) {
      const statements = writers(config);
      expect(statements).toHaveLength(1);
      expect(statements[0]?.Action).toContain('secretsmanager:DescribeSecret');
    }
  });
});
