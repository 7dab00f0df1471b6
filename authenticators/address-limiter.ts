// Caps the wrong guesses (passwords and TOTP codes, over all accounts) one client address may make per time window.
//
// The per-account limiter (attempt-limiter.ts) stops an attacker hammering one account; this one stops the same
// attacker spreading guesses thinly over many accounts from one address. The budget is a fixed window (a clock
// hour by default): at most `maxFailures` wrong guesses per window, after which every guess from the address is
// refused until the window ends (Retry-After says when); a burst at the end of one window and the start of the next
// can reach twice the budget within minutes, never more. There is no lock: addresses are shared (NAT, proxies), so the
// worst a noisy neighbour can cause is a wait, and a passkey sign-in, which has nothing to guess, is never limited.
// An address may come as several keys (an IPv6 /64, /56 and /48: interactions/client-address.ts), each with its own
// multiple of the budget; a guess needs room in all of them.
//
// Each guess is reserved on the window's counters with the store's atomic increment BEFORE it is verified, so a burst
// of parallel guesses cannot all pass on the same stale count; a guess that turns out right, or is refused before
// verification, hands its reservations back (AttemptStore.release). A right guess never clears a counter: signing in
// to one's own account must not buy more guesses at other people's. Counters expire a window after theirs ends.
import type { AttemptStore } from '../adapters/types.ts';
import { AuthError } from './errors.ts';

export interface AddressLimitPolicy {
  /** Wrong guesses allowed from one address per window. */
  maxFailures: number;
  windowSeconds: number;
}

export const DEFAULT_ADDRESS_LIMIT: Readonly<AddressLimitPolicy> = Object.freeze({ maxFailures: 30, windowSeconds: 3600 });

/** One client address as counted: a key and its budget as a multiple of maxFailures. */
export interface AddressKey {
  key: string;
  scale: number;
}

/** One reserved guess from an address: hand it back unless it was verified and wrong. */
export interface AddressReservation {
  release(): Promise<void>;
}

export function createAddressLimiter(store: AttemptStore, policy: AddressLimitPolicy) {
  return {
    /** Throws AuthError('throttled', retryAfter) when any of the address's keys has used up this window's budget. */
    async reserve(keys: readonly AddressKey[], now: number): Promise<AddressReservation> {
      const window = Math.floor(now / policy.windowSeconds);
      const end = (window + 1) * policy.windowSeconds;
      const reserved: string[] = [];
      const release = async () => {
        for (const key of reserved.splice(0)) await store.release(key);
      };
      for (const { key: address, scale } of keys) {
        const key = `addr:${window}:${address}`;
        const budget = policy.maxFailures * scale;
        // Read first, so a refused guess writes nothing and waiting out the window always works.
        const seen = await store.get(key);
        if (seen && seen.failures >= budget) {
          await release();
          throw throttled(end - now);
        }
        const mine = await store.recordFailure(key, now, end + policy.windowSeconds);
        reserved.push(key);
        if (mine.failures > budget) {
          await release();
          throw throttled(end - now);
        }
      }
      return { release };
    },
  };
}

function throttled(retryAfter: number): AuthError {
  return new AuthError('throttled', 'too many failed attempts from this network; try again later', Math.max(1, Math.ceil(retryAfter)), 'address');
}
