// The audit hash chain's two canonical forms, pinned byte for byte: RFC 8785 with `v: 2` for new links, the sorted-keys
// JSON of earlier releases for links without `v`; one chain may hold both, and neither can pass for the other.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import { describe, expect, it } from 'vitest';
import { CHAIN_VERSION, GENESIS_HASH, chainHash, nextLink, verifyChain } from '../../adapters/audit-chain.ts';
import type { AuditEvent, ChainedAuditEvent } from '../../adapters/types.ts';

const sha256 = (...parts: string[]) => parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('hex');

const refused: AuditEvent = {
  at: 1_767_323_045_000,
  type: 'factor.verify',
  outcome: 'failure',
  factor: 'otp',
  accountId: 'acc-1',
  clientId: 'rp-1',
  refusal: 'throttled',
  limit: 'address',
  reason: 'throttled (client address) — «ünïcødé»',
};

describe('a new link (v 2)', () => {
  it('hashes the previous hash and the RFC 8785 JSON of the event with seq and v', () => {
    const text =
      '{"accountId":"acc-1","at":1767323045000,"clientId":"rp-1","factor":"otp","limit":"address","outcome":"failure",' +
      '"reason":"throttled (client address) — «ünïcødé»","refusal":"throttled","seq":1,"type":"factor.verify","v":2}';
    expect(canonicalize({ ...refused, seq: 1, v: 2 })).toBe(text);
    expect(nextLink(undefined, refused)).toEqual({ seq: 1, v: CHAIN_VERSION, hash: sha256(GENESIS_HASH, text) });
    expect(chainHash(GENESIS_HASH, 1, refused, 2)).toBe(sha256(GENESIS_HASH, text));
  });
});

describe('a link from before hash versions (no v)', () => {
  it('still hashes the sorted-keys JSON of the event with seq, as the releases before computed it', () => {
    const text =
      '{"accountId":"acc-1","at":1767323045000,"clientId":"rp-1","factor":"otp","limit":"address","outcome":"failure",' +
      '"reason":"throttled (client address) — «ünïcødé»","refusal":"throttled","seq":1,"type":"factor.verify"}';
    expect(chainHash(GENESIS_HASH, 1, refused)).toBe(sha256(GENESIS_HASH, text));
  });
});

describe('verifying a chain that changes form part way', () => {
  const events: AuditEvent[] = Array.from({ length: 4 }, (_, i) => ({ at: 1000 * (i + 1), type: 'factor.verify', outcome: 'success', factor: 'pwd', accountId: `acc-${i}` }));

  /** Two links as earlier releases wrote them, then two as this one does. */
  function mixedChain(): ChainedAuditEvent[] {
    const chain: ChainedAuditEvent[] = [];
    let prev = GENESIS_HASH;
    events.forEach((event, index) => {
      const seq = index + 1;
      const v = index < 2 ? undefined : CHAIN_VERSION;
      const hash = chainHash(prev, seq, event, v);
      chain.push({ seq, ...(v !== undefined && { v }), hash, event });
      prev = hash;
    });
    return chain;
  }

  const reader = (chain: ChainedAuditEvent[]) => async (afterSeq: number, limit: number) => chain.filter((entry) => entry.seq > afterSeq).slice(0, limit);

  it('verifies each link by its own form', async () => {
    expect(await verifyChain(reader(mixedChain()))).toEqual({ ok: true, count: 4 });
  });

  it('refuses a new link relabelled as old, an old one relabelled as new, and a version it does not know', async () => {
    const downgraded = mixedChain();
    delete downgraded[2]!.v;
    expect(await verifyChain(reader(downgraded))).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(/hash mismatch/) });
    const upgraded = mixedChain();
    upgraded[1]!.v = CHAIN_VERSION;
    expect(await verifyChain(reader(upgraded))).toMatchObject({ ok: false, seq: 2, reason: expect.stringMatching(/hash mismatch/) });
    const unknown = mixedChain();
    unknown[3]!.v = 3;
    expect(await verifyChain(reader(unknown))).toEqual({ ok: false, seq: 4, reason: 'unknown hash version 3: written by a newer release, or altered' });
  });
});
