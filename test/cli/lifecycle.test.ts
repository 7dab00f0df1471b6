// Operator lifecycle commands against in-memory stores: each change, its audit event, its refusals, the revocation it
// causes (with a real back-channel logout to a relying party), and one run of the real executable.
import { cleanEnv } from '../support/clean-env.ts';
import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, jwtVerify, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import type { AccountRecord, AuthenticatorRecord, StoredAuditEvent, Stores } from '../../adapters/types.ts';
import { attemptKeys, issueRecoveryCodes, verifyPasswordHash, verifyRecoveryLink } from '../../authenticators/index.ts';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import { totpKeyring } from '../../config/keys.ts';
import { listAudit } from '../../cli/audit-commands.ts';
import { deleteUser, disableUser, enableUser, removeAuthenticator, setPassword } from '../../cli/lifecycle-commands.ts';
import { resetUser } from '../../cli/reset-user.ts';
import { listSessions, revokeSessions } from '../../cli/session-commands.ts';
import { addUser, enrollTotp, unlockUser } from '../../cli/user-commands.ts';
import { showUser } from '../../cli/user-show.ts';
import { rejectsWith } from './rejects-with.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'stepup-lifecycle-'));
const OPERATOR = 'carol';
const now = () => Math.floor(Date.now() / 1000);

let config: AppConfig;
let stores: Stores;
let lines: string[];
const out = (line: string) => void lines.push(line);

beforeAll(async () => {
  config = await loadConfig({ NODE_ENV: 'test', DATA_DIR: join(root, 'config'), STEPUP_SCRYPT_N: '1024' });
});
beforeEach(() => {
  stores = openSqliteStores({ file: ':memory:' });
  lines = [];
});
afterEach(() => stores.close());
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function user(username: string, password = 'correct horse'): Promise<AccountRecord> {
  await addUser(stores, config, { username, password }, () => {});
  return (await stores.accounts.findByUsername(username))!;
}

async function authenticator(account: AccountRecord, kind: 'totp' | 'passkey', extra: Partial<AuthenticatorRecord> = {}): Promise<AuthenticatorRecord> {
  const record: AuthenticatorRecord = {
    id: `${kind}-${account.username}-${Math.random().toString(36).slice(2, 8)}`,
    accountId: account.id,
    kind,
    label: kind === 'totp' ? 'Phone' : 'Security key',
    data: kind === 'totp' ? { secret: 'sealed' } : { publicKey: 'pk', transports: ['usb'] },
    createdAt: now() - 3600,
    ...(kind === 'passkey' && { credentialId: `cred-${account.username}-${Math.random().toString(36).slice(2, 8)}`, signCount: 0 }),
    ...extra,
  };
  await stores.authenticators.add(record);
  return record;
}

interface Seeded {
  uid: string;
  sessionId: string;
  sid: string;
  grantId: string;
  tokens: Array<[model: string, id: string]>;
}

/** One oidc-provider session signed in to `clientId`, with its grant, a refresh token and an access token. */
async function session(account: AccountRecord, clientId = 'rp-1'): Promise<Seeded> {
  const tag = Math.random().toString(36).slice(2, 10);
  const seeded: Seeded = {
    uid: `uid-${tag}`,
    sessionId: `session-${tag}`,
    sid: `sid-${tag}`,
    grantId: `grant-${tag}`,
    tokens: [
      ['RefreshToken', `rt-${tag}`],
      ['AccessToken', `at-${tag}`],
    ],
  };
  const exp = now() + 3600;
  await new stores.OidcAdapter('Session').upsert(
    seeded.sessionId,
    { jti: seeded.sessionId, uid: seeded.uid, accountId: account.id, loginTs: now() - 60, exp, kind: 'Session', authorizations: { [clientId]: { sid: seeded.sid, grantId: seeded.grantId } } },
    3600,
  );
  await new stores.OidcAdapter('Grant').upsert(seeded.grantId, { jti: seeded.grantId, kind: 'Grant', accountId: account.id, clientId, exp }, 3600);
  for (const [model, id] of seeded.tokens) {
    await new stores.OidcAdapter(model).upsert(id, { jti: id, kind: model, accountId: account.id, grantId: seeded.grantId, clientId, exp }, 3600);
  }
  return seeded;
}

/** Which of the seeded session's models are still stored. */
async function remaining(seeded: Seeded): Promise<string[]> {
  const models: Array<[string, string]> = [['Session', seeded.sessionId], ['Grant', seeded.grantId], ...seeded.tokens];
  const found = await Promise.all(models.map(async ([model, id]) => ((await new stores.OidcAdapter(model).find(id)) ? model : undefined)));
  return found.filter((model) => model !== undefined);
}

