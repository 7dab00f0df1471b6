// The MongoDB indexes the stores rely on (uniqueness, lookups, TTL clean-up): created by `db migrate`, verified at start.
// A server may refuse an index for lack of a feature (FerretDB 1.x has no TTL indexes): for the indexes whose job has
// another path (WHEN_REFUSED) the refusal is recorded, reported and accepted; any other refusal fails the migration.
import { MongoServerError, type Db, type Document, type IndexDescription } from 'mongodb';
import { ACCOUNT_MODELS } from '../account-models.ts';
import { GRANT_REVOKED_MODELS } from '../consume-once.ts';
import type { SchemaRefusal } from '../storage-engine.ts';
import { StoreError } from '../types.ts';
import { credentialKeyOf } from './authenticators.ts';
import { retryOnDuplicateKey } from './errors.ts';
import { COLLECTIONS, INDEX_REFUSALS, OIDC_MODELS, modelCollection, type AuthenticatorDoc, type IndexRefusalDoc } from './collections.ts';
import { EXPIRY_PURGE_INTERVAL_SECONDS, TTL_INDEX } from './expiry-purge.ts';
import { serverIdentity } from './server-identity.ts';

export interface IndexSpec extends IndexDescription {
  name: string;
  key: Record<string, 1 | -1>;
}

/** Deletes a document once its `expiresAt` has passed; reads check the expiry themselves, since deletion is lazy. */
const ttl: IndexSpec = { name: TTL_INDEX, key: { expiresAt: 1 }, expireAfterSeconds: 0 };

/** What still holds when the server refuses the index, by index name; indexes not listed here cannot be done without. */
const WHEN_REFUSED: Readonly<Record<string, string>> = {
  [TTL_INDEX]: `nothing relies on when expired documents go (reads that care compare expiresAt with the clock), and each instance deletes them every ${EXPIRY_PURGE_INTERVAL_SECONDS} s`,
};

/** The server error for an option or index kind it does not implement (FerretDB: `Index option "…" is not implemented yet`). */
const NOT_IMPLEMENTED = 238;

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

/** Every index, by collection. No partial indexes: uniqueness comes from keys every document has, or from `_id`. */
export const MONGO_INDEXES: ReadonlyMap<string, readonly IndexSpec[]> = new Map<string, IndexSpec[]>([
  [COLLECTIONS.accounts, [{ name: 'unique_username_key', key: { usernameKey: 1 }, unique: true }]],
  [
    COLLECTIONS.authenticators,
    [
      { name: 'by_account', key: { accountId: 1, createdAt: 1, seq: 1 } },
      // credentialKeyOf (authenticators.ts): the credential id for passkeys, the authenticator's id for the rest.
      { name: 'unique_credential_key', key: { credentialKey: 1 }, unique: true },
    ],
  ],
  [COLLECTIONS.authEvents, [{ name: 'unique_session_event', key: { sessionUid: 1, eventId: 1 }, unique: true }, ttl]],
  [COLLECTIONS.attempts, [{ name: 'by_key_version', key: { key: 1, version: -1 } }, ttl]],
  [
    COLLECTIONS.audit,
    [
      // The chain's seq is the _id of the events appended since (audit.ts): one event per seq without another index.
      { name: 'by_seq', key: { seq: -1, _id: -1 } },
      { name: 'by_account_seq', key: { accountId: 1, seq: -1, _id: -1 } },
      { name: 'by_type_seq', key: { type: 1, seq: -1, _id: -1 } },
    ],
  ],
  [COLLECTIONS.clients, []],
  // The resource indicator is the _id: unique without an index of ours.
  [COLLECTIONS.resources, []],
  [
    COLLECTIONS.recoverySecrets,
    [
      { name: 'unique_kind_hash', key: { kind: 1, hash: 1 }, unique: true },
      { name: 'by_account', key: { accountId: 1, kind: 1 } },
    ],
  ],
  [COLLECTIONS.recoverySecretUses, [{ name: 'by_account', key: { accountId: 1, kind: 1 } }]],
  [COLLECTIONS.singleUse, [ttl]],
  ...OIDC_MODELS.map((model): [string, IndexSpec[]] => [modelCollection(model), modelIndexes(model)]),
]);

