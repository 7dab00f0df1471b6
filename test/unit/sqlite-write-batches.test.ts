// Group commit of the product's own appends on SQLite (adapters/sqlite/write-batches.ts): appends asked for in one turn
// share one transaction and settle after it committed; the audit chain keeps asking order; a failing append fails
// alone; nothing waiting is lost when the stores close.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { writeBatches } from '../../adapters/sqlite/write-batches.ts';
import type { AuditEvent } from '../../adapters/types.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function databaseFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'write-batches-'));
  dirs.push(dir);
  return join(dir, 'store.sqlite');
}

/** A database whose IMMEDIATE transactions are counted. */
function countingDatabase(file = databaseFile()) {
  const db = new Database(file);
  db.exec('CREATE TABLE rows (value TEXT NOT NULL UNIQUE)');
  let transactions = 0;
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: (...args: never[]) => unknown) => {
    const made = transaction(fn);
    return {
      immediate: (...args: never[]) => {
        transactions += 1;
        return made.immediate(...args);
      },
    };
  }) as unknown as typeof db.transaction;
  return { db, file, insert: db.prepare<[string]>('INSERT INTO rows (value) VALUES (?)'), transactions: () => transactions };
}

const values = (db: Database.Database) =>
  db
    .prepare<[], { value: string }>('SELECT value FROM rows ORDER BY rowid')
    .all()
    .map((row) => row.value);

describe('writeBatches', () => {
  it('writes what one turn asked for in one transaction, in asking order, and settles each after the commit', async () => {
    const { db, insert, transactions } = countingDatabase();
    const batches = writeBatches(db);
    const settled: string[] = [];
    const writes = ['a', 'b', 'c'].map((value) => batches.add(() => insert.run(value)).then(() => settled.push(value)));
    // Nothing is written before the turn ends: a caller that did not await has nothing durable yet.
    expect(values(db)).toEqual([]);
    await Promise.all(writes);
    expect(values(db)).toEqual(['a', 'b', 'c']);
    expect(settled).toEqual(['a', 'b', 'c']);
    expect(transactions()).toBe(1);
    await batches.add(() => insert.run('d'));
    expect(transactions()).toBe(2);
    db.close();
  });

  it('rejects only the write that fails: the others are written, each alone, after the shared transaction rolled back', async () => {
    const { db, insert } = countingDatabase();
    const batches = writeBatches(db);
    insert.run('taken');
    const results = await Promise.allSettled([batches.add(() => insert.run('x')), batches.add(() => insert.run('taken')), batches.add(() => insert.run('y'))]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE/);
    expect(values(db)).toEqual(['taken', 'x', 'y']);
    db.close();
  });

  it('rejects every write at once when the database is locked past the busy timeout, each not waiting its own', async () => {
    const { db, file, insert, transactions } = countingDatabase();
    db.pragma('journal_mode = WAL');
    db.pragma('busy_timeout = 20');
    const other = new Database(file);
    other.exec('BEGIN IMMEDIATE');
    try {
      const batches = writeBatches(db);
      const results = await Promise.allSettled(['a', 'b', 'c'].map((value) => batches.add(() => insert.run(value))));
      expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected', 'rejected']);
      expect(results.map((result) => ((result as PromiseRejectedResult).reason as { code?: string }).code)).toEqual(['SQLITE_BUSY', 'SQLITE_BUSY', 'SQLITE_BUSY']);
      expect(transactions()).toBe(1);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(values(db)).toEqual([]);
    db.close();
  });

  it('writes nothing, and says so, if it is ever flushed inside an open transaction (a savepoint is not a commit)', async () => {
    const { db, insert } = countingDatabase();
    const batches = writeBatches(db);
    const writes = ['a', 'b'].map((value) => batches.add(() => insert.run(value)));
    db.exec('BEGIN');
    batches.flush();
    db.exec('ROLLBACK');
    const results = await Promise.allSettled(writes);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'rejected']);
    expect(values(db)).toEqual([]);
    db.close();
  });
});

describe('SQLite appends through the batches', () => {
  const decision = (at: number, clientId: string) => ({ at, type: 'stepup.decision', outcome: 'satisfied', accountId: 'acc-1', clientId }) as unknown as AuditEvent;

  it('chains appends asked for in one turn in asking order, verifiably, with the session events asked for beside them', async () => {
    const stores = openSqliteStores({ file: databaseFile() });
    try {
      const asked = Array.from({ length: 12 }, (_, i) => `rp-${i}`);
      await Promise.all([
        ...asked.map((clientId, i) => stores.audit.append(decision(1_000 + i, clientId))),
        stores.events.append('session-1', [{ id: 'e1', accountId: 'acc-1', factor: 'otp', amr: ['otp'], at: 1_000 }], 4_000_000_000),
      ]);
      const chain = await stores.audit.readChain(0, 100);
      expect(chain.map((entry) => entry.event.clientId)).toEqual(asked);
      expect(chain.map((entry) => entry.seq)).toEqual(asked.map((_, i) => i + 1));
      expect(await stores.audit.verify()).toEqual({ ok: true, count: 12 });
      expect(await stores.events.listBySession('session-1', 2_000)).toHaveLength(1);
    } finally {
      await stores.close();
    }
  });

  it('writes an append still waiting when the stores close', async () => {
    const file = databaseFile();
    const stores = openSqliteStores({ file });
    const appending = stores.audit.append(decision(1_000, 'rp-last'));
    await stores.close();
    await appending;
    const again = openSqliteStores({ file });
    try {
      expect((await again.audit.readChain(0, 10)).map((entry) => entry.event.clientId)).toEqual(['rp-last']);
    } finally {
      await again.close();
    }
  });
});
