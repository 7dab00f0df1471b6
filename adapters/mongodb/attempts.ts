// Consecutive-failure counters in MongoDB (shared by every instance), changed by compare-and-swap on versions: a change
// reads the counter's latest version and inserts the next one under the `_id` `<key>#<version>`, so of concurrent
// changes exactly one writes each version and the others read again. An `$inc` would be one atomic round trip on
// MongoDB, but FerretDB 1.x applies an update as a read then a whole-document write (FerretDB/FerretDB#3040) and
// loses concurrent increments; the primary key is atomic on both. Superseded versions are deleted only once no change
// can still be based on the one before them: deleting one sooner would let a late change write its `_id` again.
// A limiter's work (transact) runs stepwise: each yielded list's operations are issued together, each atomic on its
// own, with no transaction around them (FerretDB 1.x has none); the limiters re-check after reserving for that reason.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from 'mongodb';
import { runAttemptWorkStepwise } from '../attempt-work.ts';
import { StoreError, type AttemptState, type AttemptStore } from '../types.ts';
import { COLLECTIONS, dateOf, type AttemptDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';

/** Enough for every guess of a burst on one counter to get its turn. */
const MAX_CHANGE_ATTEMPTS = 200;

/** A change reads and writes within seconds (connect.ts's timeouts): superseded versions are kept far longer. */
const SUPERSEDED_KEPT_MS = 3600 * 1000;

/** A reset is kept at least as long, so that a change based on the version before it is refused. */
const RESET_KEPT_MS = 24 * 3600 * 1000;

type Version = Pick<AttemptDoc, 'failures' | 'lastFailureAt' | 'reset' | 'expiresAt'>;

export function createAttemptStore(db: Db): AttemptStore {
  const attempts = db.collection<AttemptDoc>(COLLECTIONS.attempts);

  const latest = (key: string) => attempts.find({ key }).sort({ version: -1 }).limit(1).next();

  /** Writes `next(latest)` as the next version, unless it returns undefined; returns what is current afterwards. */
  const change = async (key: string, next: (current: AttemptDoc | null) => Version | undefined): Promise<Version | undefined> => {
    for (let attempt = 1; ; attempt += 1) {
      const current = await latest(key);
      const written = next(current);
      if (!written) return current ?? undefined;
      const version = (current?.version ?? 0) + 1;
      try {
        await attempts.insertOne({ _id: `${key}#${version}`, key, version, writtenAt: new Date(), ...written });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        if (attempt >= MAX_CHANGE_ATTEMPTS) throw new StoreError('conflict', `attempt counter ${key} changed by others too often`);
        await sleep(Math.random() * Math.min(20, attempt));
        continue;
      }
      await attempts.deleteMany({ key, version: { $lt: version }, writtenAt: { $lt: new Date(Date.now() - SUPERSEDED_KEPT_MS) } });
      return written;
    }
  };

  const store: AttemptStore = {
    async get(key) {
      return toState(await latest(key));
    },
    async recordFailure(key, at, expiresAt) {
      const state = await change(key, (current) => ({
        failures: (toState(current)?.failures ?? 0) + 1,
        lastFailureAt: at,
        ...(expiresAt !== undefined && { expiresAt: dateOf(expiresAt) }),
      }));
      return toState(state)!;
    },
    async release(key) {
      await change(key, (current) => {
        const state = toState(current);
        if (!current || !state || state.failures === 0) return undefined;
        return { ...state, failures: state.failures - 1, ...(current.expiresAt !== undefined && { expiresAt: current.expiresAt }) };
      });
    },
    async reset(key) {
      await change(key, (current) => (toState(current) ? { failures: 0, lastFailureAt: current!.lastFailureAt, reset: true, expiresAt: new Date(Date.now() + RESET_KEPT_MS) } : undefined));
    },
    transact: (work) => runAttemptWorkStepwise(store, work),
  };
  return store;
}

function toState(doc: Version | null | undefined): AttemptState | undefined {
  if (!doc || doc.reset) return undefined;
  return { failures: doc.failures, lastFailureAt: doc.lastFailureAt };
}
