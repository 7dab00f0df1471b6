// Registered OAuth clients in MongoDB: their metadata as JSON, keyed by client_id.
import type { Db } from 'mongodb';
import type { ClientStore } from '../types.ts';
import { COLLECTIONS, type ClientDoc } from './collections.ts';
import { retryOnDuplicateKey } from './errors.ts';

type Metadata = Record<string, unknown>;

export function createClientStore(db: Db): ClientStore {
  const clients = db.collection<ClientDoc>(COLLECTIONS.clients);

  return {
    async upsert(metadata) {
      await retryOnDuplicateKey(() => clients.replaceOne({ _id: metadata.client_id }, { metadata: JSON.stringify(metadata) }, { upsert: true }));
    },
    async get(clientId) {
      const doc = await clients.findOne({ _id: clientId });
      return doc ? (JSON.parse(doc.metadata) as Metadata) : undefined;
    },
    async list() {
      const docs = await clients.find({}).sort({ _id: 1 }).toArray();
      return docs.map((doc) => JSON.parse(doc.metadata) as Metadata);
    },
    async remove(clientId) {
      return (await clients.deleteOne({ _id: clientId })).deletedCount === 1;
    },
  };
}
