import { describeError } from '../errors.js';
import { mapWithConcurrency } from './concurrency.js';
import { encodeAuth, type HostCredential } from './docker-auth.js';
import { type MintCall, PUBLIC_REGION, type RegistrySlot } from './plan.js';
import type { Logger, MintedToken, TokenMinter } from './ports.js';
import type { RegistryResult } from './summary.js';

export interface MintedSlot extends RegistrySlot {
  credential?: HostCredential;
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
      const tokens = await minter.mint(call.request);
      for (const token of tokens) {
        onSecret(token.password);
        onSecret(encodeAuth(token.username, token.password));
      }
      return assignTokens(call, tokens);
    } catch (error) {
      const message = describeError(error);
      logger.error('mint failed', { registries: call.slots.map((slot) => slot.registry), region: regionOf(call), error: message });
      return call.slots.map((slot): MintedSlot => ({ ...slot, error: message }));
    }
  });
  return perCall.flat();
}

/** Matches returned tokens to slots by account id; a call without ids returns the caller's own registry. */
function assignTokens(call: MintCall, tokens: MintedToken[]): MintedSlot[] {
  return call.slots.map((slot): MintedSlot => {
    const token =
      slot.accountId && call.request.kind === 'private' && call.request.registryIds.length > 0 ? tokens.find((candidate) => candidate.registryId === slot.accountId) : tokens[0];
    if (!token) return { ...slot, error: `no token returned for ${slot.accountId ?? 'the default registry'}` };
    const { host, username, password, expiresAt } = token;
    return { ...slot, credential: { host, username, password, expiresAt } };
  });
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