const ALL_MODELS = ['Session', 'Grant', 'RefreshToken', 'AccessToken'];
const audit = (type?: string): Promise<StoredAuditEvent[]> => stores.audit.list({ type, limit: 50 });
const by = { operator: OPERATOR };

describe('every command that changes an account', () => {
  type Run = (username: string, options: { operator?: string; reason?: string }) => Promise<void>;
  const commands: Array<[string, Run]> = [
    ['sessions revoke', (username, options) => revokeSessions(stores, config, { username, ...options }, out)],
    ['disable', (username, options) => disableUser(stores, config, { username, ...options }, out)],
    ['enable', (username, options) => enableUser(stores, config, { username, ...options }, out)],
    [
      'remove-authenticator',
      async (username, options) => {
        const id = (await stores.authenticators.listByAccount((await stores.accounts.findByUsername('alice'))!.id))[0]!.id;
        return removeAuthenticator(stores, config, { username, id, ...options }, out);
      },
    ],
    ['password', (username, options) => setPassword(stores, config, { username, password: 'new password', ...options }, out)],
    ['reset', (username, options) => resetUser(stores, config, { username, ...options }, out)],
    ['delete', (username, options) => deleteUser(stores, config, { username, ...options }, out)],
  ];

  describe.each(commands)('user %s', (_name, run) => {
    let alice: AccountRecord;
    let seeded: Seeded;
    beforeEach(async () => {
      alice = await user('alice');
      await authenticator(alice, 'totp');
      seeded = await session(alice);
    });

    async function unchanged() {
      expect(await stores.accounts.findById(alice.id)).toEqual(alice);
      expect(await stores.authenticators.listByAccount(alice.id)).toHaveLength(1);
      expect(await remaining(seeded)).toEqual(ALL_MODELS);
      expect(await audit()).toEqual([]);
      expect(lines).toEqual([]);
    }

    it.each([
      ['no --reason', undefined],
      ['an empty --reason', ''],
      ['a blank --reason', '  \t '],
    ])('refuses %s and changes nothing', async (_case, reason) => {
      await rejectsWith(run('alice', { ...by, reason }), 'invalid_input', /^missing --reason <text>/);
      await unchanged();
    });

    it('refuses a blank --operator and a reason on several lines', async () => {
      await rejectsWith(run('alice', { operator: ' ', reason: 'why' }), 'invalid_input', /--operator must not be blank/);
      await rejectsWith(run('alice', { ...by, reason: 'one\ntwo' }), 'invalid_input', /--reason must be one line/);
      await unchanged();
    });

    it('refuses an unknown user', async () => {
      await rejectsWith(run('nobody', { ...by, reason: 'ticket 1' }), 'not_found', /^no user named "nobody"$/);
      await unchanged();
    });
  });

  it('record the OS user when --operator is not given', async () => {
    await user('alice');
    await revokeSessions(stores, config, { username: 'alice', reason: 'ticket 7' }, out);
    const { userInfo } = await import('node:os');
    expect((await audit())[0]).toMatchObject({ operator: userInfo().username, reason: 'ticket 7' });
  });
});

