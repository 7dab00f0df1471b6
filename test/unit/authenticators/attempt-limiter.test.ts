// The attempt limiter: free attempts, exponential back-off capped at the maximum, the lock, and reset.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITER_POLICY, attemptKeys, backoffDelay, createAttemptLimiter } from '../../../authenticators/attempt-limiter.ts';
import { FakeAttemptStore } from './fake-stores.ts';
import { authError } from './helpers.ts';

const policy = DEFAULT_LIMITER_POLICY;
const T0 = 1_700_000_000;

async function failTimes(limiter: ReturnType<typeof createAttemptLimiter>, key: string, n: number, at = T0): Promise<void> {
  for (let i = 0; i < n; i++) await limiter.fail(key, at);
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

describe('check', () => {
  it('lets the free attempts through', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await limiter.check('k', T0);
    await failTimes(limiter, 'k', 5);
    await expect(limiter.check('k', T0)).resolves.toBeUndefined();
  });

  it('throttles beyond the free attempts with retryAfter, then lets one guess through after the delay', async () => {
    const limiter = createAttemptLimiter(new FakeAttemptStore(), policy);
    await failTimes(limiter, 'k', 8);
    const err = await authError(limiter.check('k', T0 + 1));
    expect(err.code).toBe('throttled');
    expect(err.retryAfter).toBe(3);
    await expect(limiter.check('k', T0 + 4)).resolves.toBeUndefined();
  });

  it('caps the delay at maxDelaySeconds', async () => {
    const limiter = createAttemptLimiter(new FakeAttemptStore(), policy);
    await failTimes(limiter, 'k', 40);
    expect((await authError(limiter.check('k', T0))).retryAfter).toBe(900);
    await expect(limiter.check('k', T0 + 900)).resolves.toBeUndefined();
  });

  it('locks at lockAfter failures, however long one waits', async () => {
    const limiter = createAttemptLimiter(new FakeAttemptStore(), policy);
    await failTimes(limiter, 'k', 99);
    await expect(limiter.check('k', T0 + 10_000)).resolves.toBeUndefined();
    await limiter.fail('k', T0);
    expect((await authError(limiter.check('k', T0 + 10 ** 9))).code).toBe('locked');
  });

  it('keeps keys apart and resets on success', async () => {
    const store = new FakeAttemptStore();
    const limiter = createAttemptLimiter(store, policy);
    await failTimes(limiter, 'a', 10);
    await expect(limiter.check('b', T0)).resolves.toBeUndefined();
    await limiter.succeed('a');
    expect(store.rows.has('a')).toBe(false);
    await expect(limiter.check('a', T0)).resolves.toBeUndefined();
  });
});

describe('attemptKeys', () => {
  it('names keys per factor and normalizes unknown usernames', () => {
    expect(attemptKeys.password('acc-1')).toBe('pwd:acc-1');
    expect(attemptKeys.totp('acc-1')).toBe('otp:acc-1');
    expect(attemptKeys.unknownUsername('  Alice ')).toBe('pwd-user:alice');
  });
});
