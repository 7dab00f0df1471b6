// The attempt limiter: free attempts, exponential back-off capped at the maximum, the lock, reset, and the
// up-front reservation that keeps the limits under concurrent guesses.
import { describe, expect, it } from 'vitest';
import { usernameKey } from '../../../adapters/username-key.ts';
import { DEFAULT_LIMITER_POLICY, attemptKeys, backoffDelay, createAttemptLimiter } from '../../../authenticators/attempt-limiter.ts';
import { FakeAttemptStore, jitteryAttemptStore } from './fake-stores.ts';
import { authError } from './helpers.ts';

const policy = DEFAULT_LIMITER_POLICY;
const T0 = 1_700_000_000;

/** Leaves the store as n reserved, verified and wrong guesses at `at` would. */
async function failTimes(store: FakeAttemptStore, key: string, n: number, at = T0): Promise<void> {
  const limiter = createAttemptLimiter(store, policy);
  for (let i = 0; i < n; i++) {
    await store.recordFailure(attemptKeys.guesses(key), at);
    await limiter.fail(key, at);
  }
}

/** Fires n reservations at once; returns how many were allowed and the codes of the refusals. */
async function burst(store: FakeAttemptStore, key: string, n: number, now: number): Promise<{ allowed: number; refused: string[] }> {
  const limiter = createAttemptLimiter(store, policy);
  const results = await Promise.allSettled(Array.from({ length: n }, () => limiter.reserve(key, now)));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [(r.reason as { code: string }).code] : []));
  return { allowed: n - refused.length, refused };
}

describe('backoffDelay', () => {
  it.each([
    [0, 0],
    [5, 0],
    [6, 1],
    [7, 2],
    [8, 4],
    [14, 256],
    [15, 512],
    [16, 900],
    [99, 900],
  ])('after %i failures waits %i s', (failures, delay) => {
    expect(backoffDelay(failures, policy)).toBe(delay);
  });
});

describe('reserve', () => {
  it('lets the free attempts through and counts each reserved guess on the guess counter only', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(store, 'k', 5);
    await expect(limiter.reserve('k', T0)).resolves.toBeUndefined();
    expect(store.rows.get('guesses:k')).toEqual({ failures: 6, lastFailureAt: T0 });
    expect(store.rows.get('k')?.failures).toBe(5);
  });

  it('throttles beyond the free attempts with retryAfter, then lets one guess through after the delay', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(store, 'k', 8);
    const err = await authError(limiter.reserve('k', T0 + 1));
    expect(err.code).toBe('throttled');
    expect(err.retryAfter).toBe(3);
    await expect(limiter.reserve('k', T0 + 4)).resolves.toBeUndefined();
  });

  it('counts nothing for a guess it refuses up front, so waiting out the delay always works', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(store, 'k', 8);
    const before = structuredClone([...store.rows]);
    for (let i = 0; i < 10; i++) expect((await authError(limiter.reserve('k', T0 + 1))).code).toBe('throttled');
    expect([...store.rows]).toEqual(before);
    await expect(limiter.reserve('k', T0 + 4)).resolves.toBeUndefined();
  });

  it('caps the delay at maxDelaySeconds', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(store, 'k', 40);
    expect((await authError(limiter.reserve('k', T0))).retryAfter).toBe(900);
    await expect(limiter.reserve('k', T0 + 900)).resolves.toBeUndefined();
  });

  it('locks at lockAfter failures, however long one waits', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(store, 'k', 99);
    await expect(limiter.reserve('k', T0 + 10_000)).resolves.toBeUndefined();
    await limiter.fail('k', T0 + 10_000);
    expect((await authError(limiter.reserve('k', T0 + 10 ** 9))).code).toBe('locked');
  });

  it('keeps keys apart and resets both counters on success', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(store, 'a', 10);
    await expect(limiter.reserve('b', T0)).resolves.toBeUndefined();
    await limiter.succeed('a');
    expect(store.rows.has('a')).toBe(false);
    expect(store.rows.has('guesses:a')).toBe(false);
    await expect(limiter.reserve('a', T0)).resolves.toBeUndefined();
  });
});

describe('reserve under concurrent guesses', () => {
  const stores: Array<[string, () => FakeAttemptStore]> = [
    ['an instant store', () => new FakeAttemptStore()],
    ['a store with random latency', jitteryAttemptStore],
  ];

  it.each(stores)('lets only freeAttempts + 1 of 50 simultaneous guesses through on a fresh key (%s)', async (_, makeStore) => {
    const store = makeStore();
    const { allowed, refused } = await burst(store, 'k', 50, T0);
    expect(allowed).toBe(policy.freeAttempts + 1);
    expect(refused).toEqual(Array(50 - allowed).fill('throttled'));
  });

  it.each(stores)('lets exactly one simultaneous guess through once a delay has passed (%s)', async (_, makeStore) => {
    const store = makeStore();
    await failTimes(store, 'k', 8);
    expect((await burst(store, 'k', 20, T0 + 4)).allowed).toBe(1);
    expect((await burst(store, 'k', 20, T0 + 5)).allowed).toBe(0);
  });

  it.each(stores)('lets at most one guess through at the last failure before the lock (%s)', async (_, makeStore) => {
    const store = makeStore();
    await failTimes(store, 'k', policy.lockAfter - 1);
    expect((await burst(store, 'k', 30, T0 + 900)).allowed).toBe(1);
  });

  it('does not lock the key for guesses refused in a burst: they only lengthen the back-off, up to maxDelaySeconds', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    const { allowed } = await burst(store, 'k', 3 * policy.lockAfter, T0);
    for (let i = 0; i < allowed; i++) await limiter.fail('k', T0); // every allowed guess was wrong
    expect(store.rows.get('k')?.failures).toBe(policy.freeAttempts + 1);
    expect(store.rows.get('guesses:k')?.failures).toBe(3 * policy.lockAfter);
    expect((await authError(limiter.reserve('k', T0 + policy.maxDelaySeconds - 1))).code).toBe('throttled');
    await expect(limiter.reserve('k', T0 + policy.maxDelaySeconds)).resolves.toBeUndefined();
  });
});

describe('attemptKeys', () => {
  it('names keys per factor and keeps the guess counters in their own namespace', () => {
    expect(attemptKeys.password('acc-1')).toBe('pwd:acc-1');
    expect(attemptKeys.totp('acc-1')).toBe('otp:acc-1');
    expect(attemptKeys.guesses('pwd:acc-1')).toBe('guesses:pwd:acc-1');
  });

  it('keys unknown usernames like the account store does, after trimming', () => {
    expect(attemptKeys.unknownUsername('  Alice ')).toBe('pwd-user:alice');
    for (const name of ['Alice', 'ＡＬＩＣＥ', 'ǅemal', 'ﬁona', 'Straße']) {
      expect(attemptKeys.unknownUsername(` ${name}\t`)).toBe(`pwd-user:${usernameKey(name)}`);
    }
  });
});