describe('user show', () => {
  it('shows status, authenticators with cool-off, recovery codes, sessions and failed attempts, as text and JSON', async () => {
    const alice = await user('alice');
    const totp = await authenticator(alice, 'totp', { lastUsedAt: now() - 120 });
    const passkey = await authenticator(alice, 'passkey', { coolOff: { until: now() + 3600, cap: 'aal1', origin: 'recovery' } });
    const { codes } = await issueRecoveryCodes(alice.id, 10, { secrets: stores.recoverySecrets, keyring: totpKeyring(config.keys), now: now() });
    const seeded = await session(alice, 'rp-1');
    for (let i = 0; i < 3; i++) await stores.attempts.recordFailure(attemptKeys.password(alice.id), now());
    for (let i = 0; i < config.limiter.lockAfter; i++) await stores.attempts.recordFailure(attemptKeys.totp(alice.id), now());
    for (let i = 0; i < 8; i++) await stores.attempts.recordFailure(attemptKeys.guesses(attemptKeys.recovery(alice.id)), now());
    expect(codes).toHaveLength(10);

    await showUser(stores, config, { username: 'alice' }, out);
    const text = lines.join('\n');
    expect(text).toMatch(new RegExp(`^user\\s+alice \\(id ${alice.id}\\)$`, 'm'));
    expect(text).toMatch(/^status\s+enabled$/m);
    expect(text).toMatch(/^highest level\s+phr \(counting authenticators in cool-off\)$/m);
    expect(text).toMatch(new RegExp(`^  ${totp.id}\\s+totp\\s+"Phone"\\s+created \\S+Z\\s+last used \\S+Z$`, 'm'));
    expect(text).toMatch(new RegExp(`^  ${passkey.id}\\s+passkey\\s+"Security key"\\s+created \\S+Z\\s+last used never\\s+cool-off until \\S+Z \\(counts at most aal1\\)$`, 'm'));
    expect(text).toMatch(/^recovery codes\s+10 of 10 left \(made \S+Z\)$/m);
    expect(text).toMatch(/^sessions\s+1 live$/m);
    expect(text).toMatch(new RegExp(`^  ${seeded.uid}\\s+login \\S+Z\\s+expires \\S+Z\\s+clients rp-1$`, 'm'));
    expect(text).toMatch(/^failed attempts\s+password 3, code 100 \(locked until `stepup user unlock alice`\), recovery code 0 \(back-off until \S+Z\)$/m);

    lines = [];
    await showUser(stores, config, { username: 'ALICE', json: true }, out);
    const view = JSON.parse(lines.join('\n'));
    expect(view).toMatchObject({
      username: 'alice',
      id: alice.id,
      disabledAt: null,
      password: true,
      highestLevel: 'phr',
      recoveryCodes: { remaining: 10, total: 10 },
      recoveryLink: null,
      sessions: [{ uid: seeded.uid, clients: ['rp-1'], loginAt: expect.any(String), expiresAt: expect.any(String) }],
      failedAttempts: {
        password: { failures: 3, locked: false, waitUntil: null },
        totp: { failures: 100, locked: true },
        recovery: { failures: 0, locked: false, waitUntil: expect.any(String) },
      },
    });
    expect(view.authenticators).toEqual([
      expect.objectContaining({ id: totp.id, kind: 'totp', factor: 'otp', label: 'Phone', lastUsedAt: expect.any(String), coolOff: null }),
      expect.objectContaining({ id: passkey.id, kind: 'passkey', factor: 'passkey', lastUsedAt: null, coolOff: { until: expect.any(String), cap: 'aal1', origin: 'recovery', active: true } }),
    ]);
    expect(JSON.stringify(view)).not.toContain('sealed');
    expect(await audit()).toEqual([]);
  });

  it('shows a disabled account and refuses an unknown user', async () => {
    await user('alice');
    await disableUser(stores, config, { username: 'alice', ...by, reason: 'leaver' }, () => {});
    await showUser(stores, config, { username: 'alice' }, out);
    expect(lines).toContainEqual(expect.stringMatching(/^status\s+disabled since \S+Z$/));
    expect(lines).toContainEqual(expect.stringMatching(/^sessions\s+0 live$/));
    await rejectsWith(showUser(stores, config, { username: 'nobody' }, out), 'not_found', /^no user named "nobody"$/);
  });
});

describe('user sessions', () => {
  it("lists the user's live sessions only", async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const first = await session(alice, 'rp-1');
    const second = await session(alice, 'rp-2');
    await session(bob, 'rp-1');

    await listSessions(stores, config, { username: 'alice' }, out);
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).toContain(first.uid);
    expect(lines.join('\n')).toMatch(new RegExp(`^${second.uid}\\s+login \\S+Z\\s+expires \\S+Z\\s+clients rp-2$`, 'm'));

    lines = [];
    await listSessions(stores, config, { username: 'alice', json: true }, out);
    const listed = JSON.parse(lines.join('\n')) as Array<{ uid: string; clients: string[] }>;
    expect(listed.map((entry) => entry.uid).sort()).toEqual([first.uid, second.uid].sort());

    lines = [];
    await listSessions(stores, config, { username: 'bob' }, out);
    expect(lines).toHaveLength(1);
    await rejectsWith(listSessions(stores, config, { username: 'nobody' }, out), 'not_found', /no user named "nobody"/);
    expect(await audit()).toEqual([]);
  });

  it('says when there are none', async () => {
    await user('alice');
    await listSessions(stores, config, { username: 'alice' }, out);
    expect(lines).toEqual(['alice has no live sessions']);
  });

  it("revoke ends every session of the user and revokes its grants and tokens, counts them, and leaves others' alone", async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const sessions = [await session(alice, 'rp-1'), await session(alice, 'rp-2')];
    const bobs = await session(bob, 'rp-1');

    await revokeSessions(stores, config, { username: 'alice', ...by, reason: 'phone stolen, ticket 42' }, out);
    for (const seeded of sessions) expect(await remaining(seeded)).toEqual([]);
    expect(await remaining(bobs)).toEqual(ALL_MODELS);
    expect(await stores.sessions.list(alice.id, now())).toEqual([]);
    expect(lines).toEqual(['revoked the sessions of alice: ended 2 sessions, revoked 2 grants and 4 tokens, notified 0 relying parties (recorded in the audit log)']);
    expect(await audit()).toEqual([
      {
        at: expect.any(Number),
        type: 'account.sessions_revoked',
        outcome: 'success',
        accountId: alice.id,
        operator: OPERATOR,
        reason: 'phone stolen, ticket 42',
        revoked: { sessions: 2, grants: 2, tokens: 4, notified: 0 },
      },
    ]);
    // The account itself is untouched.
    expect(await stores.accounts.findById(alice.id)).toEqual(alice);
  });
});

