// Caps the wrong guesses (passwords and TOTP codes, over all accounts) one client address may make per time window.
//
// The per-account limiter (attempt-limiter.ts) stops an attacker hammering one account; this one stops the same
// attacker spreading guesses thinly over many accounts from one address. The budget is a fixed window: at most
// `maxFailures` wrong guesses per `windowSeconds`, after which every guess from the address is refused until the
// window ends (Retry-After says when). There is no lock: addresses are shared (NAT, proxies), so the worst a noisy
// neighbour can cause is a wait, and a passkey sign-in, which has nothing to guess, is never limited here.
//
// Each guess is reserved on the window's counter with the store's atomic increment BEFORE it is verified, so a burst
// of parallel guesses cannot all pass on the same stale count; a guess that turns out right, or is refused by the
// account's own limiter before verification, hands its reservation back (AttemptStore.release). A right guess never
// clears the counter: signing in to one's own account must not buy more guesses at other people's.
import type { AttemptStore } from '../adapters/types.ts';
import { AuthError } from './errors.ts';

export interface AddressLimitPolicy {
  /** Wrong guesses allowed from one address per window. */
  maxFailures: number;
  windowSeconds: number;
}

export const DEFAULT_ADDRESS_LIMIT: Readonly<AddressLimitPolicy> = Object.freeze({ maxFailures: 30, windowSeconds: 3600 });

/** One reserved guess from an address: hand it back unless it was verified and wrong. */
export interface AddressReservation {
  release(): Promise<void>;
}

export function createAddressLimiter(store: AttemptStore, policy: AddressLimitPolicy) {
  const windowOf = (now: number) => Math.floor(now / policy.windowSeconds);
  const keyOf = (address: string, window: number) => `addr:${window}:${address}`;

  return {
    /** Throws AuthError('throttled', retryAfter) when the address has used up this window's wrong guesses. */
    async reserve(address: string, now: number): Promise<AddressReservation> {
      const window = windowOf(now);
      const key = keyOf(address, window);
      const retryAfter = (window + 1) * policy.windowSeconds - now;
      // Read first, so a refused guess writes nothing and waiting out the window always works.
      const seen = await store.get(key);
      if (seen && seen.failures >= policy.maxFailures) throw throttled(retryAfter);
      const mine = await store.recordFailure(key, now);
      if (mine.failures > policy.maxFailures) {
        await store.release(key);
        throw throttled(retryAfter);
      }
      // The previous window is over for good: drop its counter so the table does not grow.
      if (mine.failures === 1) await store.reset(keyOf(address, window - 1));
      return { release: () => store.release(key) };
    },
  };
}

export type AddressLimiter = ReturnType<typeof createAddressLimiter>;

function throttled(retryAfter: number): AuthError {
  return new AuthError('throttled', 'too many failed attempts from this network; try again later', Math.max(1, Math.ceil(retryAfter)), 'address');
}
