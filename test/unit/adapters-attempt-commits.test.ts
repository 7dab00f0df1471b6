// What one guess costs the embedded store: SQLite commits for a TOTP and a password verification, counted on real
// stores by wrapping better-sqlite3's statements (as the bench's counter does). The reservation (address and account counters) is one transaction, the
// settlement another; a right TOTP code adds the step's own commit. Before AttemptStore.transact each counter change
// was its own commit: a right TOTP code cost 6 (10 from an IPv6 address), a right password 5, a wrong guess 3.
import Database from 'better-sqlite3';
import { Secret, TOTP } from 'otpauth';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import type { Stores } from '../../adapters/types.ts';
import { DEFAULT_LIMITER_POLICY } from '../../authenticators/attempt-limiter.ts';
import { DEFAULT_ADDRESS_LIMIT, type AddressKey } from '../../authenticators/address-limiter.ts';
import { confirmTotpEnrollment, newTotpEnrollment } from '../../authenticators/enroll-totp.ts';
import { hashPassword } from '../../authenticators/password.ts';
import { currentStep } from '../../authenticators/totp.ts';
import { verifyPassword } from '../../authenticators/verify-password.ts';
import { verifyTotp } from '../../authenticators/verify-totp.ts';
import { FAST_PARAMS, keyring } from './authenticators/helpers.ts';

const T0 = 1_700_000_010;
const STEP0 = currentStep(T0);
const IPV4: AddressKey[] = [{ key: '192.0.2.1', scale: 1 }];
const IPV6: AddressKey[] = [
  { key: '2001:db8:1:2::/64', scale: 1 },
  { key: '2001:db8:1::/56', scale: 4 },
  { key: '2001:db8:1::/48', scale: 16 },
];

let stores: Stores;
const ring = keyring();

type Statement = { source: string; database: { inTransaction: boolean } };
let counting = false;
let commitCount = 0;

/**
 * Counts commits: each COMMIT a transaction runs, and each write outside a transaction (its own commit). Wraps the
 * statement methods every prepared statement shares, once per test file.
 */
function installCommitCounter(): void {
  const probe = new Database(':memory:');
  const prototype = Object.getPrototypeOf(probe.prepare('SELECT 1')) as Record<string, (this: Statement, ...args: unknown[]) => unknown>;
  probe.close();
  for (const name of ['run', 'get', 'all', 'iterate']) {
    const original = prototype[name]!;
    prototype[name] = function counted(this: Statement, ...args: unknown[]) {
      if (counting) {
        const kind = /^\s*(\w+)/.exec(this.source)?.[1]?.toUpperCase();
        if (kind === 'COMMIT' || ((kind === 'INSERT' || kind === 'UPDATE' || kind === 'DELETE') && !this.database.inTransaction)) commitCount += 1;
      }
      return original.apply(this, args);
    };
  }
}
installCommitCounter();

beforeEach(async () => {
  stores = openSqliteStores({ file: ':memory:', now: () => T0 });
  // The expiry purge runs once a minute on the first windowed write: run it now, so that it is not counted.
  await stores.attempts.recordFailure('warm-up', T0, T0 + 1);
});
afterEach(() => stores.close());

const limits = (now: number, clientAddress = IPV4) => ({ attempts: stores.attempts, limiterPolicy: DEFAULT_LIMITER_POLICY, clientAddress, addressLimit: DEFAULT_ADDRESS_LIMIT, now });

/** The commits the action made, and how it ended ('ok' or the AuthError code). */
async function commits(action: () => Promise<unknown>): Promise<[number, string]> {
  commitCount = 0;
  counting = true;
  const outcome = await action()
    .then(
      () => 'ok',
      (error: { code?: string }) => error.code ?? String(error),
    )
    .finally(() => (counting = false));
  return [commitCount, outcome];
}

describe('SQLite commits per verification', () => {
  it.each([
    ['IPv4', IPV4],
    ['IPv6', IPV6],
  ])('a TOTP code from %s: 3 when right (reserve, the time step, settle), 2 when wrong (reserve, count it)', async (_, address) => {
    const { secret } = newTotpEnrollment({ issuer: 'Example', username: 'alice' });
    const codeAt = (step: number) => TOTP.generate({ secret: Secret.fromBase32(secret), timestamp: step * 30 * 1000 });
    await stores.accounts.create({ id: 'acc-1', username: 'alice', passwordHash: 'x', createdAt: T0 });
    await confirmTotpEnrollment({ accountId: 'acc-1', secret, code: codeAt(STEP0), label: 'Phone' }, { authenticators: stores.authenticators, keyring: ring, now: T0 });
    const deps = { authenticators: stores.authenticators, keyring: ring, ...limits(T0 + 30, address) };
    expect(await commits(() => verifyTotp({ accountId: 'acc-1', code: codeAt(STEP0 + 1) }, deps))).toEqual([3, 'ok']);
    expect(await commits(() => verifyTotp({ accountId: 'acc-1', code: codeAt(STEP0 + 9) }, deps))).toEqual([2, 'invalid_credentials']);
    expect(await commits(() => verifyTotp({ accountId: 'acc-1', code: codeAt(STEP0 + 1) }, deps))).toEqual([3, 'replayed']);
  });

  it('a password: 2 when right (reserve, settle) and 2 when wrong; a guess refused up front changes nothing in its one transaction', async () => {
    await stores.accounts.create({ id: 'acc-1', username: 'alice', passwordHash: await hashPassword('correct horse', FAST_PARAMS), createdAt: T0 });
    const deps = { accounts: stores.accounts, passwordParams: FAST_PARAMS, ...limits(T0) };
    expect(await commits(() => verifyPassword({ username: 'alice', password: 'correct horse' }, deps))).toEqual([2, 'ok']);
    for (let i = 0; i < DEFAULT_LIMITER_POLICY.freeAttempts; i++) {
      expect(await commits(() => verifyPassword({ username: 'alice', password: 'wrong horse' }, deps))).toEqual([2, 'invalid_credentials']);
    }
    expect(await commits(() => verifyPassword({ username: 'alice', password: 'wrong horse' }, deps))).toEqual([2, 'invalid_credentials']);
    // Throttled now: the reservation's transaction only read.
    const counters = await Promise.all(['pwd:acc-1', 'guesses:pwd:acc-1', `addr:${Math.floor(T0 / 3600)}:192.0.2.1`].map((key) => stores.attempts.get(key)));
    expect(await commits(() => verifyPassword({ username: 'alice', password: 'correct horse' }, deps))).toEqual([1, 'throttled']);
    expect(await Promise.all(['pwd:acc-1', 'guesses:pwd:acc-1', `addr:${Math.floor(T0 / 3600)}:192.0.2.1`].map((key) => stores.attempts.get(key)))).toEqual(counters);
  });
});
