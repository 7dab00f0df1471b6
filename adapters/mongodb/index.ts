// Opens every store on one MongoDB database: the production storage, shared by every provider instance.
import type { Db } from 'mongodb';
import { mappingErrors, wrapStoreCalls } from '../store-calls.ts';
import type { Stores } from '../types.ts';
import { createAccountSessionStore } from './account-sessions.ts';
import { createAccountStore } from './accounts.ts';
import { createAttemptStore } from './attempts.ts';
import { createAuditStore } from './audit.ts';
import { createAuthEventStore } from './auth-events.ts';
import { createAuthenticatorStore } from './authenticators.ts';
import { createClientStore } from './clients.ts';
import { connectMongo } from './connect.ts';
import { mongoStoreError } from './errors.ts';
import { startExpiryPurge } from './expiry-purge.ts';
import { createOidcAdapterClass } from './oidc-adapter.ts';
import { createRecoverySecretStore } from './recovery-secrets.ts';
import { createResourceStore } from './resources.ts';

export { createMongoIndexes, mongoIndexStatus } from './indexes.ts';
export { serverIdentity, type ServerIdentity } from './server-identity.ts';

export interface MongoStoresOptions {
  /** mongodb:// or mongodb+srv:// connection string. */
  uri: string;
  dbName: string;
  /** Epoch seconds; decides when OIDC models expire. */
  now?: () => number;
  /** How often expired documents are deleted where the server has no TTL indexes (expiry-purge.ts); default 60 s. */
  expiryPurgeIntervalMs?: number;
}

export interface MongoStores extends Stores {
  /** For index creation and checks (`db migrate`), and for tests. */
  readonly db: Db;
  /** Runs one round of the expiry purge now (tests); rounds also run on their interval until close(). */
  purgeExpired(): Promise<string[]>;
}

/**
 * Connects (failing with StoreError 'unavailable' if the server cannot be reached) and returns the stores, whose errors
 * come out as StoreError where they are the server's (errors.ts).
 */
export async function openMongoStores(options: MongoStoresOptions): Promise<MongoStores> {
  const client = await connectMongo(options.uri);
  const db = client.db(options.dbName);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const clients = createClientStore(db);
  const purge = startExpiryPurge(db, options.expiryPurgeIntervalMs);
  const around = mappingErrors(mongoStoreError);
  const stores: Stores = {
    accounts: createAccountStore(db),
    authenticators: createAuthenticatorStore(db),
    events: createAuthEventStore(db),
    attempts: createAttemptStore(db),
    audit: createAuditStore(db),
    clients,
    recoverySecrets: createRecoverySecretStore(db),
    sessions: createAccountSessionStore(db),
    resources: createResourceStore(db),
    OidcAdapter: createOidcAdapterClass(db, clients, now, around.adapter),
    async close() {
      await purge.stop();
      await client.close();
    },
  };
  return { ...wrapStoreCalls(stores, around.store), db, purgeExpired: purge.runOnce };
}
