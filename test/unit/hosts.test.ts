import { describe, expect, it } from 'vitest';
import { configuredRegistryHosts, homeFromArn, hostForAccount, registryHostKeys, registryHostMatcher } from '../../src/domain/hosts.js';

describe('Function: hostForAccount', () => {
  it('swaps the account and keeps region and partition suffix', () => {
    expect(hostForAccount('123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn', '111111111111')).toBe('111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn');
    expect(hostForAccount('123456789012.dkr.ecr-fips.us-east-1.amazonaws.com', '111111111111')).toBe('111111111111.dkr.ecr-fips.us-east-1.amazonaws.com');
    expect(hostForAccount('public.ecr.aws', '111111111111')).toBeUndefined();
  });
});

describe('Function: registryHostMatcher', () => {
  const registries = [
    { public: false, accountId: '111111111111', regions: ['us-east-1'] },
    { public: false, roleArn: 'arn:aws:iam::222222222222:role/pull', regions: ['eu-west-1'] },
    { public: false, regions: ['ap-south-1'] },
    { public: true },
  ];
  const matches = registryHostMatcher(registries, '999999999999') as (host: string) => boolean;
  it.each([
    ['111111111111.dkr.ecr.us-east-1.amazonaws.com', true],
    ['111111111111.dkr.ecr-fips.us-east-1.amazonaws.com', true],
    ['111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn', false],
    ['111111111111.dkr.ecr.eu-west-1.amazonaws.com', false],
    ['111111111111.dkr.ecr.us-east-1.amazonaws.com.evil.example', false],
    ['222222222222.dkr.ecr.eu-west-1.amazonaws.com', true],
    // A registry without accountId or roleArn is the caller's own account, never any 12-digit account.
    ['999999999999.dkr.ecr.ap-south-1.amazonaws.com', true],
    ['333333333333.dkr.ecr.ap-south-1.amazonaws.com', false],
    ['public.ecr.aws', true],
    ['quay.io', false],
  ])('%s → %s', (host, expected) => {
    expect(matches(host)).toBe(expected);
  });

  it('gives no answer when a registry reaches the caller account and that account is unknown', () => {
    expect(registryHostMatcher(registries, undefined)).toBeUndefined();
    expect(registryHostMatcher(registries.slice(0, 2), undefined)?.('222222222222.dkr.ecr.eu-west-1.amazonaws.com')).toBe(true);
  });
});

describe('Function: registryHostKeys', () => {
  it('names one host per account and region, the role account standing in for a missing accountId', () => {
    expect(registryHostKeys({ public: false, roleArn: 'arn:aws:iam::222222222222:role/pull', regions: ['eu-west-1', 'us-east-1'] })).toEqual([
      '222222222222 in eu-west-1',
      '222222222222 in us-east-1',
    ]);
    expect(registryHostKeys({ public: true })).toEqual(['public.ecr.aws']);
  });
});

describe('Function: configuredRegistryHosts', () => {
  it("lists every host, with the function's own account and the partition's domain", () => {
    const registries = [
      { public: false, regions: ['cn-north-1'] },
      { public: false, accountId: '111111111111', regions: ['cn-north-1', 'cn-northwest-1'] },
    ];
    const home = homeFromArn('arn:aws-cn:lambda:cn-north-1:999999999999:function:helper');
    expect(home).toEqual({ partition: 'aws-cn', accountId: '999999999999' });
    expect(configuredRegistryHosts(registries, home as NonNullable<typeof home>)).toEqual([
      '999999999999.dkr.ecr.cn-north-1.amazonaws.com.cn',
      '111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn',
      '111111111111.dkr.ecr.cn-northwest-1.amazonaws.com.cn',
    ]);
    expect(configuredRegistryHosts([{ public: true }, { public: true }], { partition: 'aws', accountId: '1' })).toEqual(['public.ecr.aws']);
  });
});
