// Deletes expired documents on an interval where the server refused the TTL indexes (FerretDB 1.x has no
// `expireAfterSeconds`, FerretDB/FerretDB#2415); on MongoDB the TTL indexes do it and a round finds nothing to do.
// Reads never depend on it: they compare `expiresAt` with the clock.
import type { Db } from 'mongodb';
import { INDEX_REFUSALS, type IndexRefusalDoc } from './collections.ts';

/** The name of every TTL index on `expiresAt` (indexes.ts). */
export const TTL_INDEX = 'expiry_ttl';

/** As often as MongoDB's TTL monitor runs by default. */
export const EXPIRY_PURGE_INTERVAL_SECONDS = 60;

const MIN_INTERVAL_MS = 100;

export interface ExpiryPurge {
  /** Runs one round now: the collections it purged. */
  runOnce(): Promise<string[]>;
  /** Stops the rounds and waits for one in progress. */
  stop(): Promise<void>;
}

/** The collections whose TTL index the server refused (recorded by `db migrate`). */
export async function collectionsWithoutTtl(db: Db): Promise<string[]> {
  const suffix = `.${TTL_INDEX}`;
  const docs = await db
    .collection<IndexRefusalDoc>(INDEX_REFUSALS)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  return docs
    .map((doc) => doc._id)
    .filter((name) => name.endsWith(suffix))
    .map((name) => name.slice(0, -suffix.length));
}

/**
 * Runs a round every `intervalMs` (bounded to 100 ms .. 60 s), skipping a tick while a round is still running, on an
 * unref()ed timer that keeps no process alive; a round that fails (database unreachable) is tried again next tick.
 */
export function startExpiryPurge(db: Db, intervalMs = EXPIRY_PURGE_INTERVAL_SECONDS * 1000): ExpiryPurge {
  const interval = Math.min(Math.max(intervalMs, MIN_INTERVAL_MS), EXPIRY_PURGE_INTERVAL_SECONDS * 1000);
  let running: Promise<unknown> | undefined;

  const purge = async () => {
    const collections = await collectionsWithoutTtl(db);
    const now = new Date(); // the wall clock, as the TTL monitor's
    await Promise.all(collections.map((name) => db.collection(name).deleteMany({ expiresAt: { $lte: now } })));
    return collections;
  };
  const round = () => {
    const done = purge();
    const settled = done.then(
      () => undefined,
      () => undefined,
    );
    running = settled;
    void settled.then(() => {
      if (running === settled) running = undefined;
    });
    return done;
  };

  const timer = setInterval(() => {
    if (!running) round().catch(() => undefined);
  }, interval);
  timer.unref();

  return {
    runOnce: round,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
