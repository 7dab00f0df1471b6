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

interface OpenOptions {
  /** Production never changes a shared database's schema at start; it refuses to start on one that is not ready. */
  production: boolean;
  /** The schema was prepared by whoever started this process (a cluster's primary): open without preparing again. */
  prepared?: boolean;
}

export interface StorageEngine {
  /** Opens the stores, the schema brought up to date or checked as `options` say; StoreError('unavailable') when unreachable. */
  open(options: OpenOptions): Promise<Stores>;
  /** How far the schema is, changing nothing. */
  status(): Promise<SchemaState>;
  /** Creates what is missing and reports it; safe to run again, and while instances are running. */
  migrate(): Promise<SchemaMigration>;
}
