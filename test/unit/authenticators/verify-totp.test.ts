// The TOTP authenticator and its enrolment: the 'otp' event, encryption at rest, replay protection, throttling.
import { Secret, TOTP } from 'otpauth';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AuthenticatorRecord } from '../../../adapters/types.ts';
import { DEFAULT_LIMITER_POLICY } from '../../../authenticators/attempt-limiter.ts';
import { confirmTotpEnrollment, newTotpEnrollment } from '../../../authenticators/enroll-totp.ts';
import { decryptSecret, type SecretKeyring } from '../../../authenticators/secret-box.ts';
import { currentStep } from '../../../authenticators/totp.ts';
import { verifyTotp, type TotpDeps } from '../../../authenticators/verify-totp.ts';
import { FakeAttemptStore, FakeAuthenticatorStore } from './fake-stores.ts';
import { authError, keyring } from './helpers.ts';

const T0 = 1_700_000_010;
const STEP0 = currentStep(T0);

let authenticators: FakeAuthenticatorStore;
let attempts: FakeAttemptStore;
let ring: SecretKeyring;

function codeAt(secret: string, step: number): string {
  return TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * 30 * 1000 });
}

function deps(now: number): TotpDeps {
  return { authenticators, attempts, limiterPolicy: DEFAULT_LIMITER_POLICY, keyring: ring, now };
}

async function enroll(accountId = 'acc-1', label = 'Phone'): Promise<{ secret: string; record: AuthenticatorRecord }> {
  const { secret } = newTotpEnrollment({ issuer: 'Example', username: 'alice' });
  const record = await confirmTotpEnrollment(
    { accountId, secret, code: codeAt(secret, STEP0), label },
    {
      authenticators,
      keyring: ring,
      now: T0,
    },
  );
  return { secret, record };
}

beforeEach(() => {
  authenticators = new FakeAuthenticatorStore();
  attempts = new FakeAttemptStore();
  ring = keyring();
});

describe('enrolment', () => {
  it('offers a fresh secret and its otpauth URI', () => {
    const { secret, uri } = newTotpEnrollment({ issuer: 'Example', username: 'alice' });
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Example:alice\?/);
    expect(uri).toContain(`secret=${secret}`);
    expect(newTotpEnrollment({ issuer: 'Example', username: 'alice' }).secret).not.toBe(secret);
  });

  it('stores the authenticator with the secret encrypted and the enrolment step consumed', async () => {
    const { secret, record } = await enroll();
    const stored = (await authenticators.get(record.id))!;
    expect(stored).toMatchObject({ accountId: 'acc-1', kind: 'totp', label: 'Phone', createdAt: T0, lastUsedStep: STEP0 });
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(typeof stored.data.secret).toBe('string');
    expect(await decryptSecret(stored.data.secret as string, ring)).toBe(secret);
  });

  it('refuses a wrong first code and stores nothing', async () => {
    const { secret } = newTotpEnrollment({ issuer: 'Example', username: 'alice' });
    const code = codeAt(secret, STEP0 + 5);
    const err = await authError(confirmTotpEnrollment({ accountId: 'acc-1', secret, code, label: 'Phone' }, { authenticators, keyring: ring, now: T0 }));
    expect(err.code).toBe('invalid_credentials');
    expect(authenticators.rows.size).toBe(0);
  });

  it.each([
    ['a malformed secret', { secret: 'not base32!', label: 'Phone' }],
    ['a secret shorter than 128 bits', { secret: 'JBSWY3DPEHPK3PXP', label: 'Phone' }],
    ['an empty label', { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', label: '  ' }],
    ['a label over 64 characters', { secret: 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', label: 'x'.repeat(65) }],
  ])('refuses %s as invalid_input', async (_, input) => {
    const err = await authError(confirmTotpEnrollment({ accountId: 'acc-1', code: '123456', ...input }, { authenticators, keyring: ring, now: T0 }));
    expect(err.code).toBe('invalid_input');
  });

  it('does not accept the enrolment code again for sign-in', async () => {
    const { secret } = await enroll();
    const err = await authError(verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0) }, deps(T0)));
    expect(err.code).toBe('replayed');
  });
});

