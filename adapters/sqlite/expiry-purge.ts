// Lazily deletes expired OIDC models, auth events and windowed attempt counters, at most once per interval.
import type { SqliteDatabase } from './database.ts';

const PURGE_INTERVAL_SECONDS = 60;

export function createExpiryPurge(db: SqliteDatabase, now: () => number): () => void {
  const purgeModels = db.prepare<[number]>('DELETE FROM oidc_models WHERE expires_at <= ?');
  const purgeEvents = db.prepare<[number]>('DELETE FROM auth_events WHERE expires_at <= ?');
  const purgeAttempts = db.prepare<[number]>('DELETE FROM attempts WHERE expires_at <= ?');
  const purge = db.transaction((at: number) => {
    purgeModels.run(at);
    purgeEvents.run(at);
    purgeAttempts.run(at);
  });
  let lastPurge = -Infinity;
  return () => {
    const at = now();
    if (at - lastPurge < PURGE_INTERVAL_SECONDS) return;
    lastPurge = at;
    purge.immediate(at);
  };
}
