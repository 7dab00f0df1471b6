// The audit hash chain shared by every store: seq numbering, hashing and verification over a seq-ordered reader.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditVerification, ChainedAuditEvent, StoredAuditEvent } from './types.ts';

/** The "previous hash" of the first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** How many events a verification or an export reads at a time. */
export const CHAIN_PAGE_SIZE = 500;

/**
 * The hash version of events appended now: the canonical JSON is RFC 8785's (the JSON Canonicalization Scheme, as the
 * `canonicalize` package implements it), and the hashed object carries `v: 2`. Events without `v` were hashed by the
 * releases before, with legacyCanonicalJson; both verify, in one chain.
 */
export const CHAIN_VERSION = 2;

/**
 * Version 1 (no `v`): JSON with object keys sorted at every level. For the values events hold this is byte for byte
 * RFC 8785 too; it is kept as it was, since it is what the stored hashes of older events were computed with.
 */
function legacyCanonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => legacyCanonicalJson(item ?? null)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, item]) => item !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${legacyCanonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The event exactly as it round-trips through JSON (no undefined members), which is what stores keep and hash. */
export function storedForm<E extends StoredAuditEvent>(event: E): E {
  return JSON.parse(JSON.stringify(event)) as E;
}

/**
 * hash = hex SHA-256 over the previous event's hash (64 hex digits; GENESIS_HASH before the first) followed by the
 * UTF-8 canonical JSON of the event's members plus `seq` and, from version 2, `v`: exactly a line of `stepup audit
 * export` without its `hash` member. Version 2 canonicalizes by RFC 8785; no version, by legacyCanonicalJson.
 */
export function chainHash(prevHash: string, seq: number, event: StoredAuditEvent, v?: number): string {
  const hashed = v === undefined ? legacyCanonicalJson({ ...event, seq }) : canonicalize({ ...event, seq, v });
  return createHash('sha256')
    .update(prevHash)
    .update(hashed ?? '')
    .digest('hex');
}

/** The seq, hash version and hash of the event that follows `last` (undefined for an empty store). */
export function nextLink(last: { seq: number; hash: string } | undefined, event: StoredAuditEvent): { seq: number; v: number; hash: string } {
  const seq = (last?.seq ?? 0) + 1;
  return { seq, v: CHAIN_VERSION, hash: chainHash(last?.hash ?? GENESIS_HASH, seq, event, CHAIN_VERSION) };
}

export type ChainReader = (afterSeq: number, limit: number) => Promise<ChainedAuditEvent[]>;

/** Walks the chain from seq 1: a missing seq, an altered, moved or unchained event each stop it at that seq. */
export async function verifyChain(read: ChainReader): Promise<AuditVerification> {
  let prevHash = GENESIS_HASH;
  let expected = 1;
  for (;;) {
    const page = await read(expected - 1, CHAIN_PAGE_SIZE);
    for (const { seq, v, hash, event } of page) {
      if (seq !== expected) return { ok: false, seq: expected, reason: `event ${expected} is missing (the next stored event is ${seq})` };
      if (v !== undefined && v !== CHAIN_VERSION) return { ok: false, seq, reason: `unknown hash version ${v}: written by a newer release, or altered` };
      if (chainHash(prevHash, seq, event, v) !== hash) {
        return { ok: false, seq, reason: "hash mismatch: the event was altered or moved, or its predecessor's hash was" };
      }
      prevHash = hash;
      expected += 1;
    }
    if (page.length < CHAIN_PAGE_SIZE) return { ok: true, count: expected - 1 };
  }
}
