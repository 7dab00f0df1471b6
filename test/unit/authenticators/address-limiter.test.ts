// The per-address budget: wrong guesses per window, right guesses handed back, bursts held to the budget, nested
// IPv6 prefixes, expiry, and the order of the address and account limits when a guess is reserved.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_POLICY, attemptKeys, clearAccountLimits, createAttemptLimiter } from '../../../authenticators/attempt-limiter.ts';
import { createAddressLimiter, type AddressKey } from '../../../authenticators/address-limiter.ts';
import { reserveGuess } from '../../../authenticators/guess.ts';
import { FakeAttemptStore, jitteryAttemptStore } from './fake-stores.ts';
import { authError } from './helpers.ts';

const policy = { maxFailures: 5, windowSeconds: 3600 };
const WINDOW_START = 1_700_000_000 - (1_700_000_000 % 3600);
const T0 = WINDOW_START + 600;
const HOME: AddressKey[] = [{ key: '192.0.2.1', scale: 1 }];
const NEIGHBOUR: AddressKey[] = [{ key: '192.0.2.2', scale: 1 }];

/** The keys of an IPv6 address in the /48 2001:db8:1::/48: its /64 number `n`. */
function v6(n: number): AddressKey[] {
  return [
    { key: `2001:db8:1:${n.toString(16)}::/64`, scale: 1 },
    { key: `2001:db8:1:${(n & 0xff00).toString(16)}::/56`, scale: 4 },
    { key: '2001:db8:1::/48', scale: 16 },
  ];
}

async function wrongGuesses(store: FakeAttemptStore, n: number, address = HOME, now = T0): Promise<void> {
  const limiter = createAddressLimiter(store, policy);
  for (let i = 0; i < n; i++) await limiter.reserve(address, now);
}

describe('address limiter', () => {
  it('allows maxFailures wrong guesses per window, then refuses until the window ends', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    const refused = await authError(createAddressLimiter(store, policy).reserve(HOME, T0 + 10));
    expect(refused).toMatchObject({ code: 'throttled', limit: 'address', retryAfter: 3600 - 610 });
    await expect(createAddressLimiter(store, policy).reserve(HOME, WINDOW_START + 3600)).resolves.toBeDefined();
  });

  it('keeps other addresses apart', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    await expect(createAddressLimiter(store, policy).reserve(NEIGHBOUR, T0)).resolves.toBeDefined();
  });

  it('does not spend the budget on guesses handed back (right ones)', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAddressLimiter(store, policy);
    for (let i = 0; i < 50; i++) await (await limiter.reserve(HOME, T0)).release();
    await wrongGuesses(store, 5);
    expect((await authError(limiter.reserve(HOME, T0))).code).toBe('throttled');
  });

  it('writes nothing for a guess refused up front', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 5);
    const before = structuredClone([...store.rows]);
    for (let i = 0; i < 10; i++) await authError(createAddressLimiter(store, policy).reserve(HOME, T0));
    expect([...store.rows]).toEqual(before);
  });

  it('holds a burst of parallel guesses to the budget, however they interleave', async () => {
    for (let run = 0; run < 20; run++) {
      const store = jitteryAttemptStore();
      const limiter = createAddressLimiter(store, policy);
      const results = await Promise.allSettled(Array.from({ length: 60 }, () => limiter.reserve(HOME, T0)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    }
  });

  it('lets counters expire one window after theirs ends', async () => {
    const store = new FakeAttemptStore();
    await wrongGuesses(store, 1);
    expect(store.expiries.get(`addr:${Math.floor(T0 / 3600)}:192.0.2.1`)).toBe(WINDOW_START + 2 * 3600);
  });

  it('gives an IPv6 attacker no more than the /48 budget however many /64s it uses', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAddressLimiter(store, policy);
    let allowed = 0;
    for (let n = 0; n < 2000; n++) {
      const reserved = await limiter.reserve(v6(n), T0).then(
        () => true,
        () => false,
      );
      if (reserved) allowed += 1;
    }
    // /64: 5 each, /56 (256 /64s): 20 each, /48: 80 in all.
    expect(allowed).toBe(policy.maxFailures * 16);
  });

  it('hands back the narrower reservations when a wider prefix refuses', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAddressLimiter(store, policy);
    for (let n = 0; n < 4; n++) await wrongGuesses(store, 5, v6(n));
    const slash64 = `addr:${Math.floor(T0 / 3600)}:2001:db8:1:4::/64`;
    expect((await authError(limiter.reserve(v6(4), T0))).limit).toBe('address');
    expect(store.rows.get(slash64)?.failures ?? 0).toBe(0);
  });
});

describe('reserveGuess', () => {
  const limits = (store: FakeAttemptStore) => ({ attempts: store, limiterPolicy: DEFAULT_LIMITER_POLICY, addressLimit: policy, clientAddress: HOME, now: T0 });
  const addressCount = (store: FakeAttemptStore) => [...store.rows].find(([key]) => key.startsWith('addr:'))?.[1].failures;

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
    expect(addressCount(store)).toBe(0);
  });

  it('a wrong guess stays on both; a right one clears the account and hands the address reservation back', async () => {
    const store = new FakeAttemptStore();
    const key = attemptKeys.totp('acc');
    await (await reserveGuess(key, limits(store))).wrong();
    await (await reserveGuess(key, limits(store))).right();
    expect(store.rows.get(key)).toBeUndefined();
    expect(addressCount(store)).toBe(1);
  });

  it('an abandoned guess (the check itself failed) gives the address its reservation back, once settled never', async () => {
    const store = new FakeAttemptStore();
    const key = attemptKeys.totp('acc');
    await (await reserveGuess(key, limits(store))).abandon();
    expect(addressCount(store)).toBe(0);
    const wrong = await reserveGuess(key, limits(store));
    await wrong.wrong();
    await wrong.abandon();
    expect(addressCount(store)).toBe(1);
  });
});

describe('clearAccountLimits', () => {
  it('lifts the password, TOTP and recovery-code locks of one account only, and says how many failures it cleared', async () => {
    const store = new FakeAttemptStore();
    const account = createAttemptLimiter(store, DEFAULT_LIMITER_POLICY);
    for (const id of ['mine', 'other']) {
      for (let i = 0; i < 100; i++) {
        await account.fail(attemptKeys.password(id), T0);
        await account.fail(attemptKeys.totp(id), T0);
        if (i < 7) await account.fail(attemptKeys.recovery(id), T0);
      }
    }
    expect(await clearAccountLimits(store, 'mine')).toEqual({ pwd: 100, otp: 100, recovery: 7 });
    await expect(account.reserve(attemptKeys.password('mine'), T0)).resolves.toBeUndefined();
    await expect(account.reserve(attemptKeys.totp('mine'), T0)).resolves.toBeUndefined();
    await expect(account.reserve(attemptKeys.recovery('mine'), T0)).resolves.toBeUndefined();
    expect((await authError(account.reserve(attemptKeys.password('other'), T0))).code).toBe('locked');
  });
});