describe('verifyTotp', () => {
  it('returns an otp event naming the authenticator', async () => {
    const { secret, record } = await enroll();
    const now = T0 + 30;
    const { event, authenticator } = await verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 1) }, deps(now));
    expect(authenticator.id).toBe(record.id);
    expect(event).toEqual({
      id: expect.any(String),
      accountId: 'acc-1',
      factor: 'otp',
      amr: ['otp'],
      at: now,
      authenticatorId: record.id,
    });
    expect((await authenticators.get(record.id))!.lastUsedStep).toBe(STEP0 + 1);
  });

  it('accepts a code one step old', async () => {
    const { secret } = await enroll();
    await expect(verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 1) }, deps(T0 + 60))).resolves.toBeDefined();
  });

  it('refuses a replay of the same code as replayed, and counts it', async () => {
    const { secret } = await enroll();
    const code = codeAt(secret, STEP0 + 1);
    await verifyTotp({ accountId: 'acc-1', code }, deps(T0 + 30));
    const err = await authError(verifyTotp({ accountId: 'acc-1', code }, deps(T0 + 31)));
    expect(err.code).toBe('replayed');
    expect(attempts.rows.get('otp:acc-1')?.failures).toBe(1);
  });

  it('refuses an earlier step after a later one', async () => {
    const { secret } = await enroll();
    const now = T0 + 60; // STEP0 + 2; window covers STEP0 + 1 .. STEP0 + 3
    await verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 3) }, deps(now));
    const err = await authError(verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 2) }, deps(now)));
    expect(err.code).toBe('replayed');
  });

  it('lets only one of two concurrent submissions of the same code through', async () => {
    const { secret } = await enroll();
    const code = codeAt(secret, STEP0 + 1);
    const results = await Promise.allSettled([verifyTotp({ accountId: 'acc-1', code }, deps(T0 + 30)), verifyTotp({ accountId: 'acc-1', code }, deps(T0 + 30))]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses a code outside the window as invalid_credentials and counts it', async () => {
    const { secret } = await enroll();
    const err = await authError(verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 3) }, deps(T0 + 30)));
    expect(err.code).toBe('invalid_credentials');
    expect(attempts.rows.get('otp:acc-1')).toEqual({ failures: 1, lastFailureAt: T0 + 30 });
  });

  it('tries every TOTP authenticator of the account', async () => {
    await enroll('acc-1', 'Phone');
    const second = await enroll('acc-1', 'Tablet');
    await enroll('acc-2', 'Other account');
    const { authenticator } = await verifyTotp({ accountId: 'acc-1', code: codeAt(second.secret, STEP0 + 1) }, deps(T0 + 30));
    expect(authenticator.id).toBe(second.record.id);
  });

  it("refuses another account's code", async () => {
    await enroll('acc-1');
    const other = await enroll('acc-2');
    const err = await authError(verifyTotp({ accountId: 'acc-1', code: codeAt(other.secret, STEP0 + 1) }, deps(T0 + 30)));
    expect(err.code).toBe('invalid_credentials');
  });

  it('answers not_enrolled when the account has no TOTP authenticator', async () => {
    expect((await authError(verifyTotp({ accountId: 'acc-1', code: '123456' }, deps(T0)))).code).toBe('not_enrolled');
  });

  it.each(['12345', '1234567', 'abcdef', ''])('refuses %j as invalid_input without counting it', async (code) => {
    await enroll();
    expect((await authError(verifyTotp({ accountId: 'acc-1', code }, deps(T0 + 30)))).code).toBe('invalid_input');
    expect(attempts.rows.size).toBe(0);
  });

  it('throttles after the free attempts, even the right code, and resets on success', async () => {
    const { secret } = await enroll();
    const now = T0 + 30;
    const wrong = codeAt(secret, STEP0 + 10);
    for (let i = 0; i < 6; i++) await authError(verifyTotp({ accountId: 'acc-1', code: wrong }, deps(now)));
    const err = await authError(verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 1) }, deps(now)));
    expect(err.code).toBe('throttled');
    expect(err.retryAfter).toBe(1);
    await verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 1) }, deps(now + 1));
    expect(attempts.rows.has('otp:acc-1')).toBe(false);
  });

  it('still opens secrets sealed under a key that has since been rotated out of current use', async () => {
    const { secret } = await enroll();
    ring = { currentKid: 'k2', keys: { ...ring.keys, k2: new Uint8Array(32).fill(7) } };
    await expect(verifyTotp({ accountId: 'acc-1', code: codeAt(secret, STEP0 + 1) }, deps(T0 + 30))).resolves.toBeDefined();
  });
});
