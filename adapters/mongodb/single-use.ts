// Single use settled by the primary key: the first insert of a use's `_id` wins, every later one is a duplicate key.
// MongoDB and FerretDB both enforce `_id` uniqueness atomically. A conditional update is atomic on MongoDB but not on
// FerretDB 1.x, which reads the matching document, then writes it back whole (FerretDB/FerretDB#3040), so two
// concurrent "set used where unused" updates can both match there.
import type { Db } from 'mongodb';
import { COLLECTIONS, type SingleUseDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';

export interface SingleUse {
  /** Records the use of `key` at `at` (epoch seconds), kept until `expiresAt`: true for the first use only. */
  claim(key: string, at: number, expiresAt?: Date): Promise<boolean>;
  /** The use of `key`, if there was one. */
  find(key: string): Promise<SingleUseDoc | null>;
}

export function createSingleUse(db: Db): SingleUse {
  const uses = db.collection<SingleUseDoc>(COLLECTIONS.singleUse);
  return {
    async claim(key, at, expiresAt) {
      try {
        await uses.insertOne({ _id: key, at, ...(expiresAt !== undefined && { expiresAt }) });
        return true;
      } catch (error) {
        if (isDuplicateKey(error)) return false;
        throw error;
      }
    },
    find: (key) => uses.findOne({ _id: key }),
  };
}
