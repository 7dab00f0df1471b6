// Classifies MongoDB driver errors: duplicate keys (a conflict) and failures that pass when the server is back (unavailable).
import { MongoError, MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { StoreError } from '../types.ts';

const DUPLICATE_KEY = 11000;

/** Server error codes that mean "not now" (no primary, shutting down, timed out), not "never". */
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  50, // MaxTimeMSExpired
  64, // WriteConcernTimeout
  89, // NetworkTimeout
  91, // ShutdownInProgress
  133, // FailedToSatisfyReadPreference
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** Driver errors (by name) raised while no connection can be had: closed or exhausted pools, a closed client. */
const UNAVAILABLE_NAMES = new Set([
  'MongoPoolClosedError',
  'MongoWaitQueueTimeoutError',
  'MongoTopologyClosedError',
  'MongoNotConnectedError',
  'MongoServerClosedError',
  'MongoClientClosedError',
  'MongoOperationTimeoutError',
]);

export function isDuplicateKey(error: unknown): error is MongoServerError {
  return error instanceof MongoServerError && Number(error.code) === DUPLICATE_KEY;
}

/** True for errors that mean the database cannot be reached or cannot take writes right now. */
function isMongoUnavailable(error: unknown): boolean {
  if (!(error instanceof MongoError)) return false;
  if (error instanceof MongoNetworkError || error instanceof MongoServerSelectionError) return true;
  if (UNAVAILABLE_NAMES.has(error.name)) return true;
  if (error.hasErrorLabel('RetryableWriteError') || error.hasErrorLabel('TransientTransactionError')) return true;
  if (error.hasErrorLabel('SystemOverloadedError')) return true;
  return typeof error.code === 'number' && TRANSIENT_CODES.has(error.code);
}

/** Maps a driver error to StoreError('unavailable') when it will pass by itself; every other error stays as it is. */
export function mongoStoreError(error: unknown): unknown {
  if (!isMongoUnavailable(error)) return error;
  return new StoreError('unavailable', `MongoDB unavailable (${(error as MongoError).name}): ${(error as MongoError).message}`, { cause: error });
}

/**
 * Runs an upsert again when it raced another upsert of the same key: the loser of two concurrent inserts gets a
 * duplicate key error (the server retries most such upserts itself; this covers the rest).
 */
export async function retryOnDuplicateKey<T>(operation: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await operation();
    } catch (error) {
      if (!isDuplicateKey(error) || attempt >= attempts) throw error;
    }
  }
}