describe('user disable and enable', () => {
  it('disable sets disabledAt, cuts off everything and is audited; enable clears it', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    const seeded = await session(alice);
    const bobs = await session(bob);

    await disableUser(stores, config, { username: 'alice', ...by, reason: 'left the company' }, out);
    const disabled = (await stores.accounts.findById(alice.id))!;
    expect(disabled.disabledAt).toBeGreaterThanOrEqual(now() - 5);
    expect(await remaining(seeded)).toEqual([]);
    expect(await remaining(bobs)).toEqual(ALL_MODELS);
    expect(lines).toEqual(['disabled alice: ended 1 session, revoked 1 grant and 2 tokens, notified 0 relying parties (recorded in the audit log)']);
    expect(await audit('account.disable')).toEqual([
      {
        at: expect.any(Number),
        type: 'account.disable',
        outcome: 'success',
        accountId: alice.id,
        operator: OPERATOR,
        reason: 'left the company',
        revoked: { sessions: 1, grants: 1, tokens: 2, notified: 0 },
      },
    ]);

    await rejectsWith(disableUser(stores, config, { username: 'alice', ...by, reason: 'again' }, out), 'conflict', /already disabled/);
    expect(await audit()).toHaveLength(1);

    lines = [];
    await enableUser(stores, config, { username: 'alice', operator: 'dave', reason: 'rehired' }, out);
    expect((await stores.accounts.findById(alice.id))!.disabledAt).toBeUndefined();
    expect(lines).toEqual(['enabled alice: they can sign in again (recorded in the audit log)']);
    expect((await audit('account.enable'))[0]).toEqual({ at: expect.any(Number), type: 'account.enable', outcome: 'success', accountId: alice.id, operator: 'dave', reason: 'rehired' });

    await rejectsWith(enableUser(stores, config, { username: 'alice', ...by, reason: 'again' }, out), 'conflict', /not disabled/);
    expect(await audit()).toHaveLength(2);
    expect((await stores.accounts.findById(bob.id))!.disabledAt).toBeUndefined();
  });
});

describe('user remove-authenticator', () => {
  it("removes one of the user's authenticators, cuts off everything and records which", async () => {
    const alice = await user('alice');
    const totp = await authenticator(alice, 'totp');
    const passkey = await authenticator(alice, 'passkey');
    const seeded = await session(alice);

    await removeAuthenticator(stores, config, { username: 'alice', id: totp.id, ...by, reason: 'lost phone' }, out);
    expect(await stores.authenticators.listByAccount(alice.id)).toEqual([passkey]);
    expect(await remaining(seeded)).toEqual([]);
    expect(lines).toEqual([`removed totp "Phone" from alice: ended 1 session, revoked 1 grant and 2 tokens, notified 0 relying parties (recorded in the audit log)`]);
    expect(await audit()).toEqual([
      {
        at: expect.any(Number),
        type: 'authenticator.remove',
        outcome: 'success',
        accountId: alice.id,
        factor: 'otp',
        operator: OPERATOR,
        reason: 'lost phone',
        authenticatorId: totp.id,
        revoked: { sessions: 1, grants: 1, tokens: 2, notified: 0 },
      },
    ]);
  });

  it("refuses another user's authenticator and an unknown id, changing nothing", async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await authenticator(alice, 'totp');
    const bobs = await authenticator(bob, 'passkey');
    const seeded = await session(alice);

    await rejectsWith(removeAuthenticator(stores, config, { username: 'alice', id: bobs.id, ...by, reason: 'x' }, out), 'not_found', /alice has no authenticator with id/);
    await rejectsWith(removeAuthenticator(stores, config, { username: 'alice', id: 'nope', ...by, reason: 'x' }, out), 'not_found', /alice has no authenticator with id "nope"/);
    expect(await stores.authenticators.listByAccount(bob.id)).toEqual([bobs]);
    expect(await stores.authenticators.listByAccount(alice.id)).toHaveLength(1);
    expect(await remaining(seeded)).toEqual(ALL_MODELS);
    expect(await audit()).toEqual([]);
  });
});

