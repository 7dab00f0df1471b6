// The stores at the provider's edge: storage that cannot be reached or written answers 503 temporarily_unavailable (the one
// place that recognises it), and a one-time code consumed twice answers invalid_grant.
import Database from 'better-sqlite3';
import { errors, type Adapter, type AdapterConstructor, type AdapterPayload } from 'oidc-provider';
import { isMongoUnavailable } from '../adapters/mongodb/index.ts';
import { StoreError, type Stores } from '../adapters/types.ts';

/** What a client is told to wait before retrying (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 5;

/** SQLite result codes of a database that is locked, read-only, out of space or failing underneath: all pass. */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|READONLY|IOERR|FULL|CANTOPEN|PROTOCOL|NOLFS)(_|$)/;

/**
 * OAuth's own error for this case (RFC 6749 4.1.2.1), with the 503 status: oidc-provider's handlers answer it as
 * `{"error":"temporarily_unavailable",...}`, or redirect it to the client from the authorization endpoint.
 */
export class StorageUnavailableError extends errors.OIDCProviderError {
  constructor(cause: unknown) {
    super(503, 'temporarily_unavailable', { cause, detail: 'storage unavailable' });
    this.name = 'StorageUnavailableError';
    // Exposed: the standard body rather than server_error; it carries nothing internal.
    this.expose = true;
    this.error_description = 'the service is temporarily unavailable; try again in a few seconds';
  }
}

/** True for failures that pass by themselves when the database is back: never for bugs or bad data. */
export function isStorageFailure(error: unknown): boolean {
  if (error instanceof StorageUnavailableError) return true;
  if (error instanceof StoreError) return error.code === 'unavailable';
  if (error instanceof Database.SqliteError) return SQLITE_UNAVAILABLE.test(error.code);
  return isMongoUnavailable(error);
}

type Convert = (error: unknown) => unknown;

/**
 * Wraps every store method so that storage failures surface as StorageUnavailableError (`onFailure` sees the cause),
 * and the adapter's refusal to consume a model twice as the error oidc-provider answers a replay with.
 */
export function guardStores(stores: Stores, onFailure: (cause: unknown) => void): Stores {
  const convert: Convert = (error) => {
    if (error instanceof StorageUnavailableError || !isStorageFailure(error)) return error;
    onFailure(error);
    return new StorageUnavailableError(error);
  };
  return {
    accounts: guarded(stores.accounts, convert),
    authenticators: guarded(stores.authenticators, convert),
    events: guarded(stores.events, convert),
    attempts: guarded(stores.attempts, convert),
    audit: guarded(stores.audit, convert),
    clients: guarded(stores.clients, convert),
    recoverySecrets: guarded(stores.recoverySecrets, convert),
    sessions: guarded(stores.sessions, convert),
    resources: guarded(stores.resources, convert),
    OidcAdapter: guardedAdapterClass(stores.OidcAdapter, convert),
    close: () => stores.close(),
  };
}

async function run<T>(operation: () => Promise<T>, convert: Convert): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    throw convert(error);
  }
}

function guarded<T extends object>(store: T, convert: Convert): T {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => run(async () => value.apply(target, args) as unknown, convert);
    },
  });
}

function guardedAdapterClass(Inner: AdapterConstructor, convert: Convert): AdapterConstructor {
  return class GuardedAdapter implements Adapter {
    readonly #inner: Adapter;
    readonly #model: string;

    constructor(model: string) {
      this.#inner = new Inner(model);
      this.#model = model;
    }

    upsert(id: string, payload: AdapterPayload, expiresIn?: number) {
      return run(() => this.#inner.upsert(id, payload, expiresIn), convert);
    }
    find(id: string) {
      return run(() => this.#inner.find(id), convert);
    }
    findByUid(uid: string) {
      return run(() => this.#inner.findByUid(uid), convert);
    }
    findByUserCode(userCode: string) {
      return run(() => this.#inner.findByUserCode(userCode), convert);
    }
    consume(id: string) {
      return run(
        () => this.#inner.consume(id),
        (error) => replayError(this.#model, error) ?? convert(error),
      );
    }
    destroy(id: string) {
      return run(() => this.#inner.destroy(id), convert);
    }
    revokeByGrantId(grantId: string) {
      return run(() => this.#inner.revokeByGrantId(grantId), convert);
    }
  };
}

/** A consume() that lost (adapters/consume-once.ts): what oidc-provider itself answers when it sees the replay. */
function replayError(model: string, error: unknown): Error | undefined {
  if (!(error instanceof StoreError) || error.code !== 'conflict') return undefined;
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  return new errors.InvalidGrant(`${model} already consumed`);
}
