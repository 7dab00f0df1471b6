// Registered OAuth clients in SQLite: their metadata as JSON, keyed by client_id.
import type { ClientStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

type Metadata = Record<string, unknown>;

export function createClientStore(db: SqliteDatabase): ClientStore {
  const upsert = db.prepare<[string, string]>('INSERT INTO clients (client_id, metadata) VALUES (?, ?) ON CONFLICT (client_id) DO UPDATE SET metadata = excluded.metadata');
  const byId = db.prepare<[string], { metadata: string }>('SELECT metadata FROM clients WHERE client_id = ?');
  const all = db.prepare<[], { metadata: string }>('SELECT metadata FROM clients ORDER BY client_id');
  const remove = db.prepare<[string]>('DELETE FROM clients WHERE client_id = ?');

  return {
    async upsert(metadata) {
      upsert.run(metadata.client_id, JSON.stringify(metadata));
    },
    async get(clientId) {
      const row = byId.get(clientId);
      return row && (JSON.parse(row.metadata) as Metadata);
    },
    async list() {
      return all.all().map((row) => JSON.parse(row.metadata) as Metadata);
    },
    async remove(clientId) {
      return remove.run(clientId).changes === 1;
    },
  };
}