describe('user password', () => {
  it('sets a new password hash, cuts off everything and is audited', async () => {
    const alice = await user('alice', 'old password');
    const seeded = await session(alice);

    await setPassword(stores, config, { username: 'alice', password: 'new password', ...by, reason: 'forgot it, verified by phone' }, out);
    const { passwordHash } = (await stores.accounts.findById(alice.id))!;
    expect(await verifyPasswordHash('new password', passwordHash)).toBe(true);
    expect(await verifyPasswordHash('old password', passwordHash)).toBe(false);
    expect(await remaining(seeded)).toEqual([]);
    expect(lines).toEqual(['set a new password for alice: ended 1 session, revoked 1 grant and 2 tokens, notified 0 relying parties (recorded in the audit log)']);
    expect(await audit()).toEqual([
      {
        at: expect.any(Number),
        type: 'account.password_set',
        outcome: 'success',
        accountId: alice.id,
        factor: 'pwd',
        operator: OPERATOR,
        reason: 'forgot it, verified by phone',
        revoked: { sessions: 1, grants: 1, tokens: 2, notified: 0 },
      },
    ]);
  });

  it('says when a locked password keeps the user out', async () => {
    const alice = await user('alice');
    for (let i = 0; i < config.limiter.lockAfter; i++) await stores.attempts.recordFailure(attemptKeys.password(alice.id), now());
    await setPassword(stores, config, { username: 'alice', password: 'new password', ...by, reason: 'forgot it' }, out);
    expect(lines.slice(1)).toEqual(["note: alice's password is locked; the new password works only after `stepup user unlock alice`"]);
  });

  it.each([
    ['an empty password', '', /must not be empty/],
    ['an over-long password', 'p'.repeat(1025), /longer than 1024/],
  ])('refuses %s, changing nothing', async (_case, password, message) => {
    const alice = await user('alice');
    const seeded = await session(alice);
    await rejectsWith(setPassword(stores, config, { username: 'alice', password, ...by, reason: 'x' }, out), 'invalid_input', message);
    expect(await stores.accounts.findById(alice.id)).toEqual(alice);
    expect(await remaining(seeded)).toEqual(ALL_MODELS);
    expect(await audit()).toEqual([]);
  });
});

