// Group commit for the appends only this product makes (the audit chain, a session's proven factors): appends asked for
// in one turn of the event loop, by any request, share one IMMEDIATE transaction, and each caller's promise settles
// after that transaction has committed (or failed), so an append is as durable, when its caller goes on, as before.
//
// Decisions:
// - Flushed in the event loop's check phase (setImmediate): the requests whose sockets were read in the same poll phase
//   append together; a lone append waits for nothing but that phase.
// - In asking order: the audit chain's links follow the order in which appends were asked for, in one process; the
//   head of the chain is read inside the transaction, so another process's appends still chain (test/contract).
// - One failing append does not fail the others: when the shared transaction fails (rolled back entirely), each append
//   runs again alone, and only those that fail alone are rejected. A write is a synchronous function of the database,
//   so running it again after a rollback is running it once.
// - close() flushes what is waiting before the database closes.
import type { SqliteDatabase } from './database.ts';

interface Waiting {
  write: () => void;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface WriteBatches {
  /** Runs `write` in the next shared transaction; resolves once it has committed. */
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

  const flush = () => {
    const batch = waiting;
    waiting = [];
    if (batch.length === 0) return;
    if (batch.length > 1) {
      try {
        together.immediate(batch);
        for (const item of batch) item.resolve();
        return;
      } catch {
        // Rolled back: each goes again alone, below.
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
