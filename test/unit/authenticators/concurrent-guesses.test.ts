// Parallel guesses cannot bypass the limiter: the verifiers reserve each guess before checking it, so only the
// free attempts (plus one) of a burst reach the hash or the TOTP check, and a right answer in the burst is throttled.
import { Secret, TOTP } from 'otpauth';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_LIMITER_POLICY } from '../../../authenticators/attempt-limiter.ts';
import { confirmTotpEnrollment, newTotpEnrollment } from '../../../authenticators/enroll-totp.ts';
import { dummyVerify, hashPassword, verifyPasswordHash } from '../../../authenticators/password.ts';
import { currentStep, matchTotpStep } from '../../../authenticators/totp.ts';
import { verifyPassword, type PasswordDeps } from '../../../authenticators/verify-password.ts';
import { verifyTotp } from '../../../authenticators/verify-totp.ts';
import { FakeAccountStore, FakeAttemptStore, FakeAuthenticatorStore, jitteryAttemptStore } from './fake-stores.ts';
import { FAST_PARAMS, keyring } from './helpers.ts';

// Count the verifications while keeping the real implementations.
vi.mock('../../../authenticators/password.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../authenticators/password.ts')>();
  return { ...real, verifyPasswordHash: vi.fn(real.verifyPasswordHash), dummyVerify: vi.fn(real.dummyVerify) };
});
vi.mock('../../../authenticators/totp.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../../authenticators/totp.ts')>();
  return { ...real, matchTotpStep: vi.fn(real.matchTotpStep) };
});

const policy = DEFAULT_LIMITER_POLICY;
const T0 = 1_700_000_010;
const STEP0 = currentStep(T0);

let accounts: FakeAccountStore;
let attempts: FakeAttemptStore;

function pwdDeps(now = T0): PasswordDeps {
  return { accounts, attempts, limiterPolicy: policy, passwordParams: FAST_PARAMS, now };
}

type Outcome = 'ok' | string;

/** Runs the guesses all at once and returns each one's outcome: 'ok' or the AuthError code. */
async function all(guesses: Array<() => Promise<unknown>>): Promise<Outcome[]> {
  const results = await Promise.allSettled(guesses.map((guess) => guess()));
  return results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code));
}

const count = (outcomes: Outcome[], code: Outcome): number => outcomes.filter((o) => o === code).length;

beforeEach(async () => {
  accounts = new FakeAccountStore();
  attempts = new FakeAttemptStore();
  await accounts.create({ id: 'acc-1', username: 'alice', passwordHash: await hashPassword('correct horse', FAST_PARAMS), createdAt: T0 - 100 });
  vi.clearAllMocks();
});