describe('user reset', () => {
  const keyring = () => totpKeyring(config.keys);

  it('removes all second factors and recovery codes, cuts off everything and prints a working single-use recovery link', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await authenticator(alice, 'totp');
    await authenticator(alice, 'totp');
    const bobs = await authenticator(bob, 'totp');
    await issueRecoveryCodes(alice.id, 10, { secrets: stores.recoverySecrets, keyring: keyring(), now: now() });
    await issueRecoveryCodes(bob.id, 10, { secrets: stores.recoverySecrets, keyring: keyring(), now: now() });
    const seeded = await session(alice);

    await resetUser(stores, config, { username: 'alice', ...by, reason: 'lost both phones, ticket 9' }, out);
    expect(await stores.authenticators.listByAccount(alice.id)).toEqual([]);
    expect(await stores.recoverySecrets.summary(alice.id, 'code', now())).toBeUndefined();
    expect(await stores.authenticators.listByAccount(bob.id)).toEqual([bobs]);
    expect(await stores.recoverySecrets.summary(bob.id, 'code', now())).toMatchObject({ remaining: 10 });
    expect(await remaining(seeded)).toEqual([]);
    expect(await verifyPasswordHash('correct horse', (await stores.accounts.findById(alice.id))!.passwordHash)).toBe(true);

    expect(lines[0]).toBe('reset alice: removed 2 authenticators and the recovery codes, ended 1 session, revoked 1 grant and 2 tokens, notified 0 relying parties (recorded in the audit log)');
    const expiry = lines[1]!.match(/valid until (\S+Z) and usable once/)![1]!;
    expect(Date.parse(expiry) / 1000).toBeCloseTo(now() + config.policy.recovery.linkTtl, -1);
    const url = new URL(lines[2]!);
    expect(`${url.origin}${url.pathname}`).toBe(`${config.issuer}/account/recover`);
    const token = url.searchParams.get('link')!;
    expect(lines).toHaveLength(3);

    const deps = { secrets: stores.recoverySecrets, keyring: keyring(), now: now() };
    await expect(verifyRecoveryLink({ accountId: bob.id, token }, deps)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect((await verifyRecoveryLink({ accountId: alice.id, token }, deps)).event).toMatchObject({ accountId: alice.id, factor: 'recovery' });
    await expect(verifyRecoveryLink({ accountId: alice.id, token }, deps)).rejects.toMatchObject({ code: 'invalid_credentials' });

    expect(await audit()).toEqual([
      {
        at: expect.any(Number),
        type: 'account.reset',
        outcome: 'success',
        accountId: alice.id,
        operator: OPERATOR,
        reason: 'lost both phones, ticket 9',
        revoked: { sessions: 1, grants: 1, tokens: 2, notified: 0 },
      },
    ]);
  });

  describe('of an account that reaches phr, the top of the ladder', () => {
    let alice: AccountRecord;
    let passkey: AuthenticatorRecord;
    let seeded: Seeded;

    async function unchanged() {
      expect(await stores.authenticators.listByAccount(alice.id)).toEqual([passkey]);
      expect(await stores.recoverySecrets.summary(alice.id, 'link', now())).toBeUndefined();
      expect(await remaining(seeded)).toEqual(ALL_MODELS);
      expect(await audit()).toEqual([]);
      expect(lines).toEqual([]);
    }

    beforeEach(async () => {
      alice = await user('alice');
      passkey = await authenticator(alice, 'passkey', { credentialId: 'c1', signCount: 0, data: { publicKey: 'pk', transports: ['internal'] } });
      seeded = await session(alice);
    });

    it('refuses without --approved-by, changing nothing', async () => {
      await rejectsWith(resetUser(stores, config, { username: 'alice', ...by, reason: 'lost key' }, out), 'invalid_input', /alice reaches phr.*--approved-by/);
      await unchanged();
    });

    it('refuses an approval by the operator themself, whatever the case', async () => {
      await rejectsWith(resetUser(stores, config, { username: 'alice', ...by, reason: 'lost key', approvedBy: 'CAROL' }, out), 'invalid_input', /another operator/);
      await rejectsWith(resetUser(stores, config, { username: 'alice', ...by, reason: 'lost key', approvedBy: '  ' }, out), 'invalid_input', /--approved-by must not be blank/);
      await unchanged();
    });

    it('counts a passkey still in cool-off', async () => {
      await stores.authenticators.remove(passkey.id, alice.id);
      passkey = await authenticator(alice, 'passkey', { coolOff: { until: now() + 3600, cap: 'aal1', origin: 'recovery' } });
      await rejectsWith(resetUser(stores, config, { username: 'alice', ...by, reason: 'lost key' }, out), 'invalid_input', /--approved-by/);
      await unchanged();
    });

    it('resets with a second operator, recording both', async () => {
      await resetUser(stores, config, { username: 'alice', ...by, reason: 'lost key, ticket 3', approvedBy: 'dave' }, out);
      expect(await stores.authenticators.listByAccount(alice.id)).toEqual([]);
      expect(await remaining(seeded)).toEqual([]);
      expect(lines[2]).toMatch(/\/account\/recover\?link=/);
      expect(await audit()).toEqual([
        {
          at: expect.any(Number),
          type: 'account.reset',
          outcome: 'success',
          accountId: alice.id,
          operator: OPERATOR,
          approvedBy: 'dave',
          reason: 'lost key, ticket 3',
          revoked: { sessions: 1, grants: 1, tokens: 2, notified: 0 },
        },
      ]);
      lines = [];
      await listAudit(stores, config, {}, out);
      expect(lines).toEqual([expect.stringMatching(/\saccount\.reset\s.*\soperator=carol approvedBy=dave\s+reason=lost key, ticket 3$/)]);
    });

    it('needs no approval when the policy says so', async () => {
      const relaxed = { ...config, policy: { ...config.policy, recovery: { ...config.policy.recovery, resetNeedsApproval: false } } };
      await resetUser(stores, relaxed, { username: 'alice', ...by, reason: 'lost key' }, out);
      expect(await stores.authenticators.listByAccount(alice.id)).toEqual([]);
      expect((await audit())[0]).not.toHaveProperty('approvedBy');
    });
  });

  it('says when the link cannot be used yet: a disabled account, a locked password', async () => {
    const alice = await user('alice');
    await disableUser(stores, config, { username: 'alice', ...by, reason: 'suspicious' }, () => {});
    for (let i = 0; i < config.limiter.lockAfter; i++) await stores.attempts.recordFailure(attemptKeys.password(alice.id), now());
    await resetUser(stores, config, { username: 'alice', ...by, reason: 'takeover' }, out);
    expect(lines.slice(3)).toEqual([
      'note: alice is disabled; the link works only after `stepup user enable alice`',
      "note: alice's password is locked; the link works only after `stepup user unlock alice`",
    ]);
  });
});

