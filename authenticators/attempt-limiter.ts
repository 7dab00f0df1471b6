// Throttles guesses per key with exponential back-off and a hard lock (NIST SP 800-63B), state kept in an AttemptStore.
//
// Each key has two counters in the store:
// - `guesses:<key>` counts the guesses that got past the up-front check. A guess is reserved on it with the store's
//   atomic recordFailure BEFORE it is verified, and the back-off is decided from the count that increment returns,
//   so concurrent guesses cannot all slip through on the same stale read: whatever the interleaving, at most one
//   guess per back-off window (and freeAttempts + 1 in a burst on a fresh key) reaches the verifier.
// - `<key>` counts the consecutive guesses that were verified and wrong; only it leads to the lock.
// A guess refused by the read-only pre-check writes nothing. A guess refused after its reservation (it raced
// others) stays counted on the guess counter only: it lengthens the back-off, which maxDelaySeconds caps, but
// never brings the lock closer, so a burst of parallel requests cannot lock an account out; only real wrong
// guesses can. The AttemptStore interface has no decrement or conditional increment, hence the second counter.
// The steps are AttemptWork (adapters/attempt-work.ts), so a store runs a reservation as one unit: on SQLite one
// transaction with no other writer in between (the re-check below never fires there), elsewhere step by step.
import { attemptOp, recorded } from '../adapters/attempt-work.ts';
import type { AttemptState, AttemptStore, AttemptWork } from '../adapters/types.ts';
import { usernameKey } from '../adapters/username-key.ts';
import { AuthError } from './errors.ts';

export interface LimiterPolicy {
  /** Consecutive failures allowed without any delay. */
  freeAttempts: number;
  /** Delay after the first failure beyond the free ones; doubles with each further failure. */
  baseDelaySeconds: number;
  maxDelaySeconds: number;
  /** Consecutive failures after which the key is locked until reset (NIST: at most 100). */
  lockAfter: number;
}

export const DEFAULT_LIMITER_POLICY: Readonly<LimiterPolicy> = Object.freeze({
  freeAttempts: 5,
  baseDelaySeconds: 1,
  maxDelaySeconds: 900,
  lockAfter: 100,
});

export interface AttemptLimiter {
  /**
   * Reserves one guess before it is verified, counting it towards the back-off. Throws AuthError('locked') or
   * AuthError('throttled', retryAfter) when no guess is allowed now. Call it after input validation, so malformed
   * input is never counted.
   */
  reserve(key: string, now: number): Promise<void>;
  /** Records a reserved guess that was verified and wrong; these alone lead to the lock. */
  fail(key: string, now: number): Promise<AttemptState>;
  /** Clears both counters of the key: after a right guess, or to unlock it. */
  succeed(key: string): Promise<void>;
}

/** Seconds to wait after the last failure, given the number of consecutive failures. */
export function backoffDelay(failures: number, policy: LimiterPolicy): number {
  if (failures <= policy.freeAttempts) return 0;
  return Math.min(policy.baseDelaySeconds * 2 ** (failures - policy.freeAttempts - 1), policy.maxDelaySeconds);
}

function throttled(retryAfter: number): AuthError {
  return new AuthError('throttled', 'too many failed attempts; try again later', Math.max(1, Math.ceil(retryAfter)));
}

export function createAttemptLimiter(store: AttemptStore, policy: LimiterPolicy): AttemptLimiter {
  return {
    async reserve(key, now) {
      const refusal = await store.transact(reserveAccountGuess(key, now, policy));
      if (refusal) throw refusal;
    },
    fail: (key, now) => store.recordFailure(key, now),
    succeed: (key) => store.transact(clearCounters([key])),
  };
}

/**
 * The reservation of one guess on the account's key, as counter work: undefined when the guess may be verified, or
 * the refusal (returned, not thrown, so that the reservation a raced guess made stays counted).
 */
export function* reserveAccountGuess(key: string, now: number, policy: LimiterPolicy): AttemptWork<AuthError | undefined> {
  /** Seconds until a guess is allowed after `count` guesses, the last of them at `lastAt`; 0 or less: now. */
  const waitAfter = (count: number, lastAt: number): number => lastAt + backoffDelay(count, policy) - now;
  const guessKey = attemptKeys.guesses(key);
  const [failures, seen] = yield [attemptOp.get(key), attemptOp.get(guessKey)];
  if (failures && failures.failures >= policy.lockAfter) {
    return new AuthError('locked', 'too many failed attempts; locked until reset');
  }
  // Read-only pre-check: a guess refused here is not counted, so waiting out the delay always works.
  if (seen) {
    const wait = waitAfter(seen.failures, seen.lastFailureAt);
    if (wait > 0) return throttled(wait);
  }
  // The reservation: atomic, so every concurrent guess gets its own place in the count.
  const [result] = yield [attemptOp.recordFailure(guessKey, now)];
  const mine = recorded(result);
  const before = mine.failures - 1;
  // If nobody reserved between our read and our write, the guess before ours is the one we saw; otherwise it
  // is a concurrent one, made just now. (After a reset in between, the count can match by chance; that takes
  // a right guess, and lets at most one extra guess through.)
  const previousAt = seen && seen.failures === before ? seen.lastFailureAt : now;
  if (waitAfter(before, previousAt) > 0) return throttled(backoffDelay(mine.failures, policy));
  return undefined;
}

/** Clears both counters of each key (after a right guess, or to unlock), handing back `released` reservations too. */
export function* clearCounters(keys: readonly string[], released: readonly string[] = []): AttemptWork<void> {
  const ops = [...keys.flatMap((key) => [attemptOp.reset(key), attemptOp.reset(attemptKeys.guesses(key))]), ...released.map(attemptOp.release)];
  if (ops.length > 0) yield ops;
}

/**
 * Lifts the password, TOTP and recovery-code back-off and lock of an account: after a passkey verification (a stronger factor with
 * nothing to guess, so the legitimate user gets out of a lock an attacker caused) or by an operator.
 * Returns the consecutive failures it cleared per factor.
 */
export async function clearAccountLimits(store: AttemptStore, accountId: string): Promise<Record<'pwd' | 'otp' | 'recovery', number>> {
  return store.transact(clearAccount(accountId));
}

function* clearAccount(accountId: string): AttemptWork<Record<'pwd' | 'otp' | 'recovery', number>> {
  const keys = [attemptKeys.password(accountId), attemptKeys.totp(accountId), attemptKeys.recovery(accountId)];
  const [pwd, otp, recovery] = yield keys.map(attemptOp.get);
  yield* clearCounters(keys);
  return { pwd: pwd?.failures ?? 0, otp: otp?.failures ?? 0, recovery: recovery?.failures ?? 0 };
}

export const attemptKeys = {
  password: (accountId: string): string => `pwd:${accountId}`,
  /**
   * Unknown usernames are throttled too, so throttling does not reveal which usernames exist. Keyed like the
   * accounts' unique username key (adapters/username-key.ts), after trimming.
   */
  unknownUsername: (username: string): string => `pwd-user:${usernameKey(username.trim())}`,
  totp: (accountId: string): string => `otp:${accountId}`,
  recovery: (accountId: string): string => `recovery:${accountId}`,
  /** The guess counter of a key; its own prefix keeps it apart from every factor's keys. */
  guesses: (key: string): string => `guesses:${key}`,
} as const;