describe('verifyPassword under concurrent guesses', () => {
  it.each([
    ['an instant store', () => new FakeAttemptStore()],
    ['a store with random latency', jitteryAttemptStore],
  ])('lets at most freeAttempts + 1 of 50 parallel wrong guesses reach the hash (%s)', async (_, makeStore) => {
    attempts = makeStore();
    const outcomes = await all(Array.from({ length: 50 }, (_, i) => () => verifyPassword({ username: 'alice', password: `guess ${i}` }, pwdDeps())));
    const verified = vi.mocked(verifyPasswordHash).mock.calls.length;
    expect(verified).toBeLessThanOrEqual(policy.freeAttempts + 1);
    expect(count(outcomes, 'invalid_credentials')).toBe(verified);
    expect(count(outcomes, 'throttled')).toBe(50 - verified);
    expect(attempts.rows.get('pwd:acc-1')?.failures).toBe(verified);
  });

  it('lets at most freeAttempts + 1 of 50 parallel guesses on an unknown username reach the dummy hash', async () => {
    const outcomes = await all(Array.from({ length: 50 }, (_, i) => () => verifyPassword({ username: 'nobody', password: `guess ${i}` }, pwdDeps())));
    const verified = vi.mocked(dummyVerify).mock.calls.length;
    expect(verified).toBeLessThanOrEqual(policy.freeAttempts + 1);
    expect(count(outcomes, 'throttled')).toBe(50 - verified);
  });

  it('throttles the right password sent among parallel wrong guesses after the free attempts', async () => {
    const guesses = Array.from({ length: 20 }, (_, i) => () => verifyPassword({ username: 'alice', password: `guess ${i}` }, pwdDeps()));
    guesses.splice(10, 0, () => verifyPassword({ username: 'alice', password: 'correct horse' }, pwdDeps()));
    const outcomes = await all(guesses);
    expect(outcomes[10]).toBe('throttled');
    expect(count(outcomes, 'ok')).toBe(0);
    expect(vi.mocked(verifyPasswordHash).mock.calls.length).toBeLessThanOrEqual(policy.freeAttempts + 1);
  });

  it('throttles the right password racing wrong guesses once the delay has passed: one guess per window', async () => {
    for (let i = 0; i < policy.freeAttempts + 1; i++) {
      await verifyPassword({ username: 'alice', password: `early ${i}` }, pwdDeps()).catch(() => undefined);
    }
    vi.mocked(verifyPasswordHash).mockClear();
    const guesses = Array.from({ length: 20 }, (_, i) => () => verifyPassword({ username: 'alice', password: `guess ${i}` }, pwdDeps(T0 + 1)));
    guesses.push(() => verifyPassword({ username: 'alice', password: 'correct horse' }, pwdDeps(T0 + 1)));
    const outcomes = await all(guesses);
    expect(vi.mocked(verifyPasswordHash).mock.calls.length).toBe(1);
    expect(outcomes.at(-1)).toBe('throttled');
    expect(count(outcomes, 'invalid_credentials')).toBe(1);
  });

  it('does not lock the account after a burst of 300 parallel guesses; the owner gets in after maxDelaySeconds', async () => {
    await all(Array.from({ length: 300 }, (_, i) => () => verifyPassword({ username: 'alice', password: `guess ${i}` }, pwdDeps())));
    expect(attempts.rows.get('pwd:acc-1')?.failures).toBeLessThanOrEqual(policy.freeAttempts + 1);
    const err = await verifyPassword({ username: 'alice', password: 'correct horse' }, pwdDeps(T0 + policy.maxDelaySeconds - 1)).catch((e) => e);
    expect(err.code).toBe('throttled');
    await expect(verifyPassword({ username: 'alice', password: 'correct horse' }, pwdDeps(T0 + policy.maxDelaySeconds))).resolves.toBeDefined();
    expect(attempts.rows.size).toBe(0);
  });
});

describe('verifyTotp under concurrent guesses', () => {
  it('lets at most freeAttempts + 1 of 50 parallel wrong codes be checked, and throttles a right code among them', async () => {
    const authenticators = new FakeAuthenticatorStore();
    const ring = keyring();
    const { secret } = newTotpEnrollment({ issuer: 'Example', username: 'alice' });
    const codeAt = (step: number): string => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * 30 * 1000 });
    await confirmTotpEnrollment({ accountId: 'acc-1', secret, code: codeAt(STEP0), label: 'Phone' }, { authenticators, keyring: ring, now: T0 });
    vi.mocked(matchTotpStep).mockClear();

    const now = T0 + 30;
    const deps = { authenticators, attempts, limiterPolicy: policy, keyring: ring, now };
    const wrong = codeAt(STEP0 + 10);
    const guesses = Array.from({ length: 50 }, () => () => verifyTotp({ accountId: 'acc-1', code: wrong }, deps));
    guesses.splice(25, 0, () => verifyTotp({ accountId: 'acc-1', code: codeAt(STEP0 + 1) }, deps));
    const outcomes = await all(guesses);

    const checked = vi.mocked(matchTotpStep).mock.calls.length;
    expect(checked).toBeLessThanOrEqual(policy.freeAttempts + 1);
    expect(outcomes[25]).toBe('throttled');
    expect(count(outcomes, 'invalid_credentials')).toBe(checked);
    expect(count(outcomes, 'throttled')).toBe(51 - checked);
  });
});
