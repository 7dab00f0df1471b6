// oidc-provider's Adapter over one MongoDB collection per model, with expiry checked on every read; Client reads the client store.
// A consumption is a single use (single-use.ts), not a field set on the model: of concurrent consumptions one wins on
// MongoDB and on FerretDB alike.
import type { Collection, Db } from 'mongodb';
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { accountOf } from '../account-models.ts';
import { GRANT_REVOKED_MODELS, alreadyConsumed, revokesGrantOnReplay } from '../consume-once.ts';
import type { AroundAdapterCall } from '../adapter-forwarder.ts';
import { oidcAdapterClass } from '../client-adapter.ts';
import type { ClientStore } from '../types.ts';
import { dateOf, liveAt, modelCollection, type ModelDoc } from './collections.ts';
import { retryOnDuplicateKey } from './errors.ts';
import { createSingleUse, type SingleUse } from './single-use.ts';

/** The models oidc-provider consumes (lib/models: those with a `consume()`); only their reads look for a use. */
const CONSUMABLE_MODELS = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PushedAuthorizationRequest', 'PreAuthorizedCode']);

export function createOidcAdapterClass(db: Db, clients: ClientStore, now: () => number, around?: AroundAdapterCall): AdapterConstructor {
  const uses = createSingleUse(db);
  return oidcAdapterClass(clients, (model) => new ModelAdapter(db, uses, model, now), around);
}

class ModelAdapter implements Adapter {
  readonly #db: Db;
  readonly #uses: SingleUse;
  readonly #model: string;
  readonly #collection: Collection<ModelDoc>;
  readonly #now: () => number;

  constructor(db: Db, uses: SingleUse, model: string, now: () => number) {
    this.#db = db;
    this.#uses = uses;
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
    if (!CONSUMABLE_MODELS.has(this.#model)) return this.#live(await this.#collection.findOne({ _id: id, ...liveAt(this.#now()) }));
    const [doc, use] = await Promise.all([this.#collection.findOne({ _id: id, ...liveAt(this.#now()) }), this.#uses.find(this.#useKey(id))]);
    return withUse(doc, use?.at);
  }

  async findByUid(uid: string) {
    return this.#live(await this.#collection.findOne({ uid, ...liveAt(this.#now()) }));
  }

  async findByUserCode(userCode: string) {
    return this.#live(await this.#collection.findOne({ userCode, ...liveAt(this.#now()) }));
  }

  async consume(id: string) {
    // Exactly one caller records the use of a model that exists and was not consumed when stored; every other one is
    // told it was already used (and revokes the grant, deleting the model: the winner does not look at it again).
    const doc = await this.#collection.findOne({ _id: id }, { projection: { grantId: 1, consumed: 1, expiresAt: 1 } });
    const won = doc !== null && doc.consumed === undefined && (await this.#uses.claim(this.#useKey(id), this.#now(), doc.expiresAt));
    if (won) return;
    if (revokesGrantOnReplay(this.#model) && doc?.grantId !== undefined) await revokeGrant(this.#db, doc.grantId);
    throw alreadyConsumed(this.#model, id);
  }

  async destroy(id: string) {
    await this.#collection.deleteOne({ _id: id });
  }

  async revokeByGrantId(grantId: string) {
    await this.#collection.deleteMany({ grantId });
  }

  async #live(doc: ModelDoc | null): Promise<AdapterPayload | undefined> {
    if (!doc || !CONSUMABLE_MODELS.has(this.#model)) return withUse(doc, undefined);
    return withUse(doc, (await this.#uses.find(this.#useKey(doc._id)))?.at);
  }

  #useKey(id: string): string {
    return `${this.#model}:${id}`;
  }
}

async function revokeGrant(db: Db, grantId: string): Promise<void> {
  await Promise.all([
    ...GRANT_REVOKED_MODELS.map((model) => db.collection<ModelDoc>(modelCollection(model)).deleteMany({ grantId })),
    db.collection<ModelDoc>(modelCollection('Grant')).deleteOne({ _id: grantId }),
  ]);
}

/** The payload, with `consumed` from the stored payload or else from the recorded use. */
function withUse(doc: ModelDoc | null, usedAt: number | undefined): AdapterPayload | undefined {
  if (!doc) return undefined;
  const payload = JSON.parse(doc.payload) as AdapterPayload;
  const consumed = doc.consumed ?? usedAt;
  return consumed === undefined ? payload : { ...payload, consumed };
}
