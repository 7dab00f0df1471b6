// Child process: the step-up product as server/main.ts builds it (SQLite, metrics, silent log), with a bench policy and seeding.
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
import { BENCH_AAL2_MAX_AGE, BENCH_CLIENT } from './agreed.ts';
import { commonHandlers, serveChannel, type SeededAccount } from './channel.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'stepup-bench-product-'));
const server = createServer({ keepAliveTimeout: 60_000 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const issuer = `http://127.0.0.1:${port}`;

const loaded = await loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  ISSUER: issuer,
  HOST: '127.0.0.1',
  PORT: String(port),
  STEPUP_DEMO: '0',
  // Only the seeding hashes with it; the timed flows never check a password (it is measured alone, at production cost).
  STEPUP_SCRYPT_N: '1024',
  LOG_LEVEL: 'silent',
});
const config: AppConfig = {
  ...loaded,
  policy: { ...loaded.policy, ladder: loaded.policy.ladder.map((level) => (level.acr === 'aal2' ? { ...level, maxAge: BENCH_AAL2_MAX_AGE } : level)) },
};
const stores = await openStores(config);
await stores.clients.upsert({ ...BENCH_CLIENT, first_party: true });
const provider = createApp({ config, stores, logger: createLogger(config.logLevel), metrics: createMetrics() });
server.on('request', provider.callback());

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

serveChannel(issuer, { ...commonHandlers(), seed }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await stores.close();
  rmSync(dataDir, { recursive: true, force: true });
});
