import { escapeRegExp } from './gitlab-wildcards.js';

/** The fields of a registry entry that decide which hosts it reaches (config's RegistryConfig has them). */
export interface RegistryReach {
  public?: boolean;
  accountId?: string;
  roleArn?: string;
  regions?: string[];
}

export const PUBLIC_HOST = 'public.ecr.aws';
const ACCOUNT_PREFIX = /^\d{12}(?=\.dkr\.ecr)/;

/** `111111111111.dkr.ecr.eu-west-1.amazonaws.com` with another account: same region, same partition suffix. */
export function hostForAccount(host: string, accountId: string): string | undefined {
  return ACCOUNT_PREFIX.test(host) ? host.replace(ACCOUNT_PREFIX, accountId) : undefined;
}

/** The account whose registry a configuration entry reaches: its accountId, else its role's account, else the caller's. */
export function registryAccount(registry: Pick<RegistryReach, 'accountId' | 'roleArn'>): string | undefined {
  return registry.accountId ?? /^arn:[^:]+:iam::(\d{12}):/.exec(registry.roleArn ?? '')?.[1];
}

/**
 * One key per registry host a configuration entry produces (`ACCOUNT@REGION`, `own@REGION`, or the
 * public host), so two entries that would write the same host into one variable can be refused.
 */
export function registryHostKeys(registry: RegistryReach): string[] {
  if (registry.public) return [PUBLIC_HOST];
  const account = registryAccount(registry) ?? "the caller's own account";
  return Array.isArray(registry.regions) ? registry.regions.map((region) => `${account} in ${region}`) : [];
}

/**
 * Whether a host belongs to one of these registries: ECR Public, or the registry host of the registry's
 * account in one of its regions, in any partition. A registry without accountId or roleArn reaches the
 * caller's own account and nothing else, so it needs `callerAccount`; when that is unknown the answer is
 * undefined (callers then change nothing they would change for a managed host), never a pattern that
 * would claim every account's registry in the region.
 */
export function registryHostMatcher(registries: Array<RegistryReach>, callerAccount: string | undefined): ((host: string) => boolean) | undefined {
  const patterns: RegExp[] = [];
  for (const registry of registries) {
    if (registry.public) {
      patterns.push(new RegExp(`^${escapeRegExp(PUBLIC_HOST)}$`));
      continue;
    }
    const account = registryAccount(registry) ?? callerAccount;
    if (account === undefined) return undefined;
    for (const region of registry.regions ?? []) patterns.push(new RegExp(`^${account}\\.dkr\\.ecr(-fips)?\\.${escapeRegExp(region)}\\.amazonaws\\.com(\\.cn)?$`));
  }
  return (host) => patterns.some((pattern) => pattern.test(host.toLowerCase()));
}

/** The account of a registry host (`111111111111.dkr.ecr.…`), if it is one. */
export function hostAccount(host: string): string | undefined {
  return ACCOUNT_PREFIX.exec(host)?.[0];
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
export function configuredRegistryHosts(registries: Array<RegistryReach>, home: HomeAccount): string[] {
  const suffix = home.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  const hosts = registries.flatMap((registry) => {
    if (registry.public) return [PUBLIC_HOST];
    const account = registryAccount(registry) ?? home.accountId;
    return (registry.regions ?? []).map((region) => `${account}.dkr.ecr.${region}.${suffix}`);
  });
  return [...new Set(hosts)];
}
