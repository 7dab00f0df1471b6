// The behaviour every Stores implementation must have, registered as vitest suites.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthEvent } from '../../policy/types.ts';
import type { AccountRecord, AuditEvent, AuditQuery, AuthenticatorRecord, RecoverySecretKind, RecoverySecretRecord, Stores } from '../../adapters/types.ts';
import { CHAIN_VERSION, GENESIS_HASH, chainHash } from '../../adapters/audit-chain.ts';
import { attemptOp } from '../../adapters/attempt-work.ts';
import type { AttemptWork } from '../../adapters/types.ts';
import { releaseAll } from '../../authenticators/address-limiter.ts';
import { DEFAULT_LIMITER_POLICY, attemptKeys } from '../../authenticators/attempt-limiter.ts';
import { reserveGuess } from '../../authenticators/guess.ts';

/** The contract drives expiry with this clock (epoch seconds) instead of sleeping. */
export interface ContractClock {
  now: () => number;
}

/**
 * The contract's clock starts a day ahead of the wall clock: a store may also delete expired documents in the
 * background on the wall clock (MongoDB's TTL monitor, every 60 s), which must never remove a document that the
 * contract's clock still considers live.
 */
const T0 = Math.floor(Date.now() / 1000) + 24 * 3600;

function account(id: string, username = id): AccountRecord {
  return { id, username, passwordHash: `hash-of-${id}`, createdAt: T0 };
}

function totp(id: string, accountId: string): AuthenticatorRecord {
  return { id, accountId, kind: 'totp', label: `TOTP ${id}`, data: { secret: { iv: 'aa', ct: 'bb' } }, createdAt: T0 };
}

function passkey(id: string, accountId: string, credentialId: string, signCount: number): AuthenticatorRecord {
  return { id, accountId, kind: 'passkey', label: `Passkey ${id}`, data: { publicKey: 'pQECAyYgASFY' }, createdAt: T0, credentialId, signCount };
}

function event(id: string, at: number, accountId = 'acc-1'): AuthEvent {
  return { id, accountId, factor: 'otp', amr: ['otp', 'mfa'], at, authenticatorId: 'auth-1' };
}

/** Audit events of three kinds: a passkey's unlock (with a nested object), an operator's enable, and a step-up decision that may have no account. */
function unlock(at: number, accountId: string): AuditEvent {
  const reason = 'passkey sign-in cleared 2 failed password, 1 failed code and 0 failed recovery-code attempts';
  return { at, type: 'account.unlock', outcome: 'success', accountId, factor: 'passkey', cleared: { pwd: 2, otp: 1, recovery: 0 }, reason };
}

function enable(at: number, accountId: string): AuditEvent {
  return { at, type: 'account.enable', outcome: 'success', accountId, operator: 'carol', reason: 'rehired' };
}

function stepUp(at: number, clientId?: string): AuditEvent {
  return { at, type: 'policy.decision', decision: 'step_up', outcome: 'info', ...(clientId && { clientId }), requestedAcr: ['aal2'], reason: 'step_up: aal2 requested', factors: ['otp'] };
}

function secret(hash: string, accountId: string, kind: RecoverySecretKind, setId: string, expiresAt?: number): RecoverySecretRecord {
  return { hash, accountId, kind, setId, createdAt: T0, ...(expiresAt !== undefined && { expiresAt }) };
}

function codes(accountId: string, setId: string, hashes: string[]): RecoverySecretRecord[] {
  return hashes.map((hash) => secret(hash, accountId, 'code', setId));
}

/** An oidc-provider 9 Session payload, signed in to the given clients. */
function session(uid: string, accountId: string | undefined, loginTs: number, clients: Record<string, { sid: string; grantId: string }> = {}) {
  return { jti: `jti-${uid}`, uid, kind: 'Session', ...(accountId && { accountId }), loginTs, iat: loginTs, exp: loginTs + 3600, acr: 'aal1', amr: ['pwd'], authorizations: clients };
}

async function rejectsWithCode(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'StoreError', code });
}

/**
 * What a store's engine cannot do, each with the reason: the tests that need it are skipped with that reason in their
 * name. Only for a gap of the server itself, never for a fault of the adapter.
 */
export interface EngineLimits {
  /** Two concurrent updates of different fields of one document may lose one of them. */
  lostConcurrentUpdates?: string;
}

/** Registers `title`, or skips it naming the limit that makes it impossible on this engine. */
function itUnless(limit: string | undefined, title: string, test: () => Promise<void>): void {
  if (limit) it.skip(`${title} (skipped: ${limit})`, test);
  else it(title, test);
}

