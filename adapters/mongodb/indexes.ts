// The MongoDB indexes the stores rely on (uniqueness, lookups, TTL clean-up): created by `db migrate`, verified at start.
import { MongoServerError, type Db, type Document, type IndexDescription } from 'mongodb';
import { ACCOUNT_MODELS } from '../account-models.ts';
import { GRANT_REVOKED_MODELS } from '../consume-once.ts';
import { StoreError } from '../types.ts';
import { COLLECTIONS, OIDC_MODELS, modelCollection } from './collections.ts';

export interface IndexSpec extends IndexDescription {
  name: string;
  key: Record<string, 1 | -1>;
}

/** Deletes a document once its `expiresAt` has passed; reads check the expiry themselves, since deletion is lazy. */
const ttl: IndexSpec = { name: 'expiry_ttl', key: { expiresAt: 1 }, expireAfterSeconds: 0 };

const GRANT_LOOKUP = new Set<string>(GRANT_REVOKED_MODELS);
const ACCOUNT_LOOKUP = new Set<string>(ACCOUNT_MODELS);

function modelIndexes(model: string): IndexSpec[] {
  return [
    ttl,
    ...(GRANT_LOOKUP.has(model) ? [{ name: 'by_grant', key: { grantId: 1 } } as IndexSpec] : []),
    ...(ACCOUNT_LOOKUP.has(model) ? [{ name: 'by_account', key: { accountId: 1 } } as IndexSpec] : []),
    ...(model === 'Session' ? [{ name: 'by_uid', key: { uid: 1 } } as IndexSpec] : []),
    ...(model === 'DeviceCode' ? [{ name: 'by_user_code', key: { userCode: 1 } } as IndexSpec] : []),
  ];
}

/** Every index, by collection. */
export const MONGO_INDEXES: ReadonlyMap<string, readonly IndexSpec[]> = new Map<string, IndexSpec[]>([
  [COLLECTIONS.accounts, [{ name: 'unique_username_key', key: { usernameKey: 1 }, unique: true }]],
  [
    COLLECTIONS.authenticators,
    [
      { name: 'by_account', key: { accountId: 1, createdAt: 1, seq: 1 } },
      { name: 'unique_credential_id', key: { credentialId: 1 }, unique: true, partialFilterExpression: { credentialId: { $type: 'string' } } },
    ],
  ],
  [COLLECTIONS.authEvents, [{ name: 'unique_session_event', key: { sessionUid: 1, eventId: 1 }, unique: true }, ttl]],
  [COLLECTIONS.attempts, [ttl]],
  [
    COLLECTIONS.audit,
    [
      { name: 'by_account', key: { accountId: 1, _id: -1 } },
      { name: 'by_type', key: { type: 1, _id: -1 } },
      // One event per seq: the audit chain's appends race on it (audit.ts). Events from before the chain have no seq.
      { name: 'unique_seq', key: { seq: 1 }, unique: true, partialFilterExpression: { seq: { $exists: true } } },
    ],
  ],
  [COLLECTIONS.clients, []],
  [
    COLLECTIONS.recoverySecrets,
    [
      { name: 'unique_kind_hash', key: { kind: 1, hash: 1 }, unique: true },
      { name: 'by_account', key: { accountId: 1, kind: 1 } },
    ],
  ],
  ...OIDC_MODELS.map((model): [string, IndexSpec[]] => [modelCollection(model), modelIndexes(model)]),
]);

export interface MigrationReport {
  created: string[];
  existing: string[];
}

export interface IndexStatus {
  /** `collection.index` names that do not exist yet. */
  missing: string[];
  /** Names that exist with another key or options: migrate refuses to touch them. */
  different: string[];
}

/** Creates the collections and every missing index; idempotent, and safe to run from several places at once. */
export async function createMongoIndexes(db: Db): Promise<MigrationReport> {
  const status = await mongoIndexStatus(db);
  if (status.different.length > 0) {
    throw new StoreError(
      'conflict',
      `indexes exist with other keys or options: ${status.different.join(', ')}; drop them (db.<collection>.dropIndex("<name>")) and run db migrate again`,
    );
  }
  const existingCollections = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const report: MigrationReport = { created: [], existing: [] };
  for (const [collection, specs] of MONGO_INDEXES) {
    if (!existingCollections.has(collection)) await createCollection(db, collection);
    if (specs.length > 0) await db.collection(collection).createIndexes([...specs]);
    for (const spec of specs) {
      const name = `${collection}.${spec.name}`;
      (status.missing.includes(name) ? report.created : report.existing).push(name);
    }
  }
  return report;
}

/** Compares the database's indexes with the specification (key, unique, TTL, partial filter). */
export async function mongoIndexStatus(db: Db): Promise<IndexStatus> {
  const status: IndexStatus = { missing: [], different: [] };
  for (const [collection, specs] of MONGO_INDEXES) {
    const present = new Map((await listIndexes(db, collection)).map((index) => [String(index.name), index]));
    for (const spec of specs) {
      const found = present.get(spec.name);
      if (!found) status.missing.push(`${collection}.${spec.name}`);
      else if (!sameIndex(spec, found)) status.different.push(`${collection}.${spec.name}`);
    }
  }
  return status;
}

async function listIndexes(db: Db, collection: string): Promise<Document[]> {
  try {
    return await db.collection(collection).listIndexes().toArray();
  } catch (error) {
    if (error instanceof MongoServerError && Number(error.code) === 26) return []; // NamespaceNotFound
    throw error;
  }
}

async function createCollection(db: Db, name: string): Promise<void> {
  try {
    await db.createCollection(name);
  } catch (error) {
    if (error instanceof MongoServerError && Number(error.code) === 48) return; // NamespaceExists: another migrate won
    throw error;
  }
}

function sameIndex(spec: IndexSpec, found: Document): boolean {
  return (
    JSON.stringify(found.key) === JSON.stringify(spec.key) &&
    Boolean(found.unique) === Boolean(spec.unique) &&
    (found.expireAfterSeconds as number | undefined) === spec.expireAfterSeconds &&
    JSON.stringify(found.partialFilterExpression) === JSON.stringify(spec.partialFilterExpression)
  );
}
