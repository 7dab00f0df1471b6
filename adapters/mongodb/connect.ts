// Connects to MongoDB with bounded timeouts (unless the URI sets its own); the URI's credentials never appear in messages.
import { MongoClient, type MongoClientOptions } from 'mongodb';
import { StoreError } from '../types.ts';

/** A request waits at most this long for a reachable server before it fails (and the provider answers 503). */
const DEFAULT_TIMEOUTS = {
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 5_000,
  socketTimeoutMS: 30_000,
  waitQueueTimeoutMS: 5_000,
} as const;

/** The URI with any user name and password replaced, for messages and logs. */
export function redactMongoUri(uri: string): string {
  return uri.replace(/^(mongodb(?:\+srv)?:\/\/)[^@/]*@/, '$1***@');
}

function mongoClientOptions(uri: string): MongoClientOptions {
  const query = uri.includes('?') ? uri.slice(uri.indexOf('?') + 1) : '';
  const given = new Set([...new URLSearchParams(query).keys()].map((key) => key.toLowerCase()));
  const timeouts = Object.fromEntries(Object.entries(DEFAULT_TIMEOUTS).filter(([name]) => !given.has(name.toLowerCase())));
  return {
    ...timeouts,
    ...(!given.has('appname') && { appName: 'stepup-oidc' }),
    // Optional fields left undefined are omitted, as in the embedded store's JSON, instead of stored as null.
    ignoreUndefined: true,
  };
}

export async function connectMongo(uri: string): Promise<MongoClient> {
  let client: MongoClient;
  try {
    client = new MongoClient(uri, mongoClientOptions(uri));
  } catch (error) {
    throw new StoreError('unavailable', `invalid MongoDB URI ${redactMongoUri(uri)}: ${(error as Error).message}`);
  }
  try {
    await client.connect();
    return client;
  } catch (error) {
    await client.close().catch(() => undefined);
    const failure = new StoreError('unavailable', `cannot connect to MongoDB at ${redactMongoUri(uri)}: ${(error as Error).message}`);
    failure.cause = error;
    throw failure;
  }
}
