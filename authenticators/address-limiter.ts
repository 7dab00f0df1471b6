// Caps the wrong guesses (passwords and TOTP codes, over all accounts) one client address may make per time window.
//
// The per-account limiter (attempt-limiter.ts) stops an attacker hammering one account; this one stops the same
// attacker spreading guesses thinly over many accounts from one address. The budget is a fixed window (a clock
// hour by default): at most `maxFailures` wrong guesses per window, after which every guess from the address is
// refused until the window ends (Retry-After says when); a burst at the end of one window and the start of the next
// can reach twice the budget within minutes, never more. There is no lock: addresses are shared (NAT, proxies), so the
// worst a noisy neighbour can cause is a wait, and a passkey sign-in, which has nothing to guess, is never limited.
// An address may come as several keys (an IPv6 /64, /56 and /48: stepup/client-address.ts), each with its own
// multiple of the budget; a guess needs room in all of them.
//
// Each guess is reserved on the window's counters with the store's atomic increment BEFORE it is verified, so a burst
// of parallel guesses cannot all pass on the same stale count; a guess that turns out right, or is refused before
// verification, hands its reservations back (AttemptStore.release). A right guess never clears a counter: signing in
// to one's own account must not buy more guesses at other people's. Counters expire a window after theirs ends.
// The steps are AttemptWork (adapters/attempt-work.ts): a store runs a reservation as one unit (SQLite: one transaction).
import { attemptOp, recorded } from '../adapters/attempt-work.ts';
import type { AttemptStore, AttemptWork } from '../adapters/types.ts';
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
      const { reserved, refusal } = await store.transact(reserveAddressGuess(keys, now, policy));
      if (refusal) throw refusal;
      return { release: () => store.transact(releaseAll(reserved)) };
    },
  };
}

/** The counters an address's guess reserved (to hand back unless it was wrong), or the refusal, which reserved none. */
export interface AddressReserved {
  reserved: string[];
  refusal?: AuthError;
}

/** The reservation of one guess on every key of the address, as counter work: a guess needs room in all of them. */
export function* reserveAddressGuess(keys: readonly AddressKey[], now: number, policy: AddressLimitPolicy): AttemptWork<AddressReserved> {
  const window = Math.floor(now / policy.windowSeconds);
  const end = (window + 1) * policy.windowSeconds;
  const counters = keys.map(({ key, scale }) => ({ key: `addr:${window}:${key}`, budget: policy.maxFailures * scale }));
  // Read first, so a refused guess writes nothing and waiting out the window always works.
  const seen = yield counters.map(({ key }) => attemptOp.get(key));
  if (counters.some(({ budget }, index) => (seen[index]?.failures ?? 0) >= budget)) return { reserved: [], refusal: throttled(end - now) };
  const mine = yield counters.map(({ key }) => attemptOp.recordFailure(key, now, end + policy.windowSeconds));
  const reserved = counters.map(({ key }) => key);
  if (counters.some(({ budget }, index) => recorded(mine[index]).failures > budget)) {
    // Concurrent guesses took the room between our read and our write: hand ours back.
    yield* releaseAll(reserved);
    return { reserved: [], refusal: throttled(end - now) };
  }
  return { reserved };
}

/** Hands reservations back. */
export function* releaseAll(keys: readonly string[]): AttemptWork<void> {
  if (keys.length > 0) yield keys.map(attemptOp.release);
}

function throttled(retryAfter: number): AuthError {
  return new AuthError('throttled', 'too many failed attempts from this network; try again later', Math.max(1, Math.ceil(retryAfter)), 'address');
}
