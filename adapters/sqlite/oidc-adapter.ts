// oidc-provider's Adapter over the oidc_models table, with expiry checked on every read; Client reads the client store.
import type { Adapter, AdapterConstructor, AdapterPayload } from 'oidc-provider';
import { accountOf } from '../account-models.ts';
import { GRANT_REVOKED_MODELS, alreadyConsumed, revokesGrantOnReplay } from '../consume-once.ts';
import type { AroundAdapterCall } from '../adapter-forwarder.ts';
import { oidcAdapterClass } from '../client-adapter.ts';
import type { ClientStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

interface ModelRow {
  payload: string;
  expires_at: number | null;
  consumed_at: number | null;
}

type Statements = ReturnType<typeof prepareStatements>;

export function createOidcAdapterClass(db: SqliteDatabase, clients: ClientStore, now: () => number, purgeExpired: () => void, around?: AroundAdapterCall): AdapterConstructor {
  const statements = prepareStatements(db);

  return oidcAdapterClass(clients, (model) => new ModelAdapter(model, statements, now, purgeExpired), around);
}

class ModelAdapter implements Adapter {
  readonly #model: string;
  readonly #sql: Statements;
  readonly #now: () => number;
  readonly #purgeExpired: () => void;

  constructor(model: string, sql: Statements, now: () => number, purgeExpired: () => void) {
    this.#model = model;
    this.#sql = sql;
    this.#now = now;
    this.#purgeExpired = purgeExpired;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
    this.#purgeExpired();
    const expiresAt = typeof expiresIn === 'number' ? this.#now() + expiresIn : null;
    const consumedAt = typeof payload.consumed === 'number' ? payload.consumed : null;
    this.#sql.upsert.run(this.#model, id, JSON.stringify(payload), payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null, accountOf(payload) ?? null, expiresAt, consumedAt);
  }

  async find(id: string) {
    return this.#live(this.#sql.byId.get(this.#model, id));
  }

  async findByUid(uid: string) {
    return this.#live(this.#sql.byUid.get(this.#model, uid));
  }

  async findByUserCode(userCode: string) {
    return this.#live(this.#sql.byUserCode.get(this.#model, userCode));
  }

  async consume(id: string) {
    // Exactly one caller finds the row unconsumed and marks it; every other one is told it was already used.
    if (this.#sql.consume.run(this.#now(), this.#model, id).changes === 1) return;
    const grantId = revokesGrantOnReplay(this.#model) ? this.#sql.grantOf.get(this.#model, id)?.grant_id : undefined;
    if (grantId) this.#sql.revokeGrant.run(grantId, grantId);
    throw alreadyConsumed(this.#model, id);
  }

  async destroy(id: string) {
    this.#sql.destroy.run(this.#model, id);
  }

  async revokeByGrantId(grantId: string) {
    this.#sql.revokeByGrantId.run(this.#model, grantId);
  }

  #live(row: ModelRow | undefined): AdapterPayload | undefined {
    if (!row || (row.expires_at !== null && row.expires_at <= this.#now())) return undefined;
    const payload = JSON.parse(row.payload) as AdapterPayload;
    return row.consumed_at === null ? payload : { ...payload, consumed: row.consumed_at };
  }
}

function prepareStatements(db: SqliteDatabase) {
  const select = 'SELECT payload, expires_at, consumed_at FROM oidc_models WHERE model = ?';
  return {
    upsert: db.prepare<[string, string, string, string | null, string | null, string | null, string | null, number | null, number | null]>(
      `INSERT INTO oidc_models (model, id, payload, grant_id, uid, user_code, account_id, expires_at, consumed_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (model, id) DO UPDATE SET payload = excluded.payload, grant_id = excluded.grant_id, uid = excluded.uid,
         user_code = excluded.user_code, account_id = excluded.account_id, expires_at = excluded.expires_at,
         consumed_at = excluded.consumed_at`,
    ),
    byId: db.prepare<[string, string], ModelRow>(`${select} AND id = ?`),
    byUid: db.prepare<[string, string], ModelRow>(`${select} AND uid = ? ORDER BY rowid DESC LIMIT 1`),
    byUserCode: db.prepare<[string, string], ModelRow>(`${select} AND user_code = ? ORDER BY rowid DESC LIMIT 1`),
    consume: db.prepare<[number, string, string]>('UPDATE oidc_models SET consumed_at = ? WHERE model = ? AND id = ? AND consumed_at IS NULL'),
    grantOf: db.prepare<[string, string], { grant_id: string | null }>('SELECT grant_id FROM oidc_models WHERE model = ? AND id = ?'),
    revokeGrant: db.prepare<[string, string]>(
      `DELETE FROM oidc_models WHERE (grant_id = ? AND model IN (${GRANT_REVOKED_MODELS.map((model) => `'${model}'`).join(', ')}))
       OR (model = 'Grant' AND id = ?)`,
    ),
    destroy: db.prepare<[string, string]>('DELETE FROM oidc_models WHERE model = ? AND id = ?'),
    revokeByGrantId: db.prepare<[string, string]>('DELETE FROM oidc_models WHERE model = ? AND grant_id = ?'),
  };
}