describe('user delete', () => {
  it('cuts off everything, then deletes the account with its authenticators; its audit events stay', async () => {
    const alice = await user('alice');
    const bob = await user('bob');
    await authenticator(alice, 'totp');
    await enrollTotp(stores, config, { username: 'alice', ...by }, () => {});
    const seeded = await session(alice);
    const bobs = await session(bob);

    await deleteUser(stores, config, { username: 'alice', ...by, reason: 'GDPR erasure request' }, out);
    expect(await stores.accounts.findById(alice.id)).toBeUndefined();
    expect(await stores.accounts.findByUsername('alice')).toBeUndefined();
    expect(await stores.authenticators.listByAccount(alice.id)).toEqual([]);
    expect(await remaining(seeded)).toEqual([]);
    expect(await remaining(bobs)).toEqual(ALL_MODELS);
    expect(lines).toEqual([
      `deleted alice (id ${alice.id}) with its authenticators and recovery secrets: ended 1 session, revoked 1 grant and 2 tokens, notified 0 relying parties (recorded in the audit log, which keeps its events)`,
    ]);
    const events = await stores.audit.list({ accountId: alice.id, limit: 10 });
    expect(events.map((event) => event.type)).toEqual(['account.delete', 'authenticator.enroll']);
    expect(events[0]).toEqual({
      at: expect.any(Number),
      type: 'account.delete',
      outcome: 'success',
      accountId: alice.id,
      operator: OPERATOR,
      reason: 'GDPR erasure request',
      revoked: { sessions: 1, grants: 1, tokens: 2, notified: 0 },
    });
    expect((await stores.audit.verify()).ok).toBe(true);
    await rejectsWith(deleteUser(stores, config, { username: 'alice', ...by, reason: 'again' }, out), 'not_found', /no user named "alice"/);
  });
});

describe('user totp-enroll and unlock', () => {
  it('record the operator, with the given reason or the old default', async () => {
    const alice = await user('alice');
    await enrollTotp(stores, config, { username: 'alice', operator: 'dave' }, () => {});
    await enrollTotp(stores, config, { username: 'alice', ...by, reason: 'new phone' }, () => {});
    await unlockUser(stores, config, { username: 'alice', ...by, reason: 'locked out by a bot' }, () => {});
    await unlockUser(stores, config, { username: 'alice' }, () => {});
    const [enrolled] = await stores.authenticators.listByAccount(alice.id);
    const events = await audit();
    expect(events.map(({ type, operator, reason }) => ({ type, operator, reason }))).toEqual([
      { type: 'account.unlock', operator: expect.any(String), reason: 'operator cli' },
      { type: 'account.unlock', operator: OPERATOR, reason: 'locked out by a bot' },
      { type: 'authenticator.enroll', operator: OPERATOR, reason: 'new phone' },
      { type: 'authenticator.enroll', operator: 'dave', reason: 'operator cli' },
    ]);
    expect(events[3]).toMatchObject({ factor: 'otp', authenticatorId: enrolled!.id });
    await rejectsWith(unlockUser(stores, config, { username: 'alice', reason: ' ' }, out), 'invalid_input', /--reason must not be blank/);
    await rejectsWith(enrollTotp(stores, config, { username: 'alice', reason: '' }, out), 'invalid_input', /--reason must not be blank/);
    expect(await audit()).toHaveLength(4);
  });
});

