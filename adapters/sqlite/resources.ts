// The resource servers operators register, in SQLite: one row per resource indicator (the primary key).
import { StoreError, type ResourceRecord, type ResourceStore } from '../types.ts';
import type { SqliteDatabase } from './database.ts';

interface ResourceRow {
  indicator: string;
  scope: string;
  access_token_ttl: number | null;
  dpop: number;
  min_acr: string | null;
  alg: string;
  format: string;
  created_at: number;
}

type Rest = [string, number | null, number, string | null, string, string, number];
type Values = [string, ...Rest];

const COLUMNS = 'indicator, scope, access_token_ttl, dpop, min_acr, alg, format, created_at';

export function createResourceStore(db: SqliteDatabase): ResourceStore {
  const insert = db.prepare<Values>(`INSERT INTO resources (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (indicator) DO NOTHING`);
  const update = db.prepare<[...Rest, string]>('UPDATE resources SET scope = ?, access_token_ttl = ?, dpop = ?, min_acr = ?, alg = ?, format = ?, created_at = ? WHERE indicator = ?');
  const byIndicator = db.prepare<[string], ResourceRow>(`SELECT ${COLUMNS} FROM resources WHERE indicator = ?`);
  const all = db.prepare<[], ResourceRow>(`SELECT ${COLUMNS} FROM resources ORDER BY indicator`);
  const remove = db.prepare<[string]>('DELETE FROM resources WHERE indicator = ?');

  return {
    async add(resource) {
      if (insert.run(...values(resource)).changes === 0) throw new StoreError('conflict', `a resource ${resource.indicator} is registered already`);
    },
    async replace(resource) {
      const [indicator, ...rest] = values(resource);
      return update.run(...rest, indicator).changes === 1;
    },
    async get(indicator) {
      const row = byIndicator.get(indicator);
      return row && toResource(row);
    },
    async list() {
      return all.all().map(toResource);
    },
    async remove(indicator) {
      return remove.run(indicator).changes === 1;
    },
  };
}

function values(resource: ResourceRecord): Values {
  return [resource.indicator, resource.scope, resource.accessTokenTTL ?? null, resource.dpop ? 1 : 0, resource.minAcr ?? null, resource.alg, formatOf(resource.format), resource.createdAt];
}

function toResource(row: ResourceRow): ResourceRecord {
  return {
    indicator: row.indicator,
    scope: row.scope,
    ...(row.access_token_ttl !== null && { accessTokenTTL: row.access_token_ttl }),
    dpop: row.dpop === 1,
    ...(row.min_acr !== null && { minAcr: row.min_acr }),
    format: formatOf(row.format),
    alg: row.alg,
    createdAt: row.created_at,
  };
}

/** Only `opaque` is opaque: anything else (a record written without a format) gets JWTs, as before formats existed. */
function formatOf(format: string | undefined): ResourceRecord['format'] {
  return format === 'opaque' ? 'opaque' : 'jwt';
}
