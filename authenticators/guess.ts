// One guess at a password or TOTP code, reserved against every limit that applies before it is verified:
// the client address's window (address-limiter.ts) first, then the account's back-off and lock (attempt-limiter.ts).
// The reservation is one AttemptStore.transact and so is each settlement: on SQLite one commit each (a right TOTP
// code: reserve, the step's own commit, settle = 3 commits where each counter change used to be its own, 6 in all).
import type { AttemptStore, AttemptWork } from '../adapters/types.ts';
import { releaseAll, reserveAddressGuess, type AddressKey, type AddressLimitPolicy, type AddressReserved } from './address-limiter.ts';
import { clearCounters, reserveAccountGuess, type LimiterPolicy } from './attempt-limiter.ts';

export interface GuessLimits {
  attempts: AttemptStore;
  limiterPolicy: LimiterPolicy;
  /** The client address's keys (stepup/client-address.ts) and its budget; without them only the account is limited. */
  clientAddress?: readonly AddressKey[];
  addressLimit?: AddressLimitPolicy;
  /** Epoch seconds. */
  now: number;
}

export interface Guess {
  /** Verified and wrong: counts towards the account's back-off and lock, and stays on the address's budget. */
  wrong(): Promise<void>;
  /** Verified and right: clears the account's counters and hands the address's reservation back. */
  right(): Promise<void>;
  /**
   * Verified and right, but by an authenticator in cool-off: it proves too little to lift the account's back-off (its
   * counters stay as they are), and the address gets its reservation back.
   */
  rightButCoolingOff(): Promise<void>;
  /** Not verified after all (the check itself failed): hands the address's reservation back. No-op once settled. */
  abandon(): Promise<void>;
}

/** Throws AuthError('throttled' | 'locked') when any limit refuses the guess; nothing is verified then. */
export async function reserveGuess(key: string, limits: GuessLimits): Promise<Guess> {
  const { attempts, now } = limits;
  const { reserved, refusal } = await attempts.transact(reserveBoth(key, limits));
  if (refusal) throw refusal;
  let settled = false;
  const settle = async (work: AttemptWork<void>) => {
    settled = true;
    await attempts.transact(work);
  };
  return {
    async wrong() {
      settled = true;
      await attempts.recordFailure(key, now);
    },
    right: () => settle(clearCounters([key], reserved)),
    rightButCoolingOff: () => settle(releaseAll(reserved)),
    async abandon() {
      if (!settled) await settle(releaseAll(reserved));
    },
  };
}

/** The address first: refused there, the account is not touched (an attacker cannot push a victim into back-off). */
function* reserveBoth(key: string, { now, clientAddress, addressLimit, limiterPolicy }: GuessLimits): AttemptWork<AddressReserved> {
  const address: AddressReserved = clientAddress && addressLimit ? yield* reserveAddressGuess(clientAddress, now, addressLimit) : { reserved: [] };
  if (address.refusal) return address;
  const refusal = yield* reserveAccountGuess(key, now, limiterPolicy);
  if (!refusal) return address;
  // Refused before verification: not a wrong guess, so the address gets its reservation back.
  yield* releaseAll(address.reserved);
  return { reserved: [], refusal };
}
