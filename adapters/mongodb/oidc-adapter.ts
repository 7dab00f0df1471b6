// oidc-provider's Adapter over one MongoDB collection per model, with expiry checked on every read; Client reads the client store.
import type { Collection, Db } from 'mongodb';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { accountOf } from '../account-models.ts';
import { GRANT_REVOKED_MODELS, alreadyConsumed, revokesGrantOnReplay } from '../consume-once.ts';
import { oidcAdapterClass } from '../client-adapter.ts';
import type { ClientStore } from '../types.ts';
import { dateOf, liveAt, modelCollection, type ModelDoc } from './collections.ts';
import { retryOnDuplicateKey } from './errors.ts';

export function createOidcAdapterClass(db: Db, clients: ClientStore, now: () => number): AdapterConstructor {
  return oidcAdapterClass(clients, (model) => new ModelAdapter(db, model, now));
}

class ModelAdapter implements Adapter {
  readonly #db: Db;
  readonly #model: string;
  readonly #collection: Collection<ModelDoc>;
  readonly #now: () => number;

  constructor(db: Db, model: string, now: () => number) {
    this.#db = db;
    this.#model = model;
    this.#collection = db.collection<ModelDoc>(modelCollection(model));
    this.#now = now;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
    const accountId = accountOf(payload);
    const doc: Omit<ModelDoc, '_id'> = {
      payload: JSON.stringify(payload),
      ...(typeof payload.grantId === 'string' && { grantId: payload.grantId }),
      ...(typeof payload.uid === 'string' && { uid: payload.uid }),
      ...(typeof payload.userCode === 'string' && { userCode: payload.userCode }),
      ...(accountId !== undefined && { accountId }),
      ...(typeof payload.consumed === 'number' && { consumed: payload.consumed }),
      ...(typeof expiresIn === 'number' && { expiresAt: dateOf(this.#now() + expiresIn) }),
    };
    await retryOnDuplicateKey(() => this.#collection.replaceOne({ _id: id }, doc, { upsert: true }));
  }

  async find(id: string) {
    return live(await this.#collection.findOne({ _id: id, ...liveAt(this.#now()) }));
  }

  async findByUid(uid: string) {
    return live(await this.#collection.findOne({ uid, ...liveAt(this.#now()) }));
  }

  async findByUserCode(userCode: string) {
    return live(await this.#collection.findOne({ userCode, ...liveAt(this.#now()) }));
  }

  async consume(id: string) {
    // Exactly one caller finds the document unconsumed and marks it; every other one is told it was already used.
    const won = await this.#collection.findOneAndUpdate({ _id: id, consumed: { $exists: false } }, { $set: { consumed: this.#now() } }, { projection: { _id: 1 } });
    if (won) return;
    if (revokesGrantOnReplay(this.#model)) {
      const replayed = await this.#collection.findOne({ _id: id }, { projection: { grantId: 1 } });
      if (replayed?.grantId !== undefined) await revokeGrant(this.#db, replayed.grantId);
    }
    throw alreadyConsumed(this.#model, id);
  }

  async destroy(id: string) {
    await this.#collection.deleteOne({ _id: id });
  }

  async revokeByGrantId(grantId: string) {
    await this.#collection.deleteMany({ grantId });
  }
}

async function revokeGrant(db: Db, grantId: string): Promise<void> {
  await Promise.all([
    ...GRANT_REVOKED_MODELS.map((model) => db.collection<ModelDoc>(modelCollection(model)).deleteMany({ grantId })),
    db.collection<ModelDoc>(modelCollection('Grant')).deleteOne({ _id: grantId }),
  ]);
}

function live(doc: ModelDoc | null): AdapterPayload | undefined {
  if (!doc) return undefined;
  const payload = JSON.parse(doc.payload) as AdapterPayload;
  return doc.consumed === undefined ? payload : { ...payload, consumed: doc.consumed };
}
