// oidc-provider's model reads kept for one request (adapters/request-reads.ts), and the provider's edge forgetting them
// when the account revocation deletes models behind the adapter's back (server/guarded-stores.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { afterEach, describe, expect, it } from 'vitest';
import { noModelReads, readingOnce, type ModelReads } from '../../adapters/request-reads.ts';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { guardStores } from '../../server/guarded-stores.ts';

/** An in-memory adapter that counts its reads. */
function countingAdapter() {
  const rows = new Map<string, AdapterPayload>();
  const reads: string[] = [];
  const adapter: Adapter = {
    upsert: async (id, payload) => void rows.set(id, structuredClone(payload)),
    find: async (id) => {
      reads.push(id);
      return structuredClone(rows.get(id));
    },
    findByUid: async (uid) => {
      reads.push(`uid:${uid}`);
      return structuredClone([...rows.values()].find((payload) => payload.uid === uid));
    },
    findByUserCode: async () => undefined,
    consume: async (id) => void rows.set(id, { ...rows.get(id), consumed: 1 }),
    destroy: async (id) => void rows.delete(id),
    revokeByGrantId: async () => {},
  };
  return { rows, reads, adapter };
}

describe('readingOnce', () => {
  it('reads a model once per request, and every read of the request gets its own copy', async () => {
    const { rows, reads, adapter } = countingAdapter();
    rows.set('s1', { uid: 'u1', authorizations: { app: { sid: 'a' } } });
    const request = noModelReads();
    const kept = readingOnce('Session', adapter, () => request);
    const first = (await kept.find('s1')) as { authorizations: Record<string, unknown> };
    first.authorizations.other = { sid: 'mutated by the caller' };
    const second = (await kept.find('s1')) as { authorizations: Record<string, unknown> };
    expect(reads).toEqual(['s1']);
    expect(second.authorizations).toEqual({ app: { sid: 'a' } });
    second.authorizations.third = {};
    expect(await kept.find('s1')).toEqual({ uid: 'u1', authorizations: { app: { sid: 'a' } } });
    // By uid it is another read, kept the same way.
    await kept.findByUid('u1');
    await kept.findByUid('u1');
    expect(reads).toEqual(['s1', 'uid:u1']);
  });

  it('keeps a read that found nothing, and the next request reads again', async () => {
    const { rows, reads, adapter } = countingAdapter();
    let request = noModelReads();
    const kept = readingOnce('AuthorizationCode', adapter, () => request);
    expect(await kept.find('c1')).toBeUndefined();
    rows.set('c1', { accountId: 'a' });
    expect(await kept.find('c1')).toBeUndefined();
    request = noModelReads();
    expect(await kept.find('c1')).toEqual({ accountId: 'a' });
    expect(reads).toEqual(['c1', 'c1']);
  });

  it.each([
    ['upsert', (adapter: Adapter) => adapter.upsert('c1', { accountId: 'b' }, 60)],
    ['consume', (adapter: Adapter) => adapter.consume('c1')],
    ['destroy', (adapter: Adapter) => adapter.destroy('c1')],
    ['revokeByGrantId', (adapter: Adapter) => adapter.revokeByGrantId('g1')],
  ])('forgets every read of the request on %s, of any model', async (_name, write) => {
    const { rows, reads, adapter } = countingAdapter();
    rows.set('c1', { accountId: 'a' });
    const request = noModelReads();
    const codes = readingOnce('AuthorizationCode', adapter, () => request);
    const grants = readingOnce('Grant', adapter, () => request);
    await codes.find('c1');
    await write(grants);
    const after = await codes.find('c1');
    expect(reads).toEqual(['c1', 'c1']);
    expect(after).toEqual(rows.get('c1'));
  });

  it('does not keep a read that was loading while the request wrote', async () => {
    const { rows, reads, adapter } = countingAdapter();
    rows.set('c1', { accountId: 'a' });
    let release!: () => void;
    const slow: Adapter = {
      ...adapter,
      find: async (id) => {
        const payload = await adapter.find(id);
        await new Promise<void>((resolve) => (release = resolve));
        return payload;
      },
    };
    const request = noModelReads();
    const kept = readingOnce('AuthorizationCode', slow, () => request);
    const reading = kept.find('c1');
    await new Promise((resolve) => setImmediate(resolve));
    await readingOnce('AuthorizationCode', adapter, () => request).consume('c1');
    release();
    expect(await reading).toEqual({ accountId: 'a' });
    const again = readingOnce('AuthorizationCode', adapter, () => request);
    expect(await again.find('c1')).toEqual({ accountId: 'a', consumed: 1 });
    expect(reads).toEqual(['c1', 'c1']);
  });

  it('reads storage every time outside a request', async () => {
    const { rows, reads, adapter } = countingAdapter();
    rows.set('c1', { accountId: 'a' });
    const kept = readingOnce('AuthorizationCode', adapter, () => undefined);
    await kept.find('c1');
    await kept.find('c1');
    expect(reads).toEqual(['c1', 'c1']);
  });
});

describe('the provider edge', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('forgets the request reads when the account revocation deletes models without the adapter', async () => {
    dir = mkdtempSync(join(tmpdir(), 'request-reads-'));
    const engine = openSqliteStores({ file: join(dir, 'store.sqlite') });
    const request: ModelReads = noModelReads();
    const stores = guardStores(
      engine,
      () => {},
      () => request,
    );
    try {
      const grants = new stores.OidcAdapter('Grant');
      await grants.upsert('g1', { accountId: 'acct-1', clientId: 'app', kind: 'Grant' }, 600);
      expect(await grants.find('g1')).toMatchObject({ accountId: 'acct-1' });
      expect((await stores.sessions.revoke('acct-1')).grants).toBe(1);
      expect(await grants.find('g1')).toBeUndefined();
    } finally {
      await stores.close();
    }
  });
});