export interface MigrationReport {
  created: string[];
  existing: string[];
  /** Refused by the server, with a fallback: the migration still succeeds. */
  refused: SchemaRefusal[];
}

export interface IndexStatus {
  /** `collection.index` names that do not exist yet (and that this server did not refuse). */
  missing: string[];
  /** Names that exist with another key or options: migrate refuses to touch them. */
  different: string[];
  /** Names that `db migrate` asked this server for and it refused, with a fallback: nothing to do. */
  refused: SchemaRefusal[];
}

/** Creates the collections and every missing index; idempotent, and safe to run from several places at once. */
export async function createMongoIndexes(db: Db): Promise<MigrationReport> {
  const status = await mongoIndexStatus(db);
  if (status.different.length > 0) {
    throw new StoreError('conflict', `indexes exist with other keys or options: ${status.different.join(', ')}; drop them (db.<collection>.dropIndex("<name>")) and run db migrate again`);
  }
  const server = (await serverIdentity(db)).label;
  const absent = new Set([...status.missing, ...status.refused.map((refusal) => refusal.name)]);
  const existingCollections = new Set((await db.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name));
  const refusals = db.collection<IndexRefusalDoc>(INDEX_REFUSALS);
  const report: MigrationReport = { created: [], existing: [], refused: [] };
  await fillCredentialKeys(db);
  for (const [collection, specs] of MONGO_INDEXES) {
    if (!existingCollections.has(collection)) await createCollection(db, collection);
    for (const spec of specs) {
      const name = `${collection}.${spec.name}`;
      if (!absent.has(name)) {
        report.existing.push(name);
        continue;
      }
      try {
        await db.collection(collection).createIndexes([spec]);
        await refusals.deleteOne({ _id: name });
        report.created.push(name);
      } catch (error) {
        const fallback = WHEN_REFUSED[spec.name];
        if (!(error instanceof MongoServerError && Number(error.code) === NOT_IMPLEMENTED && fallback)) throw error;
        const reason = `${server}: ${error.message}`;
        // Instances starting at once in development migrate at once: the loser of the insert race updates instead.
        await retryOnDuplicateKey(() => refusals.replaceOne({ _id: name }, { server, reason, at: new Date() }, { upsert: true }));
        report.refused.push({ name, reason, fallback });
      }
    }
  }
  return report;
}

/** Compares the database's indexes with the specification (key, unique, TTL, partial filter). */
export async function mongoIndexStatus(db: Db): Promise<IndexStatus> {
  const status: IndexStatus = { missing: [], different: [], refused: [] };
  const refused = await refusedBy(db, (await serverIdentity(db)).label);
  for (const [collection, specs] of MONGO_INDEXES) {
    const present = new Map((await listIndexes(db, collection)).map((index) => [String(index.name), index]));
    for (const spec of specs) {
      const name = `${collection}.${spec.name}`;
      const found = present.get(spec.name);
      const refusal = refused.get(name);
      if (found && !sameIndex(spec, found)) status.different.push(name);
      else if (!found && refusal) status.refused.push({ name, reason: refusal.reason, fallback: WHEN_REFUSED[spec.name]! });
      else if (!found) status.missing.push(name);
    }
  }
  return status;
}

/** This server's refusals that still apply: one recorded for another server (e.g. before an upgrade) is tried again. */
async function refusedBy(db: Db, server: string): Promise<Map<string, IndexRefusalDoc>> {
  const docs = await db.collection<IndexRefusalDoc>(INDEX_REFUSALS).find({ server }).toArray();
  return new Map(docs.filter((doc) => WHEN_REFUSED[doc._id.slice(doc._id.lastIndexOf('.') + 1)] !== undefined).map((doc) => [doc._id, doc]));
}

/** Authenticators stored before credentialKey existed get theirs, so that the unique index can be built. */
async function fillCredentialKeys(db: Db): Promise<void> {
  const authenticators = db.collection<AuthenticatorDoc>(COLLECTIONS.authenticators);
  for await (const doc of authenticators.find({ credentialKey: { $exists: false } }, { projection: { credentialId: 1 } })) {
    await authenticators.updateOne({ _id: doc._id }, { $set: { credentialKey: credentialKeyOf(doc._id, doc.credentialId) } });
  }
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