describe('back-channel logout from the CLI', () => {
  let server: Server;
  let received: Array<{ method?: string; contentType?: string; body: string }>;
  let status: number;
  let rpUri: string;

  beforeEach(async () => {
    received = [];
    status = 200;
    server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        received.push({ method: req.method, contentType: req.headers['content-type'], body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    rpUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`;
  });
  afterEach(() => new Promise<void>((resolve) => server.close(() => resolve())));

  async function client(clientId: string) {
    await stores.clients.upsert({
      client_id: clientId,
      client_secret: `secret-${clientId}-0123456789abcdef`,
      redirect_uris: ['http://127.0.0.1:1/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      first_party: true,
      backchannel_logout_uri: rpUri,
      backchannel_logout_session_required: true,
    });
  }

  const publicKeys = () => createLocalJWKSet({ keys: config.keys.jwks.keys.map(({ d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...key }) => key as JWK) });

  it('user disable sends the relying party a logout token for the session it signed in to', async () => {
    const alice = await user('alice');
    await client('rp-bcl');
    const seeded = await session(alice, 'rp-bcl');

    await disableUser(stores, config, { username: 'alice', ...by, reason: 'compromised' }, out);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ method: 'POST', contentType: 'application/x-www-form-urlencoded' });
    const logoutToken = new URLSearchParams(received[0]!.body).get('logout_token')!;
    const { payload, protectedHeader } = await jwtVerify(logoutToken, publicKeys(), { issuer: config.issuer, audience: 'rp-bcl' });
    expect(protectedHeader.typ).toBe('logout+jwt');
    expect(payload).toMatchObject({ sub: alice.id, sid: seeded.sid, events: { 'http://schemas.openid.net/event/backchannel-logout': {} } });
    expect(payload).not.toHaveProperty('nonce');
    expect(payload.jti).toEqual(expect.any(String));

    expect(lines).toEqual(['disabled alice: ended 1 session, revoked 1 grant and 2 tokens, notified 1 relying party (recorded in the audit log)']);
    expect((await audit())[0]).toMatchObject({ type: 'account.disable', revoked: { sessions: 1, grants: 1, tokens: 2, notified: 1 } });
  });

  it('says which relying party refused, counts it as not notified, and ends the session anyway', async () => {
    const alice = await user('alice');
    await client('rp-down');
    const seeded = await session(alice, 'rp-down');
    status = 500;

    await revokeSessions(stores, config, { username: 'alice', ...by, reason: 'compromised' }, out);
    expect(received).toHaveLength(1);
    expect(await remaining(seeded)).toEqual([]);
    expect(lines).toEqual([
      'revoked the sessions of alice: ended 1 session, revoked 1 grant and 2 tokens, notified 0 relying parties (recorded in the audit log)',
      expect.stringMatching(/^note: relying party rp-down did not accept the back-channel logout \(.*500.*\); its sessions were ended anyway$/),
    ]);
    expect((await audit())[0]!.revoked).toEqual({ sessions: 1, grants: 1, tokens: 2, notified: 0 });
  });
});

describe('the stepup executable', () => {
  it('refuses a lifecycle command without --reason, then runs it with one', () => {
    const env: NodeJS.ProcessEnv = { ...cleanEnv(), NODE_ENV: 'test', DATA_DIR: join(root, 'e2e'), STEPUP_SCRYPT_N: '1024' };
    for (const name of Object.keys(env)) if (name.startsWith('STEPUP_') && name !== 'STEPUP_SCRYPT_N') delete env[name];
    delete env.MONGODB_URI;
    const options = { cwd: repo, env, encoding: 'utf8', timeout: 60_000 } as const;
    const stepup = (...args: string[]) => spawnSync('npx', ['tsx', 'cli/main.ts', ...args], options);

    const add = stepup('user', 'add', 'alice', '--password', 'correct horse');
    expect(add.status, add.stderr).toBe(0);

    const refused = stepup('user', 'disable', 'alice');
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^error: missing --reason <text>: say why you are doing this \(it is recorded in the audit log\)$/m);
    expect(refused.stdout).toBe('');

    const disabled = stepup('user', 'disable', 'alice', '--reason', 'left the company', '--operator', 'carol');
    expect(disabled.status, disabled.stderr).toBe(0);
    expect(disabled.stdout).toBe('disabled alice: ended 0 sessions, revoked 0 grants and 0 tokens, notified 0 relying parties (recorded in the audit log)\n');

    const query = stepup('audit', 'query', '--type', 'account.disable');
    expect(query.status, query.stderr).toBe(0);
    expect(JSON.parse(query.stdout)).toMatchObject({ type: 'account.disable', operator: 'carol', reason: 'left the company' });
  }, 120_000);
});
