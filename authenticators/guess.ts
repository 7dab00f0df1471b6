// One guess at a password or TOTP code, reserved against every limit that applies before it is verified:
// the client address's window (address-limiter.ts) first, then the account's back-off and lock (attempt-limiter.ts).
import type { AttemptStore } from '../adapters/types.ts';
import { createAddressLimiter, type AddressKey, type AddressLimitPolicy } from './address-limiter.ts';
import { createAttemptLimiter, type LimiterPolicy } from './attempt-limiter.ts';

export interface GuessLimits {
  attempts: AttemptStore;
  limiterPolicy: LimiterPolicy;
  /** The client address's keys (interactions/client-address.ts) and its budget; without them only the account is limited. */
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
  const { attempts, now, clientAddress, addressLimit } = limits;
  const fromAddress = clientAddress && addressLimit ? await createAddressLimiter(attempts, addressLimit).reserve(clientAddress, now) : undefined;
  const account = createAttemptLimiter(attempts, limits.limiterPolicy);
  try {
    await account.reserve(key, now);
  } catch (refused) {
    // Refused before verification: not a wrong guess, so the address gets its reservation back.
    await fromAddress?.release();
    throw refused;
  }
  let settled = false;
  return {
    async wrong() {
      settled = true;
      await account.fail(key, now);
    },
    async right() {
      settled = true;
      await account.succeed(key);
      await fromAddress?.release();
    },
    async rightButCoolingOff() {
      settled = true;
      await fromAddress?.release();
    },
    async abandon() {
      if (settled) return;
      settled = true;
      await fromAddress?.release();
    },
  };
}
