import type { RegistryConfig } from '../config/schema.js';

export const PUBLIC_HOST = 'public.ecr.aws';
const ACCOUNT_PREFIX = /^\d{12}(?=\.dkr\.ecr)/;

/** `111111111111.dkr.ecr.eu-west-1.amazonaws.com` with another account: same region, same partition suffix. */
export function hostForAccount(host: string, accountId: string): string | undefined {
  return ACCOUNT_PREFIX.test(host) ? host.replace(ACCOUNT_PREFIX, accountId) : undefined;
}

/** The account whose registry a configuration entry reaches: its accountId, else its role's account, else the caller's. */
export function registryAccount(registry: Pick<RegistryConfig, 'accountId' | 'roleArn'>): string | undefined {
  return registry.accountId ?? /^arn:[^:]+:iam::(\d{12}):/.exec(registry.roleArn ?? '')?.[1];
}

/**
 * One key per registry host a configuration entry produces (`ACCOUNT@REGION`, `own@REGION`, or the
 * public host), so two entries that would write the same host into one variable can be refused.
 */
export function registryHostKeys(registry: Pick<RegistryConfig, 'public' | 'accountId' | 'roleArn' | 'regions'>): string[] {
  if (registry.public) return [PUBLIC_HOST];
  const account = registryAccount(registry) ?? "the caller's own account";
  return Array.isArray(registry.regions) ? registry.regions.map((region) => `${account} in ${region}`) : [];
}

/**
 * Whether a host belongs to one of these registries: ECR Public, or a registry host of their account
 * (any account for the caller's own) in one of their regions, in any partition.
 */
export function registryHostMatcher(registries: Array<Pick<RegistryConfig, 'public' | 'accountId' | 'roleArn' | 'regions'>>): (host: string) => boolean {
  const patterns = registries.flatMap((registry) => {
    if (registry.public) return [new RegExp(`^${escapeRegExp(PUBLIC_HOST)}$`)];
    const account = registryAccount(registry) ?? '\\d{12}';
    return (registry.regions ?? []).map((region) => new RegExp(`^${account}\\.dkr\\.ecr(-fips)?\\.${escapeRegExp(region)}\\.`));
  });
  return (host) => patterns.some((pattern) => pattern.test(host.toLowerCase()));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where the function runs: its account stands in for registries without one, its partition picks the domain. */
export interface HomeAccount {
  accountId: string;
  partition: string;
}

/** `arn:aws:lambda:eu-west-1:123456789012:function:name` → its account and partition. */
export function homeFromArn(arn: string | undefined): HomeAccount | undefined {
  const match = /^arn:([^:]+):[^:]*:[^:]*:(\d{12}):/.exec(arn ?? '');
  return match ? { partition: match[1] as string, accountId: match[2] as string } : undefined;
}

/**
 * Every registry host a config's registries reach, as a credential helper needs them listed
 * (`credHelpers`): one per account and region, plus ECR Public.
 */
export function configuredRegistryHosts(registries: Array<Pick<RegistryConfig, 'public' | 'accountId' | 'roleArn' | 'regions'>>, home: HomeAccount): string[] {
  const suffix = home.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const hosts = registries.flatMap((registry) => {
    if (registry.public) return [PUBLIC_HOST];
    const account = registryAccount(registry) ?? home.accountId;
    return (registry.regions ?? []).map((region) => `${account}.dkr.ecr.${region}.${suffix}`);
  });
  return [...new Set(hosts)];
}
