// Group commit for the appends only this product makes (the audit chain, a session's proven factors): appends asked for
// before the event loop's next check phase, by any request, share one IMMEDIATE transaction, and each caller's promise
// settles after that transaction has committed (or failed), so an append is as durable, when its caller goes on, as
// before.
//
// Decisions:
// - Flushed in the check phase (setImmediate): requests handled in the same loop iteration append together; a lone
//   append waits for nothing but that phase.
// - In asking order: the audit chain's links follow the order in which appends were asked for, in one process; the
//   head of the chain is read inside the transaction, so appends of another process (a cluster's workers) chain after
//   or before the whole batch.
// - One failing write does not fail the others: when the shared transaction fails (rolled back entirely) because of
//   one write, each write runs again alone, and only those that fail alone are rejected. A write is a synchronous
//   function of the database whose values were fixed when it was asked for, so running it again after a rollback is
//   running it once. When the database itself failed (locked past the busy timeout, read-only, full, I/O), every write
//   would fail alike: all are rejected at once, instead of each waiting out its own busy timeout.
// - Never inside another transaction (it would be a SAVEPOINT, released and not committed): refused if it ever were.
// - close() flushes what is waiting before the database closes.
import { StoreError } from '../types.ts';
import type { SqliteDatabase } from './database.ts';
import { sqliteStoreError } from './errors.ts';

interface Waiting {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriteBatches {
  /**
   * Runs `write` in the next shared transaction; resolves once it has committed. `write` uses only the database and
   * values fixed before this call: it may run a second time, alone, after the shared transaction rolled back.
   */
  add(write: () => void): Promise<void>;
  /** Runs what is waiting now (before the database closes). */
  flush(): void;
}

export function writeBatches(db: SqliteDatabase): WriteBatches {
  let waiting: Waiting[] = [];
  const together = db.transaction((batch: Waiting[]) => {
    for (const item of batch) item.write();
  });
  const alone = db.transaction((item: Waiting) => item.write());

  const rejectAll = (batch: Waiting[], error: unknown) => {
    for (const item of batch) item.reject(error);
  };

  const flush = () => {
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    if (db.inTransaction) return rejectAll(batch, new Error('write batch flushed inside an open transaction: nothing written'));
    if (batch.length > 1) {
      try {
        together.immediate(batch);
        for (const item of batch) item.resolve();
        return;
      } catch (error) {
        if (sqliteStoreError(error) instanceof StoreError) return rejectAll(batch, error);
        // Rolled back because of one of the writes: each goes again alone, below.
      }
    }
    for (const item of batch) {
      try {
        alone.immediate(item);
        item.resolve();
      } catch (error) {
        item.reject(error);
      }
    }
  };

  return {
    add(write) {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ write, resolve, reject });
        if (waiting.length === 1) setImmediate(flush);
      });
    },
    flush,
  };
}
