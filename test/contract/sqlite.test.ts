// Runs the stores contract on SQLite, in memory and on files, and checks that data survives a restart.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { describeStoresContract } from './stores.contract.ts';
import { MIGRATIONS } from '../../adapters/sqlite/schema.ts';

const root = mkdtempSync(join(tmpdir(), 'stepup-sqlite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStoresContract('SQLite in memory', async ({ now }) => openSqliteStores({ file: ':memory:', now }));
describeStoresContract('SQLite file', async ({ now }) => openSqliteStores({ file: join(root, randomUUID(), 'stepup.db'), now }));

describe('SQLite stores on a file', () => {
  it('creates the data directory and keeps every store across a restart', async () => {
    const file = join(root, 'restart', 'nested', 'stepup.db');
    const before = openSqliteStores({ file });
    await before.accounts.create({ id: 'acc-1', username: 'Alice', passwordHash: 'h', createdAt: 1 });
    await before.authenticators.add({ id: 'auth-1', accountId: 'acc-1', kind: 'totp', label: 'Phone', data: { k: 1 }, createdAt: 1 });
    await before.authenticators.consumeTotpStep('auth-1', 7, 2);
    await before.events.append('s1', [{ id: 'e1', accountId: 'acc-1', factor: 'pwd', amr: ['pwd'], at: 1 }], 4_000_000_000);
    await before.attempts.recordFailure('login:alice', 3);
    await before.audit.append({ at: 4000, type: 'login', outcome: 'success', accountId: 'acc-1' });
    await before.clients.upsert({ client_id: 'rp-1', redirect_uris: ['https://rp.example/cb'] });
    await new before.OidcAdapter('Session').upsert('sess-1', { uid: 'uid-1', accountId: 'acc-1' }, 3600);
    await before.close();

    const after = openSqliteStores({ file });
    expect(await after.accounts.findByUsername('alice')).toMatchObject({ id: 'acc-1', username: 'Alice' });
    expect(await after.authenticators.get('auth-1')).toMatchObject({ label: 'Phone', data: { k: 1 }, lastUsedStep: 7 });
    expect(await after.authenticators.consumeTotpStep('auth-1', 7, 3)).toBe(false);
    expect(await after.events.listBySession('s1', 10)).toHaveLength(1);
    expect(await after.attempts.get('login:alice')).toEqual({ failures: 1, lastFailureAt: 3 });
    expect(await after.audit.list({ limit: 10 })).toEqual([{ at: 4000, type: 'login', outcome: 'success', accountId: 'acc-1' }]);
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
    await stores.audit.append({ at: 1, type: 'login', outcome: 'success' });
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
