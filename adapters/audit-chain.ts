// The audit hash chain shared by every store: seq numbering, hashing and verification over a seq-ordered reader.
import { createHash } from 'node:crypto';
import type { AuditEvent, AuditVerification, ChainedAuditEvent } from './types.ts';

/** The "previous hash" of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** How many events a verification or an export reads at a time. */
export const CHAIN_PAGE_SIZE = 500;

/** JSON with object keys sorted at every level, so that a hash does not depend on property order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The event exactly as it round-trips through JSON (no undefined members), which is what stores keep and hash. */
export function storedForm(event: AuditEvent): AuditEvent {
  return JSON.parse(JSON.stringify(event)) as AuditEvent;
}

export function chainHash(prevHash: string, seq: number, event: AuditEvent): string {
  return createHash('sha256').update(prevHash).update(canonicalJson({ ...event, seq })).digest('hex');
}

/** The seq and hash of the event that follows `last` (undefined for an empty store). */
export function nextLink(last: { seq: number; hash: string } | undefined, event: AuditEvent): { seq: number; hash: string } {
  const seq = (last?.seq ?? 0) + 1;
  return { seq, hash: chainHash(last?.hash ?? GENESIS_HASH, seq, event) };
}

export type ChainReader = (afterSeq: number, limit: number) => Promise<ChainedAuditEvent[]>;

/** Walks the chain from seq 1: a missing seq, an altered, moved or unchained event each stop it at that seq. */
export async function verifyChain(read: ChainReader): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let expected = 1;
  for (;;) {
    const page = await read(expected - 1, CHAIN_PAGE_SIZE);
    for (const { seq, hash, event } of page) {
      if (seq !== expected) return { ok: false, seq: expected, reason: `event ${expected} is missing (the next stored event is ${seq})` };
      if (chainHash(prevHash, seq, event) !== hash) {
        return { ok: false, seq, reason: 'hash mismatch: the event was altered or moved, or its predecessor\'s hash was' };
      }
      prevHash = hash;
      expected += 1;
    }
    if (page.length < CHAIN_PAGE_SIZE) return { ok: true, count: expected - 1 };
  }
}
