// The resource servers operators register, in MongoDB: one document per resource indicator, which is its _id (unique
// through MongoDB's own _id index, so no index of ours can be missing on a server that refuses some).
import type { Db } from 'mongodb';
import { StoreError, type ResourceRecord, type ResourceStore } from '../types.ts';
import { COLLECTIONS, type ResourceDoc } from './collections.ts';
import { isDuplicateKey } from './errors.ts';

export function createResourceStore(db: Db): ResourceStore {
  const resources = db.collection<ResourceDoc>(COLLECTIONS.resources);

  return {
    async add(resource) {
      try {
        await resources.insertOne(toDoc(resource));
      } catch (error) {
        if (isDuplicateKey(error)) throw new StoreError('conflict', `a resource ${resource.indicator} is registered already`);
        throw error;
      }
    },
    async replace(resource) {
      return (await resources.replaceOne({ _id: resource.indicator }, toDoc(resource))).matchedCount === 1;
    },
    async get(indicator) {
      const doc = await resources.findOne({ _id: indicator });
      return doc ? toResource(doc) : undefined;
    },
    async list() {
      return (await resources.find({}).sort({ _id: 1 }).toArray()).map(toResource);
    },
    async remove(indicator) {
      return (await resources.deleteOne({ _id: indicator })).deletedCount === 1;
    },
  };
}

function toDoc(resource: ResourceRecord): ResourceDoc {
  const { indicator, accessTokenTTL, minAcr, format, ...rest } = resource;
  return { _id: indicator, ...rest, format: formatOf(format), ...(accessTokenTTL !== undefined && { accessTokenTTL }), ...(minAcr !== undefined && { minAcr }) };
}

function toResource(doc: ResourceDoc): ResourceRecord {
  return {
    indicator: doc._id,
    scope: doc.scope,
    ...(doc.accessTokenTTL !== undefined && { accessTokenTTL: doc.accessTokenTTL }),
    dpop: doc.dpop,
    ...(doc.minAcr !== undefined && { minAcr: doc.minAcr }),
    format: formatOf(doc.format),
    alg: doc.alg,
    createdAt: doc.createdAt,
  };
}

/** Only `opaque` is opaque: a document without a format (written before formats existed) gets JWTs, as it did. */
function formatOf(format: string | undefined): ResourceRecord['format'] {
  return format === 'opaque' ? 'opaque' : 'jwt';
}
