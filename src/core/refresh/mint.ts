import type { RegistryConfig } from '../../config/schema.js';
import { hostAccount, hostForAccount, registryAccount } from '../../domain/hosts.js';
import { describeError } from '../../errors.js';
import { mapWithConcurrency } from '../concurrency.js';
import { encodeAuth, type HostCredential } from '../formats/docker-auth.js';
import type { Logger, MintedToken, TokenMinter } from '../ports.js';
import { type MintCall, PUBLIC_REGION, type RegistrySlot } from './plan.js';
import type { RegistryResult } from './summary.js';

export interface MintedSlot extends RegistrySlot {
  credential?: HostCredential;
  /** The account of the identity that minted the token (from the registry host it returned). */
  mintedBy?: string;
  error?: string;
}

/** Well under ECR's GetAuthorizationToken rate (20 TPS): a run has few calls, and they are cheap. */
const MINT_CONCURRENCY = 4;

/**
 * Makes every planned call; a failed call fails only its own (registry, region) slots.
 * `onSecret` receives each password and auth string before anything can log them.
 */
export async function mintAll(calls: MintCall[], minter: TokenMinter, logger: Logger, onSecret: (secret: string) => void): Promise<MintedSlot[]> {
  const perCall = await mapWithConcurrency(calls, MINT_CONCURRENCY, async function mintOneCall(call) {
    try {
      const token = await minter.mint(call.request);
      onSecret(token.password);
      onSecret(encodeAuth(token.username, token.password));
      return call.slots.map((slot) => assignToken(slot, token));
    } catch (error) {
      const message = describeError(error);
      logger.error('mint failed', { registries: call.slots.map((slot) => slot.registry), region: regionOf(call), error: message });
      return call.slots.map((slot): MintedSlot => ({ ...slot, error: message }));
    }
  });
  return perCall.flat();
}

/**
 * One regional token serves every account of that region: the host is the returned one with the
 * slot's account, so other partitions (`amazonaws.com.cn`) keep their suffix. Refresh writes exactly this
 * host; doctor names it.
 */
export function assignToken(slot: RegistrySlot, token: MintedToken): MintedSlot {
  const { username, password, expiresAt } = token;
  const mintedBy = hostAccount(token.host);
  if (!slot.accountId) return { ...slot, mintedBy, credential: { host: token.host, username, password, expiresAt } };
  const host = hostForAccount(token.host, slot.accountId);
  if (!host) return { ...slot, error: `cannot build the host of account ${slot.accountId} from the returned registry ${token.host}` };
  return { ...slot, mintedBy, credential: { host, username, password, expiresAt } };
}

/** The caller's own account, as a token minted without a role shows it; undefined when no such mint succeeded. */
export function callerAccountFromMints(slots: MintedSlot[], registries: RegistryConfig[]): string | undefined {
  const minted = new Set(registries.filter((registry) => !registry.public && !registry.roleArn).map((registry) => registry.name));
  return slots.find((slot) => minted.has(slot.registry) && slot.mintedBy !== undefined)?.mintedBy;
}

/** Whether some registry reaches the caller's own account, whose number only the run can learn. */
export function needsCallerAccount(registries: RegistryConfig[]): boolean {
  return registries.some((registry) => !registry.public && registryAccount(registry) === undefined);
}

function regionOf(call: MintCall): string {
  return call.request.kind === 'private' ? call.request.region : PUBLIC_REGION;
}

export function toRegistryResults(slots: MintedSlot[]): RegistryResult[] {
  return slots.map((slot) =>
    slot.credential
      ? { name: slot.registry, region: slot.region, host: slot.credential.host, status: 'minted', expiresAt: slot.credential.expiresAt.toISOString() }
      : { name: slot.registry, region: slot.region, status: 'failed', error: slot.error ?? 'unknown error' },
  );
}

/** The fresh credentials for a variable's (or profile's) registries, one per host. */
export function credentialsFor(slots: MintedSlot[], registries: string[]): HostCredential[] {
  const wanted = new Set(registries);
  const byHost = new Map<string, HostCredential>();
  for (const slot of slots) {
    if (slot.credential && wanted.has(slot.registry)) byHost.set(slot.credential.host.toLowerCase(), slot.credential);
  }
  return [...byHost.values()];
}
