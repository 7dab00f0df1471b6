// Counts an account's current set of recovery secrets: the newest set, should an engine briefly hold two.
import type { RecoverySecretSummary } from './types.ts';

export interface StoredSecret {
  setId: string;
  createdAt: number;
  expiresAt?: number;
  usedAt?: number;
}

export function summarizeSecrets(secrets: StoredSecret[], now: number): RecoverySecretSummary | undefined {
  const newest = secrets.reduce<StoredSecret | undefined>((best, s) => (!best || s.createdAt > best.createdAt ? s : best), undefined);
  if (!newest) return undefined;
  const set = secrets.filter((s) => s.setId === newest.setId);
  return {
    setId: newest.setId,
    createdAt: Math.min(...set.map((s) => s.createdAt)),
    total: set.length,
    remaining: set.filter((s) => s.usedAt === undefined && (s.expiresAt === undefined || s.expiresAt > now)).length,
    ...(set.some((s) => s.usedAt !== undefined) && { lastUsedAt: Math.max(...set.map((s) => s.usedAt ?? 0)) }),
  };
}
