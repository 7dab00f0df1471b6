// Remembers what may be used only once (single-use access tokens, DPoP proof jtis) until it expires. The race it
// closes: two requests with the same token or proof, verified concurrently, must not both pass; `consume` is the one
// atomic step that decides, never a read followed by a write.

/**
 * Where used identifiers are kept. The in-memory default serves one process; several API instances behind a load
 * balancer need one shared store, e.g. Redis `SET <key> 1 NX EXAT <expiresAt>` (consumed when the answer is "OK") or a
 * MongoDB collection with a unique `_id` and a TTL index on `expiresAt` (consumed when `insertOne` does not fail with a
 * duplicate key error).
 */
export interface ReplayStore {
  /**
   * Records `key` until `expiresAt` (epoch seconds) and answers true, or answers false when `key` is already recorded and
   * has not expired. Must be atomic: of several concurrent calls with one key, exactly one answers true. A store that
   * cannot answer throws; the guard then refuses the request (503), it never lets it through.
   */
  consume(key: string, expiresAt: number): Promise<boolean>;
}

/** Thrown by the in-memory store when every slot holds an unexpired entry: failing closed, never forgetting one early. */
export class ReplayStoreFullError extends Error {
  constructor(maxSize: number) {
    super(`the replay store holds ${maxSize} unexpired entries and cannot record more`);
    this.name = 'ReplayStoreFullError';
  }
}

export interface MemoryReplayStoreOptions {
  /** Entries kept at most. Default 100 000 (a few MB); size it above the single-use tokens and proofs of one lifetime. */
  maxSize?: number;
  /** Epoch seconds; injectable for tests. */
  now?: () => number;
}

/**
 * One process's store. It never evicts an entry before it expires (an evicted entry could be replayed): when full, it
 * first drops the expired entries and, if none has expired, refuses to record (the guard answers 503).
 */
export function memoryReplayStore(options: MemoryReplayStoreOptions = {}): ReplayStore & { readonly size: number } {
  const maxSize = options.maxSize ?? 100_000;
  if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new RangeError('maxSize must be a positive integer');
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const entries = new Map<string, number>();

  function sweep(at: number): void {
    for (const [key, expiresAt] of entries) if (expiresAt <= at) entries.delete(key);
  }

  return {
    get size() {
      return entries.size;
    },
    // Synchronous inside: in one Node process no other call can run between the lookup and the insert.
    async consume(key: string, expiresAt: number): Promise<boolean> {
      const at = now();
      const seen = entries.get(key);
      if (seen !== undefined && seen > at) return false;
      if (expiresAt <= at) return true;
      if (seen === undefined && entries.size >= maxSize) {
        sweep(at);
        if (entries.size >= maxSize) throw new ReplayStoreFullError(maxSize);
      }
      entries.set(key, expiresAt);
      return true;
    },
  };
}
