// The password authenticator: the 'pwd' event, identical failures for unknown users, throttling before hashing, lock, rehash.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_POLICY } from '../../../authenticators/attempt-limiter.ts';
import { hashPassword, needsRehash } from '../../../authenticators/password.ts';
import { verifyPassword, type PasswordDeps } from '../../../authenticators/verify-password.ts';
import { FakeAccountStore, FakeAttemptStore } from './fake-stores.ts';
import { FAST_PARAMS, authError } from './helpers.ts';

const T0 = 1_700_000_000;
let accounts: FakeAccountStore;
let attempts: FakeAttemptStore;

function deps(now = T0, overrides: Partial<PasswordDeps> = {}): PasswordDeps {
  return { accounts, attempts, limiterPolicy: DEFAULT_LIMITER_POLICY, passwordParams: FAST_PARAMS, now, ...overrides };
}

beforeEach(async () => {
  accounts = new FakeAccountStore();
  attempts = new FakeAttemptStore();
  await accounts.create({ id: 'acc-1', username: 'alice', passwordHash: await hashPassword('correct horse', FAST_PARAMS), createdAt: T0 - 100 });
});

describe('when the password is right', () => {
  it('returns the account and a pwd event', async () => {
    const { account, event } = await verifyPassword({ username: 'alice', password: 'correct horse' }, deps());
    expect(account.id).toBe('acc-1');
    expect(event).toEqual({ id: expect.any(String), accountId: 'acc-1', factor: 'pwd', amr: ['pwd'], at: T0 });
    expect(event.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives each verification its own event id', async () => {
    const a = await verifyPassword({ username: 'alice', password: 'correct horse' }, deps());
    const b = await verifyPassword({ username: 'alice', password: 'correct horse' }, deps());
    expect(a.event.id).not.toBe(b.event.id);
  });

  it('resets the failure count', async () => {
    await authError(verifyPassword({ username: 'alice', password: 'wrong' }, deps()));
    expect(attempts.rows.get('pwd:acc-1')?.failures).toBe(1);
    await verifyPassword({ username: 'alice', password: 'correct horse' }, deps());
    expect(attempts.rows.has('pwd:acc-1')).toBe(false);
  });

  it('rehashes a hash made with old parameters', async () => {
    const newParams = { ...FAST_PARAMS, N: 2 ** 11 };
    await verifyPassword({ username: 'alice', password: 'correct horse' }, deps(T0, { passwordParams: newParams }));
    const stored = (await accounts.findById('acc-1'))!.passwordHash;
    expect(needsRehash(stored, newParams)).toBe(false);
    await verifyPassword({ username: 'alice', password: 'correct horse' }, deps(T0, { passwordParams: newParams }));
  });
});

describe('when the credentials are wrong', () => {
  it('refuses a wrong password with invalid_credentials and counts it on the account', async () => {
    const err = await authError(verifyPassword({ username: 'alice', password: 'wrong' }, deps()));
    expect(err.code).toBe('invalid_credentials');
    expect(attempts.rows.get('pwd:acc-1')).toEqual({ failures: 1, lastFailureAt: T0 });
  });

  it('answers an unknown username exactly like a wrong password, and counts it on the username', async () => {
    const wrong = await authError(verifyPassword({ username: 'alice', password: 'wrong' }, deps()));
    const unknown = await authError(verifyPassword({ username: 'Mallory', password: 'wrong' }, deps()));
    expect(unknown.code).toBe(wrong.code);
    expect(unknown.message).toBe(wrong.message);
    expect(attempts.rows.get('pwd-user:mallory')).toEqual({ failures: 1, lastFailureAt: T0 });
  });

  it.each([
    ['an empty password', 'alice', ''],
    ['a password over 1024 characters', 'alice', 'x'.repeat(1025)],
    ['an empty username', ' ', 'pw'],
    ['a username over 256 characters', 'u'.repeat(257), 'pw'],
  ])('refuses %s as invalid_input without counting a failure', async (_, username, password) => {
    expect((await authError(verifyPassword({ username, password }, deps()))).code).toBe('invalid_input');
    expect(attempts.rows.size).toBe(0);
  });
});

describe('when guesses pile up', () => {
  it('throttles after the free attempts, even the right password, until the delay has passed', async () => {
    for (let i = 0; i < 6; i++) await authError(verifyPassword({ username: 'alice', password: `guess ${i}` }, deps()));
    const err = await authError(verifyPassword({ username: 'alice', password: 'correct horse' }, deps()));
    expect(err.code).toBe('throttled');
    expect(err.retryAfter).toBe(1);
    expect(attempts.rows.get('pwd:acc-1')?.failures).toBe(6);
    await expect(verifyPassword({ username: 'alice', password: 'correct horse' }, deps(T0 + 1))).resolves.toBeDefined();
  });

  it('throttles unknown usernames the same way', async () => {
    for (let i = 0; i < 6; i++) await authError(verifyPassword({ username: 'nobody', password: `guess ${i}` }, deps()));
    const err = await authError(verifyPassword({ username: 'nobody', password: 'x' }, deps()));
    expect(err.code).toBe('throttled');
    expect(err.retryAfter).toBe(1);
  });

  it('locks the account after 100 consecutive failures, even for the right password', async () => {
    let now = T0;
    for (let i = 0; i < 100; i++) {
      now += 1000; // longer than the maximum delay, so each guess is allowed
      expect((await authError(verifyPassword({ username: 'alice', password: `guess ${i}` }, deps(now)))).code).toBe('invalid_credentials');
    }
    expect(attempts.rows.get('pwd:acc-1')?.failures).toBe(100);
    const err = await authError(verifyPassword({ username: 'alice', password: 'correct horse' }, deps(now + 10 ** 6)));
    expect(err.code).toBe('locked');
  });
});
