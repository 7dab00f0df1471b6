// Starts the real provider on a loopback port with its own data directory and a clock the test can move.
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { loadConfig, type AppConfig } from '../../../config/index.ts';
import type { StepUpPolicy } from '../../../config/policy-schema.ts';
import { openSqliteStores } from '../../../adapters/sqlite/index.ts';
import type { ResourceRecord, Stores } from '../../../adapters/types.ts';
import { createApp } from '../../../server/app.ts';
import { checkRegisteredResources } from '../../../server/resource-registry.ts';
import { createLogger, type Logger } from '../../../server/logger.ts';
import { createMetrics, type Metrics } from '../../../server/metrics.ts';

export interface TestClock {
  /** Seconds added to the real time. */
  offset: number;
  now(): number;
  advance(seconds: number): void;
}

export interface RunningProvider {
  issuer: string;
  config: AppConfig;
  stores: Stores;
  clock: TestClock;
  metrics?: Metrics;
  /** The indicator of the first registered resource server: by default `$ISSUER/api`. */
  api: string;
  close(): Promise<void>;
}

/** `hostname: 'localhost'` gives an issuer a browser accepts as a WebAuthn relying party (IP addresses are refused). */
export interface ProviderOptions {
  policy?: Partial<StepUpPolicy>;
  env?: Record<string, string>;
  hostname?: string;
  metrics?: boolean;
  logger?: Logger;
  /**
   * Resource servers registered before start (as `cli resource add` would), given the issuer; default one, `$ISSUER/api`
   * with the scopes `api:read api:write payments`, as the development demo seeds it.
   */
  resources?: (issuer: string) => Array<Partial<ResourceRecord> & Pick<ResourceRecord, 'indicator' | 'scope'>>;
}

export async function startProvider(options: ProviderOptions = {}): Promise<RunningProvider> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepup-it-'));
  try {
    return await start(dataDir, options);
  } catch (error) {
    // A configuration refused at start (a test may expect that) leaves no folder behind.
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

async function start(dataDir: string, options: ProviderOptions): Promise<RunningProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
  // The tests all come from 127.0.0.1: the per-address guessing budget is lifted except where a test measures it.
  const loaded = await loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ISSUER: issuer,
    PORT: String(port),
    STEPUP_SCRYPT_N: '1024',
    LOG_LEVEL: 'silent',
    STEPUP_LIMIT_BASE_DELAY: '60',
    STEPUP_ADDRESS_MAX_FAILURES: '100000',
    ...options.env,
  });
  const config: AppConfig = { ...loaded, policy: { ...loaded.policy, ...options.policy } };
  const stores = openSqliteStores({ file: join(dataDir, 'stepup.sqlite') });
  const resources = options.resources?.(issuer) ?? [{ indicator: `${issuer}/api`, scope: 'api:read api:write payments' }];
  for (const resource of resources) await stores.resources.add({ dpop: false, format: 'jwt', alg: 'ES256', createdAt: 0, ...resource });
  // What server/main.ts refuses to start with (a signing algorithm without a key, a level not on the ladder).
  await checkRegisteredResources(stores.resources, config).catch(async (error: unknown) => {
    await stores.close();
    server.close();
    throw error;
  });
  const clock: TestClock = {
    offset: 0,
    now: () => Math.floor(Date.now() / 1000) + clock.offset,
    advance: (seconds) => {
      clock.offset += seconds;
    },
  };
  const metrics = options.metrics ? createMetrics() : undefined;
  const provider = createApp({ config, stores, logger: options.logger ?? createLogger('silent'), now: clock.now, metrics });
  server.on('request', provider.callback());
  // A browser may resolve localhost to ::1 as well: answer on both loopback addresses.
  const servers = [server];
  if (options.hostname === 'localhost') {
    const v6 = createServer(provider.callback());
    await new Promise<void>((resolve, reject) => v6.once('error', reject).listen(port, '::1', resolve));
    servers.push(v6);
  }
  return {
    issuer,
    config,
    stores,
    clock,
    metrics,
    api: resources[0]?.indicator ?? '',
    async close() {
      for (const each of servers) {
        each.closeAllConnections();
        await new Promise<void>((resolve) => each.close(() => resolve()));
      }
      await stores.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
