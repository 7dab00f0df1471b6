// The development seed registers the demo client for payments (RFC 9396), and teaches a client seeded before payments.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import type { Stores } from '../../adapters/types.ts';
import { loadConfig } from '../../config/index.ts';
import { totpKeyring } from '../../config/keys.ts';
import { seedDemo } from '../../server/demo.ts';

const opened: Array<{ stores: Stores; dir: string }> = [];
afterEach(async () => {
  for (const { stores, dir } of opened.splice(0)) {
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'stepup-seed-'));
  const config = await loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, ISSUER: 'http://localhost:3000', STEPUP_SCRYPT_N: '1024', LOG_LEVEL: 'silent' });
  const stores = openSqliteStores({ file: join(dir, 'stepup.sqlite') });
  opened.push({ stores, dir });
  const seed = (operationTypes?: readonly string[]) =>
    seedDemo(stores, { issuer: config.issuer, keyring: totpKeyring(config.keys), password: config.password, now: 1000, ...(operationTypes && { operationTypes }) });
  return { stores, seed, policyTypes: Object.keys(config.policy.operations) };
}

describe('the demo seed and payments', () => {
  it('registers demo-rp for the payment type, which the default policy declares', async () => {
    const { stores, seed, policyTypes } = await fresh();
    expect(policyTypes).toContain('payment');
    await seed();
    expect((await stores.clients.get('demo-rp'))?.authorization_details_types).toEqual(['payment']);
  });

  it('adds the payment type to a demo-rp seeded before payments, keeping the rest of its registration', async () => {
    const { stores, seed } = await fresh();
    await seed();
    const { authorization_details_types: _types, ...before } = (await stores.clients.get('demo-rp'))!;
    await stores.clients.upsert({ ...before, client_id: 'demo-rp' });
    await seed();
    expect(await stores.clients.get('demo-rp')).toEqual({ ...before, authorization_details_types: ['payment'] });
  });

  it('registers no type the policy does not declare (oidc-provider would refuse the client)', async () => {
    const { stores, seed } = await fresh();
    await seed(['account_deletion']);
    expect((await stores.clients.get('demo-rp'))?.authorization_details_types).toBeUndefined();
  });
});