export function describeStoresContract(name: string, open: (clock: ContractClock) => Promise<Stores>, limits: EngineLimits = {}): void {
  describe(`${name} stores contract`, () => {
    let stores: Stores;
    let clock: number;

    beforeEach(async () => {
      clock = T0;
      stores = await open({ now: () => clock });
    });

    afterEach(async () => {
      await stores.close();
    });

    describe('accounts', () => {
      it('finds an account by id and by username in any case, keeping its spelling', async () => {
        await stores.accounts.create(account('acc-1', 'Alice'));
        expect(await stores.accounts.findById('acc-1')).toEqual(account('acc-1', 'Alice'));
        expect(await stores.accounts.findByUsername('alice')).toEqual(account('acc-1', 'Alice'));
        expect(await stores.accounts.findByUsername('ALICE')).toEqual(account('acc-1', 'Alice'));
        expect(await stores.accounts.findById('nobody')).toBeUndefined();
        expect(await stores.accounts.findByUsername('bob')).toBeUndefined();
      });

      it('rejects a username that differs only by case, and a duplicate id', async () => {
        await stores.accounts.create(account('acc-1', 'Alice'));
        await rejectsWithCode(stores.accounts.create(account('acc-2', 'aLiCe')), 'conflict');
        await rejectsWithCode(stores.accounts.create(account('acc-1', 'someone-else')), 'conflict');
        expect(await stores.accounts.list()).toHaveLength(1);
      });

      it('lists every account', async () => {
        await stores.accounts.create(account('acc-1', 'alice'));
        await stores.accounts.create(account('acc-2', 'bob'));
        const ids = (await stores.accounts.list()).map((a) => a.id).sort();
        expect(ids).toEqual(['acc-1', 'acc-2']);
      });

      it('replaces the password hash, and fails for an unknown account', async () => {
        await stores.accounts.create(account('acc-1'));
        await stores.accounts.setPasswordHash('acc-1', 'new-hash');
        expect((await stores.accounts.findById('acc-1'))?.passwordHash).toBe('new-hash');
        await rejectsWithCode(stores.accounts.setPasswordHash('nobody', 'x'), 'not_found');
      });
    });

    describe('account lifecycle', () => {
      beforeEach(async () => {
        await stores.accounts.create(account('acc-1', 'alice'));
        await stores.accounts.create(account('acc-2', 'bob'));
      });

      itUnless(limits.lostConcurrentUpdates, 'keeps both of two concurrent changes to one account: a disable and a new password', async () => {
        for (let round = 0; round < 10; round += 1) {
          await Promise.all([stores.accounts.setDisabled('acc-1', T0 + round), stores.accounts.setPasswordHash('acc-1', `hash-${round}`)]);
          expect(await stores.accounts.findById('acc-1')).toMatchObject({ disabledAt: T0 + round, passwordHash: `hash-${round}` });
        }
      });

      it('disables an account with the time, enables it again, and reports an unknown account', async () => {
        expect(await stores.accounts.setDisabled('acc-1', T0 + 5)).toBe(true);
        expect(await stores.accounts.findById('acc-1')).toEqual({ ...account('acc-1', 'alice'), disabledAt: T0 + 5 });
        expect(await stores.accounts.findByUsername('ALICE')).toMatchObject({ disabledAt: T0 + 5 });
        expect((await stores.accounts.list()).map((a) => a.disabledAt)).toEqual([T0 + 5, undefined]);
        expect(await stores.accounts.setDisabled('acc-1', undefined)).toBe(true);
        expect(await stores.accounts.findById('acc-1')).toEqual(account('acc-1', 'alice'));
        expect(await stores.accounts.setDisabled('nobody', T0)).toBe(false);
      });

      it('removes an account with its authenticators and recovery secrets, keeping its audit events and other accounts', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        await stores.authenticators.add(passkey('pk-1', 'acc-1', 'cred-A', 0));
        await stores.authenticators.add(totp('auth-2', 'acc-2'));
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1', 'h2']));
        await stores.recoverySecrets.replace('acc-1', 'link', [secret('l1', 'acc-1', 'link', 'link-1', T0 + 600)]);
        await stores.recoverySecrets.replace('acc-2', 'code', codes('acc-2', 'set-2', ['h3']));
        await stores.audit.append(unlock(T0 * 1000, 'acc-1'));

        expect(await stores.accounts.remove('acc-1')).toBe(true);
        expect(await stores.accounts.findById('acc-1')).toBeUndefined();
        expect(await stores.accounts.findByUsername('alice')).toBeUndefined();
        expect(await stores.authenticators.listByAccount('acc-1')).toEqual([]);
        expect(await stores.authenticators.findByCredentialId('cred-A')).toBeUndefined();
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h1', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('link', 'l1', T0)).toBeUndefined();
        expect(await stores.audit.list({ accountId: 'acc-1', limit: 10 })).toHaveLength(1);
        expect(await stores.accounts.remove('acc-1')).toBe(false);

        expect(await stores.accounts.findById('acc-2')).toEqual(account('acc-2', 'bob'));
        expect((await stores.authenticators.listByAccount('acc-2')).map((a) => a.id)).toEqual(['auth-2']);
        expect(await stores.recoverySecrets.consume('code', 'h3', T0)).toBe('acc-2');
      });

      it('frees the username and refuses new authenticators and secrets for a removed account', async () => {
        await stores.accounts.remove('acc-1');
        await rejectsWithCode(stores.authenticators.add(totp('auth-1', 'acc-1')), 'not_found');
        await rejectsWithCode(stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1'])), 'not_found');
        await stores.accounts.create(account('acc-3', 'Alice'));
        expect(await stores.accounts.findByUsername('alice')).toMatchObject({ id: 'acc-3' });
      });
    });

    describe('authenticators', () => {
      beforeEach(async () => {
        await stores.accounts.create(account('acc-1'));
        await stores.accounts.create(account('acc-2'));
      });

      it('adds and gets an authenticator with its data', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        expect(await stores.authenticators.get('auth-1')).toEqual(totp('auth-1', 'acc-1'));
        expect(await stores.authenticators.get('missing')).toBeUndefined();
      });

      it('rejects a duplicate id and an unknown account', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        await rejectsWithCode(stores.authenticators.add(totp('auth-1', 'acc-2')), 'conflict');
        await rejectsWithCode(stores.authenticators.add(totp('auth-2', 'nobody')), 'not_found');
      });

      it("lists only the account's authenticators", async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        await stores.authenticators.add(totp('auth-2', 'acc-2'));
        await stores.authenticators.add({ ...totp('auth-3', 'acc-1'), kind: 'passkey' });
        const ids = (await stores.authenticators.listByAccount('acc-1')).map((a) => a.id).sort();
        expect(ids).toEqual(['auth-1', 'auth-3']);
        expect(await stores.authenticators.listByAccount('nobody')).toEqual([]);
      });

      it('renames and removes only for the owning account', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        expect(await stores.authenticators.rename('auth-1', 'acc-2', 'stolen')).toBe(false);
        expect(await stores.authenticators.remove('auth-1', 'acc-2')).toBe(false);
        expect((await stores.authenticators.get('auth-1'))?.label).toBe('TOTP auth-1');

        expect(await stores.authenticators.rename('auth-1', 'acc-1', 'Phone')).toBe(true);
        expect((await stores.authenticators.get('auth-1'))?.label).toBe('Phone');
        expect(await stores.authenticators.remove('auth-1', 'acc-1')).toBe(true);
        expect(await stores.authenticators.get('auth-1')).toBeUndefined();
        expect(await stores.authenticators.remove('auth-1', 'acc-1')).toBe(false);
      });

      it('accepts each TOTP step once and never a step lower than the last one', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        expect(await stores.authenticators.consumeTotpStep('auth-1', 100, T0)).toBe(true);
        expect(await stores.authenticators.consumeTotpStep('auth-1', 100, T0 + 1)).toBe(false);
        expect(await stores.authenticators.consumeTotpStep('auth-1', 99, T0 + 2)).toBe(false);
        expect(await stores.authenticators.consumeTotpStep('auth-1', 101, T0 + 30)).toBe(true);
        expect(await stores.authenticators.get('auth-1')).toMatchObject({ lastUsedStep: 101, lastUsedAt: T0 + 30 });
        expect(await stores.authenticators.consumeTotpStep('missing', 1, T0)).toBe(false);
      });

      it('finds a passkey by credential id and keeps credential ids unique across accounts', async () => {
        await stores.authenticators.add(passkey('pk-1', 'acc-1', 'cred-A', 5));
        expect(await stores.authenticators.findByCredentialId('cred-A')).toMatchObject({ id: 'pk-1', accountId: 'acc-1', kind: 'passkey', credentialId: 'cred-A', signCount: 5 });
        expect(await stores.authenticators.findByCredentialId('cred-missing')).toBeUndefined();
        await expect(stores.authenticators.add(passkey('pk-2', 'acc-2', 'cred-A', 0))).rejects.toMatchObject({ code: 'conflict' });
      });

      it('moves a passkey signature counter only forward, and lets counter-less authenticators stay at 0', async () => {
        await stores.authenticators.add(passkey('pk-1', 'acc-1', 'cred-A', 5));
        expect(await stores.authenticators.advanceSignCount('pk-1', 5, T0)).toBe(false);
        expect(await stores.authenticators.advanceSignCount('pk-1', 4, T0)).toBe(false);
        expect(await stores.authenticators.advanceSignCount('pk-1', 6, T0 + 1)).toBe(true);
        expect(await stores.authenticators.get('pk-1')).toMatchObject({ signCount: 6, lastUsedAt: T0 + 1 });
        expect(await stores.authenticators.advanceSignCount('pk-1', 0, T0 + 2)).toBe(false);
        await stores.authenticators.add(passkey('pk-0', 'acc-1', 'cred-Z', 0));
        expect(await stores.authenticators.advanceSignCount('pk-0', 0, T0)).toBe(true);
        expect(await stores.authenticators.advanceSignCount('pk-0', 0, T0 + 1)).toBe(true);
        const raced = await Promise.all(Array.from({ length: 10 }, () => stores.authenticators.advanceSignCount('pk-1', 7, T0 + 3)));
        expect(raced.filter(Boolean)).toHaveLength(1);
      });

      it('accepts a step exactly once when it is submitted concurrently', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        const results = await Promise.all(Array.from({ length: 10 }, () => stores.authenticators.consumeTotpStep('auth-1', 200, T0)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });

      it('keeps a cool-off through every lookup, and none when it was enrolled without one', async () => {
        const coolOff = { until: T0 + 7 * 86400, cap: 'aal1', origin: 'recovery' as const };
        await stores.authenticators.add({ ...passkey('pk-1', 'acc-1', 'cred-A', 0), coolOff });
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        expect(await stores.authenticators.get('pk-1')).toEqual({ ...passkey('pk-1', 'acc-1', 'cred-A', 0), coolOff });
        expect(await stores.authenticators.findByCredentialId('cred-A')).toMatchObject({ coolOff });
        expect((await stores.authenticators.listByAccount('acc-1')).map((a) => a.coolOff)).toEqual([coolOff, undefined]);
        expect(await stores.authenticators.get('auth-1')).toEqual(totp('auth-1', 'acc-1'));
      });

      it('removes every authenticator of one account, counting them', async () => {
        await stores.authenticators.add(totp('auth-1', 'acc-1'));
        await stores.authenticators.add(passkey('pk-1', 'acc-1', 'cred-A', 0));
        await stores.authenticators.add(totp('auth-2', 'acc-2'));
        expect(await stores.authenticators.removeAllForAccount('acc-1')).toBe(2);
        expect(await stores.authenticators.listByAccount('acc-1')).toEqual([]);
        expect(await stores.authenticators.findByCredentialId('cred-A')).toBeUndefined();
        expect((await stores.authenticators.listByAccount('acc-2')).map((a) => a.id)).toEqual(['auth-2']);
        expect(await stores.authenticators.removeAllForAccount('acc-1')).toBe(0);
        await stores.authenticators.add(passkey('pk-2', 'acc-1', 'cred-A', 0));
      });
    });

    describe('recovery secrets', () => {
      beforeEach(async () => {
        await stores.accounts.create(account('acc-1'));
        await stores.accounts.create(account('acc-2'));
      });

      it('uses a code once, and only for the account it is restricted to', async () => {
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1', 'h2']));
        expect(await stores.recoverySecrets.consume('code', 'h1', T0 + 1, 'acc-2')).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h1', T0 + 1, 'acc-1')).toBe('acc-1');
        expect(await stores.recoverySecrets.consume('code', 'h1', T0 + 2, 'acc-1')).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h1', T0 + 2)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h2', T0 + 3)).toBe('acc-1');
        expect(await stores.recoverySecrets.consume('link', 'h2', T0 + 3)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'unknown', T0)).toBeUndefined();
      });

      it('lets exactly one of concurrent uses of a secret win', async () => {
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1', 'h2']));
        const results = await Promise.all(Array.from({ length: 10 }, () => stores.recoverySecrets.consume('code', 'h1', T0)));
        expect(results.filter((r) => r !== undefined)).toEqual(['acc-1']);
        await stores.recoverySecrets.replace('acc-1', 'link', [secret('l1', 'acc-1', 'link', 'link-1', T0 + 600)]);
        const links = await Promise.all(Array.from({ length: 10 }, () => stores.recoverySecrets.consume('link', 'l1', T0, 'acc-1')));
        expect(links.filter((r) => r !== undefined)).toEqual(['acc-1']);
      });

      it('replaces the previous set of the same kind: its secrets no longer work, those of the other kind still do', async () => {
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1', 'h2']));
        await stores.recoverySecrets.replace('acc-1', 'link', [secret('l1', 'acc-1', 'link', 'link-1', T0 + 600)]);
        await stores.recoverySecrets.replace('acc-2', 'code', codes('acc-2', 'set-9', ['h9']));
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-2', ['h3', 'h4', 'h5']));
        expect(await stores.recoverySecrets.consume('code', 'h1', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h3', T0)).toBe('acc-1');
        expect(await stores.recoverySecrets.consume('link', 'l1', T0)).toBe('acc-1');
        expect(await stores.recoverySecrets.consume('code', 'h9', T0)).toBe('acc-2');
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0)).toEqual({ setId: 'set-2', createdAt: T0, total: 3, remaining: 2, lastUsedAt: T0 });
      });

      it('refuses a link at its expiry and after', async () => {
        await stores.recoverySecrets.replace('acc-1', 'link', [secret('l1', 'acc-1', 'link', 'link-1', T0 + 600), secret('l2', 'acc-1', 'link', 'link-1', T0 + 600)]);
        expect(await stores.recoverySecrets.consume('link', 'l1', T0 + 600)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('link', 'l1', T0 + 601)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('link', 'l2', T0 + 599)).toBe('acc-1');
      });

      it('summarizes the current set: total, and remaining unused and unexpired', async () => {
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0)).toBeUndefined();
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1', 'h2', 'h3']));
        await stores.recoverySecrets.consume('code', 'h2', T0 + 1);
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0 + 2)).toEqual({ setId: 'set-1', createdAt: T0, total: 3, remaining: 2, lastUsedAt: T0 + 1 });
        await stores.recoverySecrets.consume('code', 'h3', T0 + 5);
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0 + 6)).toMatchObject({ remaining: 1, lastUsedAt: T0 + 5 });
        expect(await stores.recoverySecrets.summary('acc-1', 'link', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.summary('acc-2', 'code', T0)).toBeUndefined();

        await stores.recoverySecrets.replace('acc-1', 'link', [secret('l1', 'acc-1', 'link', 'link-1', T0 + 600)]);
        expect(await stores.recoverySecrets.summary('acc-1', 'link', T0 + 599)).toEqual({ setId: 'link-1', createdAt: T0, total: 1, remaining: 1 });
        expect(await stores.recoverySecrets.summary('acc-1', 'link', T0 + 600)).toEqual({ setId: 'link-1', createdAt: T0, total: 1, remaining: 0 });
      });

      it('keeps a hash unique within its kind', async () => {
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1']));
        await rejectsWithCode(stores.recoverySecrets.replace('acc-2', 'code', codes('acc-2', 'set-2', ['h1'])), 'conflict');
        await stores.recoverySecrets.replace('acc-2', 'link', [secret('h1', 'acc-2', 'link', 'link-2', T0 + 600)]);
        expect(await stores.recoverySecrets.consume('code', 'h1', T0)).toBe('acc-1');
        expect(await stores.recoverySecrets.consume('link', 'h1', T0)).toBe('acc-2');
      });

      it('removes the secrets of one kind, or of every kind', async () => {
        await stores.recoverySecrets.replace('acc-1', 'code', codes('acc-1', 'set-1', ['h1']));
        await stores.recoverySecrets.replace('acc-1', 'link', [secret('l1', 'acc-1', 'link', 'link-1', T0 + 600)]);
        await stores.recoverySecrets.replace('acc-2', 'code', codes('acc-2', 'set-2', ['h2']));
        await stores.recoverySecrets.removeAll('acc-1', 'link');
        expect(await stores.recoverySecrets.summary('acc-1', 'link', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0)).toMatchObject({ total: 1 });
        await stores.recoverySecrets.removeAll('acc-1');
        expect(await stores.recoverySecrets.summary('acc-1', 'code', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h1', T0)).toBeUndefined();
        expect(await stores.recoverySecrets.consume('code', 'h2', T0)).toBe('acc-2');
      });
    });

    describe('sessions by account', () => {
      const a1 = { 'rp-1': { sid: 'sid-a1', grantId: 'g-a1' }, 'rp-2': { sid: 'sid-a2', grantId: 'g-a2' } };

      /** acc-1: sessions uid-a (kept below), uid-b and the short-lived uid-s; acc-2: uid-c; and a session nobody signed in to. */
      beforeEach(async () => {
        const sessions = new stores.OidcAdapter('Session');
        await sessions.upsert('sess-a', session('uid-a', 'acc-1', T0 - 100, a1), 3600);
        await sessions.upsert('sess-b', session('uid-b', 'acc-1', T0 - 200, { 'rp-1': { sid: 'sid-b1', grantId: 'g-b1' } }), 7200);
        await sessions.upsert('sess-s', session('uid-s', 'acc-1', T0 - 50), 60);
        await sessions.upsert('sess-c', session('uid-c', 'acc-2', T0 - 10, { 'rp-1': { sid: 'sid-c1', grantId: 'g-c1' } }), 3600);
        await sessions.upsert('sess-anon', session('uid-anon', undefined, T0), 3600);

        const grants = new stores.OidcAdapter('Grant');
        for (const [id, accountId] of [
          ['g-a1', 'acc-1'],
          ['g-a2', 'acc-1'],
          ['g-b1', 'acc-1'],
          ['g-c1', 'acc-2'],
        ] as const) {
          await grants.upsert(id, { jti: id, kind: 'Grant', accountId, clientId: 'rp-1', openid: { scope: 'openid' } }, 86400);
        }
        const tokens = { AccessToken: ['at-a1', 'at-b1'], RefreshToken: ['rt-a1'], AuthorizationCode: ['code-b1'] };
        for (const [model, ids] of Object.entries(tokens)) {
          const adapter = new stores.OidcAdapter(model);
          for (const id of ids) await adapter.upsert(id, { jti: id, kind: model, accountId: 'acc-1', grantId: `g-${id.slice(-2)}`, clientId: 'rp-1' }, 600);
        }
        await new stores.OidcAdapter('AccessToken').upsert('at-c1', { jti: 'at-c1', kind: 'AccessToken', accountId: 'acc-2', grantId: 'g-c1' }, 600);
        await new stores.OidcAdapter('RefreshToken').upsert('rt-c1', { jti: 'rt-c1', kind: 'RefreshToken', accountId: 'acc-2', grantId: 'g-c1' }, 600);

        const interactions = new stores.OidcAdapter('Interaction');
        await interactions.upsert('int-a', { jti: 'int-a', kind: 'Interaction', session: { accountId: 'acc-1', uid: 'uid-a', cookie: 'sess-a' } }, 600);
        await interactions.upsert('int-b', { jti: 'int-b', kind: 'Interaction', session: { accountId: 'acc-1', uid: 'uid-b', cookie: 'sess-b' } }, 600);
        await interactions.upsert('int-c', { jti: 'int-c', kind: 'Interaction', session: { accountId: 'acc-2', uid: 'uid-c', cookie: 'sess-c' } }, 600);
        await interactions.upsert('int-new', { jti: 'int-new', kind: 'Interaction', params: { client_id: 'rp-1' } }, 600);

        await stores.events.append('uid-a', [event('e-a', T0)], T0 + 3600);
        await stores.events.append('uid-b', [event('e-b', T0)], T0 + 3600);
        await stores.events.append('uid-c', [event('e-c', T0, 'acc-2')], T0 + 3600);
      });

      it("lists the account's live sessions with the clients they signed in to", async () => {
        expect(await stores.sessions.list('acc-1', T0)).toEqual([
          { uid: 'uid-b', accountId: 'acc-1', loginTs: T0 - 200, expiresAt: T0 + 7200, clients: [{ clientId: 'rp-1', sid: 'sid-b1', grantId: 'g-b1' }] },
          {
            uid: 'uid-a',
            accountId: 'acc-1',
            loginTs: T0 - 100,
            expiresAt: T0 + 3600,
            clients: [
              { clientId: 'rp-1', sid: 'sid-a1', grantId: 'g-a1' },
              { clientId: 'rp-2', sid: 'sid-a2', grantId: 'g-a2' },
            ],
          },
          { uid: 'uid-s', accountId: 'acc-1', loginTs: T0 - 50, expiresAt: T0 + 60, clients: [] },
        ]);
        expect((await stores.sessions.list('acc-1', T0 + 60)).map((s) => s.uid)).toEqual(['uid-b', 'uid-a']);
        expect((await stores.sessions.list('acc-2', T0)).map((s) => s.uid)).toEqual(['uid-c']);
        expect(await stores.sessions.list('nobody', T0)).toEqual([]);
      });

      it('finds a session again by account after it is saved again, and not after it is destroyed', async () => {
        const sessions = new stores.OidcAdapter('Session');
        await sessions.upsert('sess-c', session('uid-c', 'acc-1', T0), 3600);
        expect(await stores.sessions.list('acc-2', T0)).toEqual([]);
        expect((await stores.sessions.list('acc-1', T0)).map((s) => s.uid)).toContain('uid-c');
        await sessions.destroy('sess-c');
        expect((await stores.sessions.list('acc-1', T0)).map((s) => s.uid)).not.toContain('uid-c');
      });

      it('revokes every other session of the account with their proofs, and every grant, token and code, and nothing of another account', async () => {
        expect(await stores.sessions.revoke('acc-1', { keepSessionUid: 'uid-a' })).toEqual({ sessions: 2, grants: 3, tokens: 4 });

        expect((await stores.sessions.list('acc-1', T0)).map((s) => s.uid)).toEqual(['uid-a']);
        const sessions = new stores.OidcAdapter('Session');
        expect(await sessions.find('sess-a')).toMatchObject({ uid: 'uid-a' });
        expect(await sessions.find('sess-b')).toBeUndefined();
        expect(await sessions.findByUid('uid-s')).toBeUndefined();
        for (const [model, id] of [
          ['Grant', 'g-a1'],
          ['Grant', 'g-b1'],
          ['AccessToken', 'at-a1'],
          ['AccessToken', 'at-b1'],
          ['RefreshToken', 'rt-a1'],
          ['AuthorizationCode', 'code-b1'],
          ['Interaction', 'int-b'],
        ] as const) {
          expect(await new stores.OidcAdapter(model).find(id), `${model} ${id}`).toBeUndefined();
        }
        expect(await new stores.OidcAdapter('Interaction').find('int-a')).toMatchObject({ session: { uid: 'uid-a' } });
        expect(await new stores.OidcAdapter('Interaction').find('int-new')).toMatchObject({ jti: 'int-new' });
        expect((await stores.events.listBySession('uid-a', T0)).map((e) => e.id)).toEqual(['e-a']);
        expect(await stores.events.listBySession('uid-b', T0)).toEqual([]);

        expect((await stores.sessions.list('acc-2', T0)).map((s) => s.uid)).toEqual(['uid-c']);
        expect(await new stores.OidcAdapter('Grant').find('g-c1')).toMatchObject({ accountId: 'acc-2' });
        expect(await new stores.OidcAdapter('AccessToken').find('at-c1')).toMatchObject({ accountId: 'acc-2' });
        expect(await new stores.OidcAdapter('RefreshToken').find('rt-c1')).toMatchObject({ accountId: 'acc-2' });
        expect(await new stores.OidcAdapter('Interaction').find('int-c')).toMatchObject({ jti: 'int-c' });
        expect(await new stores.OidcAdapter('Session').find('sess-anon')).toMatchObject({ uid: 'uid-anon' });
        expect((await stores.events.listBySession('uid-c', T0)).map((e) => e.id)).toEqual(['e-c']);
      });

      it('revokes every session without one to keep, with the proofs of the account under any session', async () => {
        await stores.events.append('uid-pending', [event('e-p', T0)], T0 + 3600);
        expect(await stores.sessions.revoke('acc-1')).toEqual({ sessions: 3, grants: 3, tokens: 4 });
        expect(await stores.sessions.list('acc-1', T0)).toEqual([]);
        expect(await new stores.OidcAdapter('Interaction').find('int-a')).toBeUndefined();
        expect(await stores.events.listBySession('uid-a', T0)).toEqual([]);
        expect(await stores.events.listBySession('uid-pending', T0)).toEqual([]);
        expect((await stores.sessions.list('acc-2', T0)).map((s) => s.uid)).toEqual(['uid-c']);
        expect(await stores.sessions.revoke('acc-1')).toEqual({ sessions: 0, grants: 0, tokens: 0 });
      });
    });

    describe('auth events', () => {
      it("lists a session's events oldest first, ties in insertion order", async () => {
        await stores.events.append('s1', [event('e2', T0 + 10), event('e1', T0)], T0 + 3600);
        await stores.events.append('s1', [event('e3', T0 + 10)], T0 + 3600);
        const ids = (await stores.events.listBySession('s1', T0)).map((e) => e.id);
        expect(ids).toEqual(['e1', 'e2', 'e3']);
        expect((await stores.events.listBySession('s1', T0))[0]).toEqual(event('e1', T0));
      });

      it('ignores an event appended again', async () => {
        await stores.events.append('s1', [event('e1', T0)], T0 + 3600);
        await stores.events.append('s1', [event('e1', T0 + 5), event('e2', T0 + 5)], T0 + 3600);
        const events = await stores.events.listBySession('s1', T0);
        expect(events.map((e) => [e.id, e.at])).toEqual([
          ['e1', T0],
          ['e2', T0 + 5],
        ]);
      });

      it('does not list expired events', async () => {
        await stores.events.append('s1', [event('short', T0)], T0 + 60);
        await stores.events.append('s1', [event('long', T0)], T0 + 3600);
        expect((await stores.events.listBySession('s1', T0 + 59)).map((e) => e.id)).toEqual(['short', 'long']);
        expect((await stores.events.listBySession('s1', T0 + 60)).map((e) => e.id)).toEqual(['long']);
        expect(await stores.events.listBySession('s1', T0 + 3600)).toEqual([]);
      });

      it('keeps sessions apart', async () => {
        await stores.events.append('s1', [event('e1', T0)], T0 + 3600);
        await stores.events.append('s2', [event('e1', T0, 'acc-2'), event('e2', T0)], T0 + 3600);
        expect(await stores.events.listBySession('s1', T0)).toEqual([event('e1', T0)]);
        expect((await stores.events.listBySession('s2', T0)).map((e) => e.accountId)).toEqual(['acc-2', 'acc-1']);
        expect(await stores.events.listBySession('s3', T0)).toEqual([]);
      });

      it('keeps an event without an authenticator id', async () => {
        const password: AuthEvent = { id: 'p1', accountId: 'acc-1', factor: 'pwd', amr: ['pwd'], at: T0 };
        await stores.events.append('s1', [password], T0 + 60);
        expect(await stores.events.listBySession('s1', T0)).toEqual([password]);
      });
    });

    describe('attempts', () => {
      it('counts consecutive failures until reset', async () => {
        expect(await stores.attempts.get('login:alice')).toBeUndefined();
        expect(await stores.attempts.recordFailure('login:alice', T0)).toEqual({ failures: 1, lastFailureAt: T0 });
        expect(await stores.attempts.recordFailure('login:alice', T0 + 5)).toEqual({ failures: 2, lastFailureAt: T0 + 5 });
        expect(await stores.attempts.get('login:alice')).toEqual({ failures: 2, lastFailureAt: T0 + 5 });
        expect(await stores.attempts.get('login:bob')).toBeUndefined();
        await stores.attempts.reset('login:alice');
        expect(await stores.attempts.get('login:alice')).toBeUndefined();
        expect(await stores.attempts.recordFailure('login:alice', T0 + 9)).toEqual({ failures: 1, lastFailureAt: T0 + 9 });
      });

      it('counts every concurrent failure', async () => {
        const states = await Promise.all(Array.from({ length: 20 }, () => stores.attempts.recordFailure('otp:acc-1', T0)));
        expect(states.map((s) => s.failures).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect((await stores.attempts.get('otp:acc-1'))?.failures).toBe(20);
      });

      it('takes one back on release, never below zero, keeping the time of the last failure', async () => {
        await stores.attempts.recordFailure('addr:1:192.0.2.1', T0);
        await stores.attempts.recordFailure('addr:1:192.0.2.1', T0 + 3);
        await stores.attempts.release('addr:1:192.0.2.1');
        expect(await stores.attempts.get('addr:1:192.0.2.1')).toEqual({ failures: 1, lastFailureAt: T0 + 3 });
        await stores.attempts.release('addr:1:192.0.2.1');
        await stores.attempts.release('addr:1:192.0.2.1');
        expect(await stores.attempts.get('addr:1:192.0.2.1')).toEqual({ failures: 0, lastFailureAt: T0 + 3 });
        await stores.attempts.release('addr:absent');
        expect(await stores.attempts.get('addr:absent')).toBeUndefined();
      });

      it('applies concurrent reservations and releases exactly', async () => {
        await Promise.all(Array.from({ length: 10 }, () => stores.attempts.recordFailure('addr:2:x', T0)));
        await Promise.all([...Array.from({ length: 6 }, () => stores.attempts.release('addr:2:x')), ...Array.from({ length: 3 }, () => stores.attempts.recordFailure('addr:2:x', T0))]);
        expect((await stores.attempts.get('addr:2:x'))?.failures).toBe(7);
      });

      it('runs work as one call: each list applied in order, its results handed back, the outcome returned', async () => {
        await stores.attempts.recordFailure('pwd:acc-1', T0);
        const seen: unknown[] = [];
        const outcome = await stores.attempts.transact(
          (function* (): AttemptWork<string> {
            seen.push(yield [attemptOp.get('pwd:acc-1'), attemptOp.get('pwd:absent')]);
            seen.push(yield [attemptOp.recordFailure('pwd:acc-1', T0 + 2), attemptOp.recordFailure('addr:3:x', T0 + 2, T0 + 7200), attemptOp.reset('otp:acc-1')]);
            seen.push(yield [attemptOp.release('addr:3:x'), attemptOp.reset('pwd:acc-1')]);
            return 'done';
          })(),
        );
        expect(outcome).toBe('done');
        expect(seen).toEqual([
          [{ failures: 1, lastFailureAt: T0 }, undefined],
          [{ failures: 2, lastFailureAt: T0 + 2 }, { failures: 1, lastFailureAt: T0 + 2 }, undefined],
          [undefined, undefined],
        ]);
        expect(await stores.attempts.get('pwd:acc-1')).toBeUndefined();
        expect(await stores.attempts.get('addr:3:x')).toEqual({ failures: 0, lastFailureAt: T0 + 2 });
        // Nothing to hand back (a guess without an address limit): nothing to run.
        expect(await stores.attempts.transact(releaseAll([]))).toBeUndefined();
      });

      it('holds the limiters under 40 concurrent guesses: the free attempts + 1 reach the check, the address budget is never exceeded', async () => {
        const limits = {
          attempts: stores.attempts,
          limiterPolicy: DEFAULT_LIMITER_POLICY,
          clientAddress: [{ key: '192.0.2.9', scale: 1 }],
          addressLimit: { maxFailures: 4, windowSeconds: 3600 },
          now: T0,
        };
        const outcomes = await Promise.allSettled(Array.from({ length: 40 }, (_, i) => reserveGuess(attemptKeys.totp(`acc-${i % 2}`), limits)));
        const allowed = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
        expect(allowed).toBe(4);
        expect(outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => (outcome as PromiseRejectedResult).reason.code)).toEqual(Array(36).fill('throttled'));
        expect((await stores.attempts.get(`addr:${Math.floor(T0 / 3600)}:192.0.2.9`))?.failures).toBe(4);

        const alone = { ...limits, clientAddress: undefined };
        const burst = await Promise.allSettled(Array.from({ length: 30 }, () => reserveGuess(attemptKeys.totp('acc-3'), alone)));
        expect(burst.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(DEFAULT_LIMITER_POLICY.freeAttempts + 1);
      });
    });

    describe('audit', () => {
      const t = T0 * 1000;

      beforeEach(async () => {
        await stores.audit.append(unlock(t, 'acc-1'));
        await stores.audit.append(enable(t + 1, 'acc-1'));
        await stores.audit.append(unlock(t + 2, 'acc-2'));
        await stores.audit.append(stepUp(t + 3));
      });

      it('lists events newest first, as appended', async () => {
        const events = await stores.audit.list({ limit: 100 });
        expect(events.map((e) => e.at)).toEqual([t + 3, t + 2, t + 1, t]);
        expect(events[3]).toEqual(unlock(t, 'acc-1'));
      });

      it('filters by account and by type', async () => {
        expect((await stores.audit.list({ accountId: 'acc-1', limit: 100 })).map((e) => e.type)).toEqual(['account.enable', 'account.unlock']);
        expect((await stores.audit.list({ type: 'account.unlock', limit: 100 })).map((e) => e.accountId)).toEqual(['acc-2', 'acc-1']);
        expect((await stores.audit.list({ accountId: 'acc-1', type: 'account.unlock', limit: 100 })).map((e) => e.at)).toEqual([t]);
      });

      it('returns at most limit events, clamped to 1..1000', async () => {
        expect((await stores.audit.list({ limit: 2 })).map((e) => e.at)).toEqual([t + 3, t + 2]);
        expect(await stores.audit.list({ limit: 0 })).toHaveLength(1);
        expect(await stores.audit.list({ limit: -5 })).toHaveLength(1);
        expect(await stores.audit.list({ limit: 5000 })).toHaveLength(4);
      });

      it('chains every event: seq 1..n in order, each hash over the previous one, and the chain verifies', async () => {
        const chain = await stores.audit.readChain(0, 100);
        expect(chain.map((entry) => entry.seq)).toEqual([1, 2, 3, 4]);
        expect(chain.map((entry) => entry.v)).toEqual([CHAIN_VERSION, CHAIN_VERSION, CHAIN_VERSION, CHAIN_VERSION]);
        expect(chain.map((entry) => entry.event.at)).toEqual([t, t + 1, t + 2, t + 3]);
        expect(chain[0]!.event).toEqual(unlock(t, 'acc-1'));
        let prev = GENESIS_HASH;
        for (const entry of chain) {
          expect(entry.hash).toBe(chainHash(prev, entry.seq, entry.event, entry.v));
          prev = entry.hash;
        }
        expect(await stores.audit.readChain(2, 1)).toEqual([chain[2]]);
        expect(await stores.audit.verify()).toEqual({ ok: true, count: 4 });
      });

      it('hashes new events as an outside verifier recomputes them: SHA-256 of the previous hash and the RFC 8785 JSON of the exported line without its hash', async () => {
        let prev = '0'.repeat(64);
        for (const { seq, v, hash, event } of await stores.audit.readChain(0, 100)) {
          // A line of `stepup audit export`, as a SIEM receives it.
          const { hash: stated, ...line } = JSON.parse(JSON.stringify({ seq, v, ...event, hash })) as Record<string, unknown>;
          expect(line.v).toBe(2);
          expect(createHash('sha256').update(prev).update(canonicalize(line)!).digest('hex')).toBe(stated);
          prev = String(stated);
        }
      });

      it('keeps one valid chain with distinct seqs under 20 concurrent appends', async () => {
        await Promise.all(Array.from({ length: 20 }, (_, i) => stores.audit.append(stepUp(t + 10 + i, `rp-${i}`))));
        const chain = await stores.audit.readChain(0, 100);
        expect(chain.map((entry) => entry.seq)).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
        expect(new Set(chain.map((entry) => entry.event.clientId).filter(Boolean)).size).toBe(20);
        expect(await stores.audit.verify()).toEqual({ ok: true, count: 24 });
      });

      it('queries by account, client, outcome, type and time range, oldest first, with seq and hash', async () => {
        await stores.audit.append({
          at: t + 4,
          type: 'factor.verify',
          factor: 'otp',
          outcome: 'failure',
          accountId: 'acc-1',
          clientId: 'rp-1',
          refusal: 'invalid_credentials',
          reason: 'invalid_credentials',
        });
        await stores.audit.append({ at: t + 5, type: 'factor.verify', factor: 'otp', outcome: 'success', accountId: 'acc-1', clientId: 'rp-2' });
        const seqs = async (filter: Omit<AuditQuery, 'limit'>, limit = 100) => (await stores.audit.query({ ...filter, limit })).map((entry) => entry.seq);
        expect(await seqs({})).toEqual([1, 2, 3, 4, 5, 6]);
        expect(await seqs({ accountId: 'acc-1' })).toEqual([1, 2, 5, 6]);
        expect(await seqs({ clientId: 'rp-1' })).toEqual([5]);
        expect(await seqs({ outcome: 'failure' })).toEqual([5]);
        expect(await seqs({ type: 'factor.verify', outcome: 'success' })).toEqual([6]);
        expect(await seqs({ from: t + 1, to: t + 4 })).toEqual([2, 3, 4, 5]);
        expect(await seqs({ accountId: 'acc-1', from: t + 2 })).toEqual([5, 6]);
        expect(await seqs({}, 2)).toEqual([1, 2]);
        const [entry] = await stores.audit.query({ clientId: 'rp-2', limit: 10 });
        expect(entry).toEqual({
          seq: 6,
          v: CHAIN_VERSION,
          hash: expect.stringMatching(/^[0-9a-f]{64}$/),
          event: { at: t + 5, type: 'factor.verify', factor: 'otp', outcome: 'success', accountId: 'acc-1', clientId: 'rp-2' },
        });
      });
    });

    describe('an empty audit log', () => {
      it('verifies as an intact chain of no events', async () => {
        expect(await stores.audit.verify()).toEqual({ ok: true, count: 0 });
        expect(await stores.audit.readChain(0, 10)).toEqual([]);
      });
    });

    describe('clients', () => {
      const client = { client_id: 'rp-1', redirect_uris: ['https://rp.example/cb'], default_acr_values: ['aal2'] };

      it('upserts, gets, lists and removes client metadata', async () => {
        await stores.clients.upsert(client);
        await stores.clients.upsert({ client_id: 'rp-2', redirect_uris: [] });
        expect(await stores.clients.get('rp-1')).toEqual(client);
        await stores.clients.upsert({ ...client, default_acr_values: ['phr'] });
        expect((await stores.clients.get('rp-1'))?.default_acr_values).toEqual(['phr']);
        expect((await stores.clients.list()).map((c) => c.client_id).sort()).toEqual(['rp-1', 'rp-2']);
        expect(await stores.clients.remove('rp-1')).toBe(true);
        expect(await stores.clients.remove('rp-1')).toBe(false);
        expect(await stores.clients.get('rp-1')).toBeUndefined();
      });

      it("are what oidc-provider's Client model reads and writes", async () => {
        const adapter = new stores.OidcAdapter('Client');
        await stores.clients.upsert(client);
        expect(await adapter.find('rp-1')).toEqual(client);
        expect(await adapter.find('unknown')).toBeUndefined();

        await adapter.upsert('rp-3', { redirect_uris: ['https://three.example/cb'] });
        expect(await stores.clients.get('rp-3')).toEqual({ client_id: 'rp-3', redirect_uris: ['https://three.example/cb'] });
        await adapter.destroy('rp-3');
        expect(await stores.clients.get('rp-3')).toBeUndefined();
      });
    });

    describe('OIDC adapter', () => {
      it('stores payloads per model, as copies', async () => {
        const codes = new stores.OidcAdapter('AuthorizationCode');
        const tokens = new stores.OidcAdapter('AccessToken');
        const payload = { accountId: 'acc-1', grantId: 'g1', scope: 'openid' };
        await codes.upsert('x1', payload, 60);
        payload.scope = 'changed';
        expect(await codes.find('x1')).toEqual({ accountId: 'acc-1', grantId: 'g1', scope: 'openid' });
        expect(await tokens.find('x1')).toBeUndefined();
        await codes.upsert('x1', { accountId: 'acc-2' }, 60);
        expect(await codes.find('x1')).toEqual({ accountId: 'acc-2' });
      });

      it('finds a session by uid and a device code by user code', async () => {
        const sessions = new stores.OidcAdapter('Session');
        const devices = new stores.OidcAdapter('DeviceCode');
        await sessions.upsert('sess-1', { uid: 'uid-1', accountId: 'acc-1' }, 3600);
        await devices.upsert('dc-1', { userCode: 'ABCD-EFGH', grantId: 'g1' }, 600);
        expect(await sessions.findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'acc-1' });
        expect(await sessions.findByUid('uid-2')).toBeUndefined();
        expect(await devices.findByUserCode('ABCD-EFGH')).toEqual({ userCode: 'ABCD-EFGH', grantId: 'g1' });
        expect(await devices.findByUserCode('WXYZ-WXYZ')).toBeUndefined();
      });

      it('marks a model consumed with the time of its consumption', async () => {
        const codes = new stores.OidcAdapter('AuthorizationCode');
        await codes.upsert('c1', { grantId: 'g1' }, 60);
        await codes.consume('c1');
        expect(await codes.find('c1')).toEqual({ grantId: 'g1', consumed: T0 });
        const pushed = new stores.OidcAdapter('PushedAuthorizationRequest');
        await pushed.upsert('par-1', { params: { client_id: 'rp-1' } }, 60);
        await pushed.consume('par-1');
        expect(await pushed.find('par-1')).toEqual({ params: { client_id: 'rp-1' }, consumed: T0 });
      });

      it('refuses to consume a model twice, or one that is gone, with a conflict', async () => {
        const codes = new stores.OidcAdapter('AuthorizationCode');
        await codes.upsert('c1', { grantId: 'g1' }, 60);
        await codes.consume('c1');
        clock += 5;
        await rejectsWithCode(codes.consume('c1'), 'conflict');
        await rejectsWithCode(codes.consume('missing'), 'conflict');
        const pushed = new stores.OidcAdapter('PushedAuthorizationRequest');
        await pushed.upsert('par-1', { params: {} }, 60);
        await pushed.consume('par-1');
        await rejectsWithCode(pushed.consume('par-1'), 'conflict');
        expect(await pushed.find('par-1')).toEqual({ params: {}, consumed: T0 + 5 });
      });

      it('lets exactly one of concurrent consumptions of a code win, and revokes the grant for the others', async () => {
        const codes = new stores.OidcAdapter('AuthorizationCode');
        const tokens = new stores.OidcAdapter('AccessToken');
        const grants = new stores.OidcAdapter('Grant');
        await grants.upsert('g1', { accountId: 'acc-1' }, 600);
        await grants.upsert('g2', { accountId: 'acc-1' }, 600);
        await codes.upsert('c1', { grantId: 'g1' }, 60);
        await tokens.upsert('at-1', { grantId: 'g1' }, 60);
        await tokens.upsert('at-2', { grantId: 'g2' }, 60);
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => codes.consume('c1')));
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        for (const result of results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')) {
          expect(result.reason).toMatchObject({ name: 'StoreError', code: 'conflict' });
        }
        expect(await codes.find('c1')).toBeUndefined();
        expect(await tokens.find('at-1')).toBeUndefined();
        expect(await grants.find('g1')).toBeUndefined();
        expect(await tokens.find('at-2')).toEqual({ grantId: 'g2' });
        expect(await grants.find('g2')).toEqual({ accountId: 'acc-1' });
      });

      it('lets exactly one of concurrent rotations of a refresh token win', async () => {
        const refresh = new stores.OidcAdapter('RefreshToken');
        await refresh.upsert('rt-1', { grantId: 'g1' }, 600);
        await refresh.upsert('rt-2', { grantId: 'g2' }, 600);
        const results = await Promise.allSettled(Array.from({ length: 10 }, () => refresh.consume('rt-1')));
        expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
        expect(await refresh.find('rt-1')).toBeUndefined();
        expect(await refresh.find('rt-2')).toEqual({ grantId: 'g2' });
      });

      it('destroys a model', async () => {
        const codes = new stores.OidcAdapter('AuthorizationCode');
        await codes.upsert('c1', { grantId: 'g1' }, 60);
        await codes.destroy('c1');
        expect(await codes.find('c1')).toBeUndefined();
        await codes.destroy('c1');
      });

      it("revokes a grant's models and nothing else", async () => {
        const tokens = new stores.OidcAdapter('AccessToken');
        const refresh = new stores.OidcAdapter('RefreshToken');
        await tokens.upsert('at-1', { grantId: 'g1' }, 60);
        await tokens.upsert('at-2', { grantId: 'g1' }, 60);
        await tokens.upsert('at-3', { grantId: 'g2' }, 60);
        await refresh.upsert('rt-1', { grantId: 'g1' }, 600);
        await tokens.revokeByGrantId('g1');
        expect(await tokens.find('at-1')).toBeUndefined();
        expect(await tokens.find('at-2')).toBeUndefined();
        expect(await tokens.find('at-3')).toEqual({ grantId: 'g2' });
        await refresh.revokeByGrantId('g1');
        expect(await refresh.find('rt-1')).toBeUndefined();
      });

      it('never returns an expired model, by any lookup', async () => {
        const sessions = new stores.OidcAdapter('Session');
        const devices = new stores.OidcAdapter('DeviceCode');
        await sessions.upsert('sess-1', { uid: 'uid-1' }, 1);
        await devices.upsert('dc-1', { userCode: 'ABCD' }, 60);
        expect(await sessions.find('sess-1')).toEqual({ uid: 'uid-1' });
        clock += 1;
        expect(await sessions.find('sess-1')).toBeUndefined();
        expect(await sessions.findByUid('uid-1')).toBeUndefined();
        clock += 59;
        expect(await devices.findByUserCode('ABCD')).toBeUndefined();
        expect(await devices.find('dc-1')).toBeUndefined();
      });

      it('keeps a model without expiresIn indefinitely, and a re-upsert moves the expiry', async () => {
        const grants = new stores.OidcAdapter('Grant');
        const sessions = new stores.OidcAdapter('Session');
        await grants.upsert('g1', { accountId: 'acc-1' });
        await sessions.upsert('sess-1', { uid: 'uid-1' }, 10);
        clock += 5;
        await sessions.upsert('sess-1', { uid: 'uid-1' }, 10);
        clock += 9;
        expect(await sessions.find('sess-1')).toEqual({ uid: 'uid-1' });
        clock += 10 * 365 * 24 * 3600;
        expect(await grants.find('g1')).toEqual({ accountId: 'acc-1' });
        expect(await sessions.find('sess-1')).toBeUndefined();
      });
    });
  });
}
