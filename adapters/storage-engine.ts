// What a storage engine offers beyond the stores: opening them ready for use, and the schema's state and migration for
// `db status` and `db migrate`. Each engine implements it (adapters/sqlite/engine.ts, adapters/mongodb/engine.ts).
import type { Stores } from './types.ts';

/** Something the server refused to create, why, and what holds instead (MongoDB on FerretDB: no TTL indexes). */
export interface SchemaRefusal {
  name: string;
  reason: string;
  fallback: string;
}

interface SchemaState {
  /** Which database, without credentials. */
  where: string;
  /** What `db migrate` would add: SQLite schema versions, or MongoDB indexes (`collection.name`). */
  pending: string[];
  /** Already in place. */
  present: string[];
  /** MongoDB indexes of the right name with other keys or options; `db migrate` refuses to replace them. */
  conflicting: string[];
  /** What this server refused, why, and what holds instead: nothing to do. */
  refused: SchemaRefusal[];
}

interface SchemaMigration {
  where: string;
  applied: string[];
  present: string[];
  refused: SchemaRefusal[];
}

/**
 * What opening does to the schema. 'migrate': brings it up to date (development); 'check': refuses to start on one that
 * is not ready where changing it at start is not safe (production MongoDB: several instances starting at once, and an
 * operator who decides when); 'prepared': whoever started this process (a cluster's primary) did one of those already.
 * SQLite migrates on every open: in one IMMEDIATE transaction, so concurrent openers apply each version once.
 */
type SchemaAtOpen = 'migrate' | 'check' | 'prepared';

export interface StorageEngine {
  /** Opens the stores, doing to the schema what `schema` says; StoreError('unavailable') when the database cannot be reached. */
  open(schema: SchemaAtOpen): Promise<Stores>;
  /** How far the schema is, changing nothing. */
  status(): Promise<SchemaState>;
  /** Creates what is missing and reports it; safe to run again, and while instances are running. */
  migrate(): Promise<SchemaMigration>;
}
