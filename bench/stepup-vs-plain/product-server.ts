// Child process: the step-up product as server/main.ts builds it (SQLite, metrics, silent log), with a bench policy and seeding.
// With BENCH_SEED_DATA_DIR and BENCH_SEED_ISSUER it serves no HTTP: it only seeds accounts, and registers the bench
// client, in the store of a product that server/main.ts runs (the workers' runs, bench/stepup-vs-plain/workers.ts).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptSecret, generateTotpSecret, hashPassword } from '../../authenticators/index.ts';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import { totpKeyring } from '../../config/keys.ts';
import { createApp } from '../../server/app.ts';
import { createLogger } from '../../server/logger.ts';
import { createMetrics } from '../../server/metrics.ts';
import { openStores } from '../../server/storage.ts';
import { BENCH_AAL2_MAX_AGE, BENCH_CLIENT, PRODUCT_BENCH_SCRYPT_N } from './agreed.ts';
import { commonHandlers, serveChannel, type SeededAccount } from './channel.ts';

const seedOnly = process.env.BENCH_SEED_DATA_DIR !== undefined;
const dataDir = process.env.BENCH_SEED_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'stepup-bench-product-'));
const server = seedOnly ? undefined : createServer({ keepAliveTimeout: 60_000 });
if (server) await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = server ? `http://127.0.0.1:${(server.address() as AddressInfo).port}` : process.env.BENCH_SEED_ISSUER!;
const port = new URL(issuer).port;

const loaded = await loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  ISSUER: issuer,
  HOST: '127.0.0.1',
  PORT: port,
  STEPUP_DEMO: '0',
  // Only the seeding hashes with it; the timed flows never check a password (it is measured alone, at production cost).
  STEPUP_SCRYPT_N: String(PRODUCT_BENCH_SCRYPT_N),
  LOG_LEVEL: 'silent',
});
const config: AppConfig = {
  ...loaded,
  policy: { ...loaded.policy, ladder: loaded.policy.ladder.map((level) => (level.acr === 'aal2' ? { ...level, maxAge: BENCH_AAL2_MAX_AGE } : level)) },
};
const stores = await openStores(config);
await stores.clients.upsert({ ...BENCH_CLIENT, first_party: true });
if (server) server.on('request', createApp({ config, stores, logger: createLogger(config.logLevel), metrics: createMetrics() }).callback());

const keyring = totpKeyring(config.keys);
let seeded = 0;

/** Accounts with one password (hashed once) and each its own TOTP authenticator, written through the real stores. */
async function seed({ count }: { count: number }): Promise<SeededAccount[]> {
  const password = 'bench correct horse battery';
  const passwordHash = await hashPassword(password, config.password);
  const accounts: SeededAccount[] = [];
  for (let index = 0; index < count; index += 1) {
    const id = randomUUID();
    const username = `bench-${(seeded += 1)}`;
    const totpSecret = generateTotpSecret();
    const now = Math.floor(Date.now() / 1000);
    await stores.accounts.create({ id, username, passwordHash, createdAt: now });
    await stores.authenticators.add({ id: randomUUID(), accountId: id, kind: 'totp', label: 'bench app', data: { secret: await encryptSecret(totpSecret, keyring) }, createdAt: now });
    accounts.push({ username, password, totpSecret });
  }
  return accounts;
}

// However this process ends (stopped, or its parent gone), its data folder goes with it.
process.once('exit', () => {
  if (!seedOnly) rmSync(dataDir, { recursive: true, force: true });
});

serveChannel(issuer, { ...commonHandlers(), seed }, async () => {
  if (server) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await stores.close();
  if (!seedOnly) rmSync(dataDir, { recursive: true, force: true });
});
