// Runs the stores contract on SQLite, in memory and on files, and checks that data survives a restart.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { attemptOp } from '../../adapters/attempt-work.ts';
import { describeStoresContract } from './stores.contract.ts';
import { MIGRATIONS } from '../../adapters/sqlite/schema.ts';
import { CHAIN_VERSION, GENESIS_HASH, chainHash } from '../../adapters/audit-chain.ts';
import type { AttemptWork, AuditEvent, StoredAuditEvent } from '../../adapters/types.ts';

const root = mkdtempSync(join(tmpdir(), 'stepup-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoresContract('SQLite in memory', async ({ now }) => openSqliteStores({ file: ':memory:', now }));
describeStoresContract('SQLite file', async ({ now }) => openSqliteStores({ file: join(root, randomUUID(), 'stepup.db'), now }));

describe('SQLite windowed attempt counters', () => {
  it('are purged once expired, while counters without an expiry stay', async () => {
    let clock = 1_000;
    const stores = openSqliteStores({ file: ':memory:', now: () => clock });
    await stores.attempts.recordFailure('addr:1:192.0.2.1', 900, 1_100);
    await stores.attempts.recordFailure('pwd:acc-1', 900);
    clock = 1_200;
    await stores.attempts.recordFailure('addr:2:192.0.2.2', 1_200, 1_300);
    expect(await stores.attempts.get('addr:1:192.0.2.1')).toBeUndefined();
    expect(await stores.attempts.get('addr:2:192.0.2.2')).toEqual({ failures: 1, lastFailureAt: 1_200 });
    expect(await stores.attempts.get('pwd:acc-1')).toEqual({ failures: 1, lastFailureAt: 900 });
    await stores.close();
  });
});

describe('SQLite limiter work', () => {
  it('holds the write lock from its first read: no other connection or process writes between its reads and its writes', async () => {
    const file = join(root, randomUUID(), 'stepup.db');
    const stores = openSqliteStores({ file });
    const other = new Database(file, { timeout: 0 });
    let intruder: unknown;
    try {
      const seen = await stores.attempts.transact(
        (function* (): AttemptWork<unknown[]> {
          const [before] = yield [attemptOp.get('otp:acc-1')];
          try {
            other.prepare("INSERT INTO attempts (key, failures, last_failure_at) VALUES ('otp:acc-1', 50, 1)").run();
          } catch (error) {
            intruder = error;
          }
          const [after] = yield [attemptOp.recordFailure('otp:acc-1', 2)];
          return [before, after];
        })(),
      );
      expect(intruder).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(seen).toEqual([undefined, { failures: 1, lastFailureAt: 2 }]);
      other.prepare("UPDATE attempts SET failures = 50 WHERE key = 'otp:acc-1'").run();
      expect(await stores.attempts.get('otp:acc-1')).toEqual({ failures: 50, lastFailureAt: 2 });
    } finally {
      other.close();
      await stores.close();
    }
  });
});

describe('SQLite stores on a file', () => {
  it('creates the data directory and keeps every store across a restart', async () => {
    const file = join(root, 'restart', 'nested', 'stepup.db');
    const before = openSqliteStores({ file });
    await before.accounts.create({ id: 'acc-1', username: 'Alice', passwordHash: 'h', createdAt: 1 });
    await before.authenticators.add({ id: 'auth-1', accountId: 'acc-1', kind: 'totp', label: 'Phone', data: { k: 1 }, createdAt: 1 });
    await before.authenticators.consumeTotpStep('auth-1', 7, 2);
    await before.events.append('s1', [{ id: 'e1', accountId: 'acc-1', factor: 'pwd', amr: ['pwd'], at: 1 }], 4_000_000_000);
    await before.attempts.recordFailure('login:alice', 3);
    await before.audit.append({ at: 4000, type: 'factor.verify', outcome: 'success', factor: 'pwd', accountId: 'acc-1' });
    await before.clients.upsert({ client_id: 'rp-1', redirect_uris: ['https://rp.example/cb'] });
    await new before.OidcAdapter('Session').upsert('sess-1', { uid: 'uid-1', accountId: 'acc-1' }, 3600);
    await before.close();

    const after = openSqliteStores({ file });
    expect(await after.accounts.findByUsername('alice')).toMatchObject({ id: 'acc-1', username: 'Alice' });
    expect(await after.authenticators.get('auth-1')).toMatchObject({ label: 'Phone', data: { k: 1 }, lastUsedStep: 7 });
    expect(await after.authenticators.consumeTotpStep('auth-1', 7, 3)).toBe(false);
    expect(await after.events.listBySession('s1', 10)).toHaveLength(1);
    expect(await after.attempts.get('login:alice')).toEqual({ failures: 1, lastFailureAt: 3 });
    expect(await after.audit.list({ limit: 10 })).toEqual([{ at: 4000, type: 'factor.verify', outcome: 'success', factor: 'pwd', accountId: 'acc-1' }]);
    expect(await new after.OidcAdapter('Client').find('rp-1')).toEqual({ client_id: 'rp-1', redirect_uris: ['https://rp.example/cb'] });
    expect(await new after.OidcAdapter('Session').findByUid('uid-1')).toEqual({ uid: 'uid-1', accountId: 'acc-1' });
    await after.close();
  });

  it('applies the schema once, in WAL mode with foreign keys', async () => {
    const file = join(root, 'schema', 'stepup.db');
    await openSqliteStores({ file }).close();
    await openSqliteStores({ file }).close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT version FROM schema_version').all()).toEqual(MIGRATIONS.map((_, index) => ({ version: index + 1 })));
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('purges expired OIDC models and auth events lazily', async () => {
    const file = join(root, 'purge', 'stepup.db');
    let clock = 1_700_000_000;
    const stores = openSqliteStores({ file, now: () => clock });
    const sessions = new stores.OidcAdapter('Session');
    await sessions.upsert('old', { uid: 'uid-old' }, 1);
    await stores.events.append('s1', [{ id: 'e1', accountId: 'acc-1', factor: 'pwd', amr: ['pwd'], at: clock }], clock + 1);
    clock += 120;
    await sessions.upsert('new', { uid: 'uid-new' }, 3600);
    await stores.close();
    const db = new Database(file, { readonly: true });
    try {
      expect(db.prepare('SELECT id FROM oidc_models').all()).toEqual([{ id: 'new' }]);
      expect(db.prepare('SELECT COUNT(*) AS n FROM auth_events').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('keeps the audit log append-only', async () => {
    const file = join(root, 'audit', 'stepup.db');
    const stores = openSqliteStores({ file });
    await stores.audit.append({ at: 1000, type: 'factor.verify', outcome: 'success', factor: 'pwd' });
    await stores.close();
    const db = new Database(file);
    try {
      expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
      expect(() => db.prepare("UPDATE audit_events SET type = 'x'").run()).toThrow(/append-only/);
    } finally {
      db.close();
    }
  });
});

/** Audit events as the releases before hash versions wrote them into a database: chained, without `v`. */
function insertLegacyLinks(raw: Database.Database, events: AuditEvent[], after: { seq: number; hash: string } = { seq: 0, hash: GENESIS_HASH }): void {
  const insert = raw.prepare('INSERT INTO audit_events (seq, at, type, account_id, event, hash) VALUES (?, ?, ?, ?, ?, ?)');
  let prev = after;
  for (const event of events) {
    const seq = prev.seq + 1;
    const hash = chainHash(prev.hash, seq, event);
    insert.run(seq, event.at, event.type, event.accountId ?? null, JSON.stringify(event), hash);
    prev = { seq, hash };
  }
}

describe('the SQLite audit chain, tampered with behind the triggers', () => {
  const events: AuditEvent[] = Array.from({ length: 5 }, (_, i) => ({ at: 1000 + i, type: 'factor.verify', outcome: 'success', factor: 'pwd', accountId: `acc-${i + 1}` }));

  describe.each([
    ['hashed as RFC 8785 JSON (v 2)', CHAIN_VERSION],
    ['hashed by the releases before hash versions (no v)', undefined],
  ] as const)('with events %s', (_name, version) => {
    /** Five chained events in a file, and a second connection to it without the append-only triggers. */
    async function tamperable(name: string) {
      const file = join(root, 'tamper', `${name}-v${version ?? 1}`, 'stepup.db');
      const stores = openSqliteStores({ file });
      const raw = new Database(file);
      if (version === undefined) insertLegacyLinks(raw, events);
      else for (const event of events) await stores.audit.append(event);
      expect((await stores.audit.readChain(0, 10)).map((entry) => entry.v)).toEqual(events.map(() => version));
      expect(await stores.audit.verify()).toEqual({ ok: true, count: 5 });
      raw.exec('DROP TRIGGER audit_events_no_update; DROP TRIGGER audit_events_no_delete;');
      return { stores, raw };
    }

    /** The stored event column: the event's members and its hash version. */
    const column = (event: StoredAuditEvent) => JSON.stringify(version === undefined ? event : { ...event, v: version });

    it('detects an edited event at its seq', async () => {
      const { stores, raw } = await tamperable('edit');
      try {
        raw.prepare('UPDATE audit_events SET event = ? WHERE seq = 3').run(column({ ...events[2]!, outcome: 'failure' }));
        expect(await stores.audit.verify()).toEqual({ ok: false, seq: 3, reason: expect.stringMatching(/hash mismatch/) });
      } finally {
        raw.close();
        await stores.close();
      }
    });

    it('detects an edit whose hash was recomputed, at the next seq', async () => {
      const { stores, raw } = await tamperable('rehash');
      try {
        const [second] = await stores.audit.readChain(1, 1);
        const edited: StoredAuditEvent = { ...events[2]!, factor: 'otp' };
        raw.prepare('UPDATE audit_events SET event = ?, hash = ? WHERE seq = 3').run(column(edited), chainHash(second!.hash, 3, edited, version));
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 4 });
      } finally {
        raw.close();
        await stores.close();
      }
    });

    it('detects a deleted event, naming the missing seq', async () => {
      const { stores, raw } = await tamperable('delete');
      try {
        raw.prepare('DELETE FROM audit_events WHERE seq = 2').run();
        expect(await stores.audit.verify()).toEqual({ ok: false, seq: 2, reason: 'event 2 is missing (the next stored event is 3)' });
      } finally {
        raw.close();
        await stores.close();
      }
    });

    it('detects two events swapped, at the first of them', async () => {
      const { stores, raw } = await tamperable('reorder');
      try {
        const rows = raw
          .prepare<[], { seq: number; at: number; account_id: string; event: string; hash: string }>('SELECT seq, at, account_id, event, hash FROM audit_events WHERE seq IN (2, 4) ORDER BY seq')
          .all();
        const swap = raw.prepare('UPDATE audit_events SET at = ?, account_id = ?, event = ?, hash = ? WHERE seq = ?');
        raw.transaction(() => {
          swap.run(rows[1]!.at, rows[1]!.account_id, rows[1]!.event, rows[1]!.hash, 2);
          swap.run(rows[0]!.at, rows[0]!.account_id, rows[0]!.event, rows[0]!.hash, 4);
        })();
        expect((await stores.audit.list({ limit: 5 })).map((e) => e.accountId)).toEqual(['acc-5', 'acc-2', 'acc-3', 'acc-4', 'acc-1']);
        expect(await stores.audit.verify()).toMatchObject({ ok: false, seq: 2 });
      } finally {
        raw.close();
        await stores.close();
      }
    });
  });

  it('verifies a chain hashed the old way and continued with RFC 8785 links, and refuses a new link passed off as old', async () => {
    const file = join(root, 'tamper', 'mixed', 'stepup.db');
    const stores = openSqliteStores({ file });
    const raw = new Database(file);
    try {
      insertLegacyLinks(raw, events.slice(0, 3));
      for (const event of events.slice(3)) await stores.audit.append(event);
      const chain = await stores.audit.readChain(0, 10);
      expect(chain.map((entry) => [entry.seq, entry.v])).toEqual([
        [1, undefined],
        [2, undefined],
        [3, undefined],
        [4, CHAIN_VERSION],
        [5, CHAIN_VERSION],
      ]);
      expect(chain.map((entry) => entry.event)).toEqual(events);
      expect(await stores.audit.list({ limit: 10 })).toEqual([...events].reverse());
      expect(await stores.audit.verify()).toEqual({ ok: true, count: 5 });

      raw.exec('DROP TRIGGER audit_events_no_update');
      // The version is part of what is hashed: dropping it (or naming another) breaks the link.
      raw.prepare('UPDATE audit_events SET event = ? WHERE seq = 4').run(JSON.stringify(events[3]));
      expect(await stores.audit.verify()).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/hash mismatch/) });
      raw.prepare('UPDATE audit_events SET event = ? WHERE seq = 4').run(JSON.stringify({ ...events[3], v: 3 }));
      expect(await stores.audit.verify()).toEqual({ ok: false, seq: 4, reason: expect.stringMatching(/unknown hash version 3/) });
    } finally {
      raw.close();
      await stores.close();
    }
  });

  it('chains the events of a database written before the chain existed, once, when it opens', async () => {
    const file = join(root, 'tamper', 'legacy', 'stepup.db');
    mkdirSync(dirname(file), { recursive: true });
    const old = new Database(file);
    old.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    MIGRATIONS.slice(0, 2).forEach((sql, index) => {
      old.exec(sql);
      old.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(index + 1);
    });
    const insert = old.prepare('INSERT INTO audit_events (at, type, account_id, event) VALUES (?, ?, ?, ?)');
    for (const event of events.slice(0, 3)) insert.run(event.at, event.type, event.accountId, JSON.stringify(event));
    old.close();

    const stores = openSqliteStores({ file });
    try {
      await stores.audit.append(events[3]!);
      expect(await stores.audit.verify()).toEqual({ ok: true, count: 4 });
      expect((await stores.audit.readChain(0, 10)).map((entry) => entry.event)).toEqual(events.slice(0, 4));
    } finally {
      await stores.close();
    }
    const raw = new Database(file);
    try {
      expect(() => raw.prepare("UPDATE audit_events SET hash = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
      expect(() => raw.prepare("UPDATE audit_events SET type = 'x'").run()).toThrow(/append-only/);
    } finally {
      raw.close();
    }
  });
});

describe('a SQLite database from before sessions were indexed by account', () => {
  it('finds the sessions and interactions it already held by account once migrated, and takes the new columns', async () => {
    const file = join(root, 'account-index', 'stepup.db');
    mkdirSync(dirname(file), { recursive: true });
    const old = new Database(file);
    old.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)');
    MIGRATIONS.slice(
      0,
      MIGRATIONS.findIndex((sql) => sql.includes('oidc_models_by_account')),
    ).forEach((sql, index) => {
      old.exec(sql);
      old.prepare('INSERT INTO schema_version (version, applied_at) VALUES (?, 0)').run(index + 1);
    });
    old.prepare("INSERT INTO accounts (id, username, username_key, password_hash, created_at) VALUES ('acc-1', 'Alice', 'alice', 'h', 1)").run();
    const model = old.prepare('INSERT INTO oidc_models (model, id, payload, grant_id, uid, expires_at) VALUES (?, ?, ?, ?, ?, ?)');
    const session = { jti: 'sess-1', uid: 'uid-1', kind: 'Session', accountId: 'acc-1', loginTs: 1_000, authorizations: { 'rp-1': { sid: 'sid-1', grantId: 'g-1' } } };
    model.run('Session', 'sess-1', JSON.stringify(session), null, 'uid-1', 5_000);
    model.run('Interaction', 'int-1', JSON.stringify({ jti: 'int-1', kind: 'Interaction', session: { accountId: 'acc-1', uid: 'uid-0' } }), null, null, 5_000);
    model.run('AccessToken', 'at-1', JSON.stringify({ jti: 'at-1', kind: 'AccessToken', accountId: 'acc-1', grantId: 'g-1' }), 'g-1', null, 5_000);
    model.run('PushedAuthorizationRequest', 'par-1', JSON.stringify({ jti: 'par-1', request: 'eyJ' }), null, null, 5_000);
    old.close();

    const stores = openSqliteStores({ file, now: () => 2_000 });
    try {
      expect(await stores.sessions.list('acc-1', 2_000)).toEqual([
        { uid: 'uid-1', accountId: 'acc-1', loginTs: 1_000, expiresAt: 5_000, clients: [{ clientId: 'rp-1', sid: 'sid-1', grantId: 'g-1' }] },
      ]);
      expect(await stores.accounts.findById('acc-1')).toEqual({ id: 'acc-1', username: 'Alice', passwordHash: 'h', createdAt: 1 });
      expect(await stores.accounts.setDisabled('acc-1', 1_500)).toBe(true);
      await stores.recoverySecrets.replace('acc-1', 'code', [{ hash: 'h1', accountId: 'acc-1', kind: 'code', setId: 's1', createdAt: 1_500 }]);
      expect(await stores.sessions.revoke('acc-1', { keepSessionUid: 'uid-0' })).toEqual({ sessions: 1, grants: 0, tokens: 1 });
      expect(await new stores.OidcAdapter('Interaction').find('int-1')).toMatchObject({ jti: 'int-1' });
      expect(await new stores.OidcAdapter('PushedAuthorizationRequest').find('par-1')).toMatchObject({ jti: 'par-1' });
    } finally {
      await stores.close();
    }
  });
});
