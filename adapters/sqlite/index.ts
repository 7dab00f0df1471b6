// Opens every store on one embedded SQLite database.
import { mappingErrors, wrapStoreCalls } from '../store-calls.ts';
import type { Stores } from '../types.ts';
import { createAccountSessionStore } from './account-sessions.ts';
import { createAccountStore } from './accounts.ts';
import { createAttemptStore } from './attempts.ts';
import { createAuditStore } from './audit.ts';
import { createAuthEventStore } from './auth-events.ts';
import { createAuthenticatorStore } from './authenticators.ts';
import { createClientStore } from './clients.ts';
import { openDatabase } from './database.ts';
import { sqliteStoreError } from './errors.ts';
import { createExpiryPurge } from './expiry-purge.ts';
import { createOidcAdapterClass } from './oidc-adapter.ts';
import { createRecoverySecretStore } from './recovery-secrets.ts';
import { createResourceStore } from './resources.ts';
import { writeBatches } from './write-batches.ts';

export interface SqliteStoresOptions {
  /** The database file (its directory is created if missing), or ':memory:'. */
  file: string;
  /** Epoch seconds; decides when OIDC models expire. */
  now?: () => number;
}

/** Every store's errors come out as StoreError where they are the database's (errors.ts). */
export function openSqliteStores(options: SqliteStoresOptions): Stores {
  const db = openDatabase(options.file);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const purgeExpired = createExpiryPurge(db, now);
  const clients = createClientStore(db);
  const around = mappingErrors(sqliteStoreError);
  const batches = writeBatches(db);
  const stores: Stores = {
    accounts: createAccountStore(db),
    authenticators: createAuthenticatorStore(db),
    events: createAuthEventStore(db, batches, purgeExpired),
    attempts: createAttemptStore(db, purgeExpired),
    audit: createAuditStore(db, batches),
    clients,
    recoverySecrets: createRecoverySecretStore(db),
    sessions: createAccountSessionStore(db),
    resources: createResourceStore(db),
    OidcAdapter: createOidcAdapterClass(db, clients, now, purgeExpired, around.adapter),
    async close() {
      batches.flush();
      db.close();
    },
  };
  return wrapStoreCalls(stores, around.store);
}
