// The stores at the provider's edge: a StoreError('unavailable') from an engine (each engine maps its own driver's errors,
// adapters/*/errors.ts) answers 503 temporarily_unavailable, and a one-time code consumed twice answers invalid_grant.
import { errors } from 'oidc-provider';
import { forwardingAdapterClass } from '../adapters/adapter-forwarder.ts';
import { wrapStoreCalls, type AroundStoreCall } from '../adapters/store-calls.ts';
import { StoreError, type Stores } from '../adapters/types.ts';

/** What a client is told to wait before retrying (the Retry-After header). */
export const RETRY_AFTER_SECONDS = 5;

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
  return error instanceof StoreError && error.code === 'unavailable';
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
  const guarded: AroundStoreCall = (call) => run(call, convert);
  return {
    ...wrapStoreCalls(stores, guarded),
    OidcAdapter: forwardingAdapterClass(
      (model) => new stores.OidcAdapter(model),
      (model, method, call) => run(call, method === 'consume' ? (error) => replayError(model, error) ?? convert(error) : convert),
    ),
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

/** A consume() that lost (adapters/consume-once.ts): what oidc-provider itself answers when it sees the replay. */
function replayError(model: string, error: unknown): Error | undefined {
  if (!(error instanceof StoreError) || error.code !== 'conflict') return undefined;
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  return new errors.InvalidGrant(`${model} already consumed`);
}
