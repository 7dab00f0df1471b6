// oidc-provider's model reads kept for the rest of one request: a model found twice in a request is read from storage
// once (the token endpoint finds a code, or a refresh token, in our grant hook and again in its handler; an interaction
// page reads the interaction and its session, then again when it finishes).
//
// Decisions:
// - Only within one request (the scope comes from the caller, server/request-scope.ts): the next request reads storage.
// - Any write through the adapter (upsert, consume, destroy, revokeByGrantId, of any model) forgets every read of the
//   request: a consume can revoke a whole grant, so a write's reach is not worked out, and writes are few per request.
//   So does a write to the models that bypasses the adapter (the account revocation: forgetModelReads).
// - What a read returned is cloned on the way in and on each way out: oidc-provider builds its models from the payload
//   and mutates them (a session's authorizations), and no two instances may share an object.
// - Another request's write between two reads of this one is not seen by the second; it would not have been a moment
//   earlier either: what must hold across requests is the store's own (a code is consumed by one atomic update, which a
//   kept read does not skip).
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** The reads of one request, by model, method and key (undefined: found nothing), and how many writes it has made. */
export interface ModelReads {
  payloads: Map<string, AdapterPayload | undefined>;
  writes: number;
}

export function noModelReads(): ModelReads {
  return { payloads: new Map(), writes: 0 };
}

type ReadMethod = 'find' | 'findByUid' | 'findByUserCode';

/** `adapter`, with reads kept in what `reads()` gives for the current request (none outside a request: every read goes to storage). */
export function readingOnce(model: string, adapter: Adapter, reads: () => ModelReads | undefined): Adapter {
  const read = async (method: ReadMethod, key: string, load: () => Promise<AdapterPayload | undefined | void>) => {
    const kept = reads();
    if (!kept) return load();
    const name = `${model}\u0000${method}\u0000${key}`;
    if (kept.payloads.has(name)) return copy(kept.payloads.get(name));
    const writes = kept.writes;
    const payload = (await load()) ?? undefined;
    // Kept only if no write of this request began meanwhile (it may have changed what was being read).
    if (kept.writes === writes) kept.payloads.set(name, copy(payload));
    return payload;
  };
  const write = async <T>(call: () => Promise<T>): Promise<T> => {
    const kept = reads();
    forgetModelReads(kept);
    try {
      return await call();
    } finally {
      forgetModelReads(kept);
    }
  };
  return {
    find: (id) => read('find', id, () => adapter.find(id)),
    findByUid: (uid) => read('findByUid', uid, () => adapter.findByUid(uid)),
    findByUserCode: (userCode) => read('findByUserCode', userCode, () => adapter.findByUserCode(userCode)),
    upsert: (id, payload, expiresIn) => write(() => adapter.upsert(id, payload, expiresIn)),
    consume: (id) => write(() => adapter.consume(id)),
    destroy: (id) => write(() => adapter.destroy(id)),
    revokeByGrantId: (grantId) => write(() => adapter.revokeByGrantId(grantId)),
  };
}

/** For a write to oidc-provider's models that does not go through the adapter: the request reads them again. */
export function forgetModelReads(kept: ModelReads | undefined): void {
  if (kept) forget(kept);
}

function forget(kept: ModelReads): void {
  kept.writes += 1;
  kept.payloads.clear();
}

function copy(payload: AdapterPayload | undefined): AdapterPayload | undefined {
  return payload === undefined ? undefined : structuredClone(payload);
}
