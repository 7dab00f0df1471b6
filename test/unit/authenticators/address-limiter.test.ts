// The per-address budget: wrong guesses per window, right guesses handed back, bursts held to the budget, and the
// order of the address and account limits when a guess is reserved.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_POLICY, attemptKeys, clearAccountLimits, createAttemptLimiter } from '../../../authenticators/attempt-limiter.ts';
import { createAddressLimiter } from '../../../authenticators/address-limiter.ts';
import { reserveGuess } from '../../../authenticators/guess.ts';
import { FakeAttemptStore, jitteryAttemptStore } from './fake-stores.ts';
import { authError } from './helpers.ts';

const policy = { maxFailures: 5, windowSeconds: 3600 };
const WINDOW_START = 1_700_000_000 - (1_700_000_000 % 3600);
const T0 = WINDOW_START + 600;

async function wrongGuesses(store: FakeAttemptStore, n: number, now = T0): Promise<void> {
  const limiter = createAddressLimiter(store, policy);
  for (let i = 0; i < n; i++) await limiter.reserve('192.0.2.1', now);
}

describe('address limiter', () => {
  it('allows maxFailures wrong guesses per window, then refuses until the window ends', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    const refused = await authError(createAddressLimiter(store, policy).reserve('192.0.2.1', T0 + 10));
    expect(refused).toMatchObject({ code: 'throttled', limit: 'address', retryAfter: 3600 - 610 });
    await expect(createAddressLimiter(store, policy).reserve('192.0.2.1', WINDOW_START + 3600)).resolves.toBeDefined();
  });

  it('keeps other addresses apart', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    await expect(createAddressLimiter(store, policy).reserve('192.0.2.2', T0)).resolves.toBeDefined();
  });

  it('does not spend the budget on guesses handed back (right ones)', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAddressLimiter(store, policy);
    for (let i = 0; i < 50; i++) await (await limiter.reserve('192.0.2.1', T0)).release();
    await wrongGuesses(store, 5);
    expect((await authError(limiter.reserve('192.0.2.1', T0))).code).toBe('throttled');
  });

  it('writes nothing for a refused guess', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    const before = structuredClone([...store.rows]);
    for (let i = 0; i < 10; i++) await authError(createAddressLimiter(store, policy).reserve('192.0.2.1', T0));
    expect([...store.rows]).toEqual(before);
  });

  it('holds a burst of parallel guesses to the budget, however they interleave', async () => {
    for (let run = 0; run < 20; run++) {
      const store = jitteryAttemptStore();
      const limiter = createAddressLimiter(store, policy);
      const results = await Promise.allSettled(Array.from({ length: 60 }, () => limiter.reserve('192.0.2.1', T0)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    }
  });

  it('drops the previous window counter when a new window starts', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 3);
    await wrongGuesses(store, 1, T0 + 3600);
    expect([...store.rows.keys()].filter((key) => key.startsWith('addr:'))).toEqual([`addr:${Math.floor((T0 + 3600) / 3600)}:192.0.2.1`]);
  });
});

describe('reserveGuess', () => {
  const limits = (store: FakeAttemptStore) => ({ attempts: store, limiterPolicy: DEFAULT_LIMITER_POLICY, addressLimit: policy, clientAddress: '192.0.2.1', now: T0 });

  it('refused by the address: the account is not touched, so an attacker cannot push a victim into back-off', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    expect((await authError(reserveGuess(attemptKeys.password('victim'), limits(store)))).limit).toBe('address');
    expect(store.rows.has(attemptKeys.guesses(attemptKeys.password('victim')))).toBe(false);
  });

  it('refused by the account: the address gets its reservation back', async () => {
    const store = new FakeAttemptStore();
    const account = createAttemptLimiter(store, DEFAULT_LIMITER_POLICY);
    for (let i = 0; i < 100; i++) await account.fail(attemptKeys.password('locked'), T0);
    expect((await authError(reserveGuess(attemptKeys.password('locked'), limits(store)))).code).toBe('locked');
    const [addressKey] = [...store.rows.keys()].filter((key) => key.startsWith('addr:'));
    expect(store.rows.get(addressKey!)?.failures).toBe(0);
  });

  it('a wrong guess stays on both; a right one clears the account and hands the address reservation back', async () => {
    const store = new FakeAttemptStore();
    const key = attemptKeys.totp('acc');
    await (await reserveGuess(key, limits(store))).wrong();
    await (await reserveGuess(key, limits(store))).right();
    expect(store.rows.get(key)).toBeUndefined();
    const [addressKey] = [...store.rows.keys()].filter((each) => each.startsWith('addr:'));
    expect(store.rows.get(addressKey!)?.failures).toBe(1);
  });
});

describe('clearAccountLimits', () => {
  it('lifts the password and TOTP locks of one account only', async () => {
    const store = new FakeAttemptStore();
    const account = createAttemptLimiter(store, DEFAULT_LIMITER_POLICY);
    for (const id of ['mine', 'other']) {
      for (let i = 0; i < 100; i++) {
        await account.fail(attemptKeys.password(id), T0);
        await account.fail(attemptKeys.totp(id), T0);
      }
    }
    await clearAccountLimits(store, 'mine');
    await expect(account.reserve(attemptKeys.password('mine'), T0)).resolves.toBeUndefined();
    await expect(account.reserve(attemptKeys.totp('mine'), T0)).resolves.toBeUndefined();
    expect((await authError(account.reserve(attemptKeys.password('other'), T0))).code).toBe('locked');
  });
});
