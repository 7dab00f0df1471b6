// The contract every engine's resource registry keeps: one registration per indicator, every field read back as written.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceRecord, ResourceStore } from '../../adapters/types.ts';

const full: ResourceRecord = { indicator: 'https://payments.example/api', scope: 'pay refund', accessTokenTTL: 120, dpop: true, minAcr: 'phr', format: 'jwt', alg: 'PS256', createdAt: 1_700_000_000 };
const bare: ResourceRecord = { indicator: 'https://reports.example', scope: 'read', dpop: false, format: 'jwt', alg: 'ES256', createdAt: 1_700_000_001 };
const opaque: ResourceRecord = { indicator: 'https://ledger.example', scope: 'pay', dpop: true, format: 'opaque', alg: 'ES256', createdAt: 1_700_000_002 };

export function describeResourceStoreContract(name: string, open: () => Promise<{ resources: ResourceStore; close(): Promise<void> }>): void {
  describe(`${name} resource registry`, () => {
    let stores: Awaited<ReturnType<typeof open>>;
    beforeEach(async () => {
      stores = await open();
    });
    afterEach(async () => {
      await stores.close();
    });

    it('reads back every field as written, optional ones absent when unset, and lists by indicator', async () => {
      await stores.resources.add(full);
      await stores.resources.add(bare);
      expect(await stores.resources.get(full.indicator)).toEqual(full);
      expect(await stores.resources.get(bare.indicator)).toEqual(bare);
      expect(await stores.resources.get('https://unknown.example')).toBeUndefined();
      expect(await stores.resources.list()).toEqual([full, bare]);
    });

    it('keeps the access-token format, and replaces it with the registration', async () => {
      await stores.resources.add(opaque);
      expect(await stores.resources.get(opaque.indicator)).toEqual(opaque);
      expect(await stores.resources.replace({ ...opaque, format: 'jwt' })).toBe(true);
      expect(await stores.resources.get(opaque.indicator)).toEqual({ ...opaque, format: 'jwt' });
      expect(await stores.resources.replace(opaque)).toBe(true);
      expect((await stores.resources.list()).map((resource) => resource.format)).toEqual(['opaque']);
    });

    it('refuses a second registration of an indicator with a conflict, keeping the first', async () => {
      await stores.resources.add(bare);
      await expect(stores.resources.add({ ...bare, scope: 'write' })).rejects.toMatchObject({ name: 'StoreError', code: 'conflict' });
      expect(await stores.resources.get(bare.indicator)).toEqual(bare);
    });

    it('keeps indicators that differ only in case or a trailing slash apart (RFC 8707 compares them exactly)', async () => {
      await stores.resources.add(bare);
      await stores.resources.add({ ...bare, indicator: 'https://reports.example/' });
      await stores.resources.add({ ...bare, indicator: 'https://Reports.example' });
      expect((await stores.resources.list()).map((resource) => resource.indicator).sort()).toEqual(['https://Reports.example', 'https://reports.example', 'https://reports.example/']);
    });

    it('replaces a registration (clearing what the new one leaves unset) and reports a missing one', async () => {
      await stores.resources.add(full);
      const changed: ResourceRecord = { indicator: full.indicator, scope: 'pay', dpop: false, format: 'opaque', alg: 'ES256', createdAt: full.createdAt };
      expect(await stores.resources.replace(changed)).toBe(true);
      expect(await stores.resources.get(full.indicator)).toEqual(changed);
      expect(await stores.resources.replace(bare)).toBe(false);
      expect(await stores.resources.get(bare.indicator)).toBeUndefined();
    });

    it('removes a registration once', async () => {
      await stores.resources.add(full);
      expect(await stores.resources.remove(full.indicator)).toBe(true);
      expect(await stores.resources.remove(full.indicator)).toBe(false);
      expect(await stores.resources.list()).toEqual([]);
    });
  });
}
