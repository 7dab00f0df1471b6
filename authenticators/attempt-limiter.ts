// Throttles guesses per key with exponential back-off and a hard lock (NIST SP 800-63B), state kept in an AttemptStore.
import type { AttemptState, AttemptStore } from '../adapters/types.ts';
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
  /** Throws AuthError('locked') or AuthError('throttled', retryAfter) when no guess is allowed now. */
  check(key: string, now: number): Promise<void>;
  fail(key: string, now: number): Promise<AttemptState>;
  succeed(key: string): Promise<void>;
}

/** Seconds to wait after the last failure, given the number of consecutive failures. */
export function backoffDelay(failures: number, policy: LimiterPolicy): number {
  if (failures <= policy.freeAttempts) return 0;
  return Math.min(policy.baseDelaySeconds * 2 ** (failures - policy.freeAttempts - 1), policy.maxDelaySeconds);
}

export function createAttemptLimiter(store: AttemptStore, policy: LimiterPolicy): AttemptLimiter {
  return {
    async check(key, now) {
      const state = await store.get(key);
      if (!state) return;
      if (state.failures >= policy.lockAfter) {
        throw new AuthError('locked', 'too many failed attempts; locked until reset');
      }
      const until = state.lastFailureAt + backoffDelay(state.failures, policy);
      if (now < until) {
        throw new AuthError('throttled', 'too many failed attempts; try again later', Math.max(1, Math.ceil(until - now)));
      }
    },
    fail: (key, now) => store.recordFailure(key, now),
    succeed: (key) => store.reset(key),
  };
}

export const attemptKeys = {
  password: (accountId: string): string => `pwd:${accountId}`,
  /** Unknown usernames are throttled too, so throttling does not reveal which usernames exist. */
  unknownUsername: (username: string): string => `pwd-user:${username.normalize('NFKC').trim().toLowerCase()}`,
  totp: (accountId: string): string => `otp:${accountId}`,
} as const;
