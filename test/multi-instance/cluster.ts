// Two provider processes sharing one storage behind the round-robin proxy, whose URL is their common ISSUER.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import type { Stores } from '../../adapters/types.ts';
import { openStores } from '../../server/storage.ts';
import type { RunningProvider, TestClock } from '../integration/harness/provider.ts';
import { REPO, cleanEnv, startInstance, type Instance } from './instance.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy.ts';

export interface Cluster extends RunningProvider {
  proxy: RoundRobinProxy;
  instances: Instance[];
  /** The environment every instance got (the test's own stores and CLI runs use it too). */
  env: Record<string, string>;
}

export interface ClusterOptions {
  /** Storage settings (MONGODB_URI, MONGODB_DB) for the instances; SQLite in the shared DATA_DIR when empty. */
  storage?: Record<string, string>;
  /** Overrides for the test's own configuration and stores only (e.g. MongoDB directly, not through a cutter). */
  direct?: Record<string, string>;
  /** Runs after the instances stopped and the stores closed (e.g. drop the MongoDB database). */
  cleanup?: () => Promise<void>;
}

/** The other processes' clock is the wall clock: these tests cannot move it. */
const wallClock: TestClock = {
  offset: 0,
  now: () => Math.floor(Date.now() / 1000),
  advance: () => {
    throw new Error('the instances run on the wall clock: a multi-instance test cannot move it');
  },
};

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepup-multi-'));
  const proxy = await startRoundRobinProxy();
  const instances: Instance[] = [];
  let stores: Stores | undefined;
  const close = async () => {
    await Promise.all(instances.map((instance) => instance.stop()));
    await proxy.close();
    await stores?.close();
    await options.cleanup?.();
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const env: Record<string, string> = {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      ISSUER: proxy.url,
      STEPUP_DEMO: '0',
      STEPUP_SCRYPT_N: '1024',
      // A first delay longer than any request on a loaded machine: the throttle test must not race the clock.
      STEPUP_LIMIT_BASE_DELAY: '60',
      // Every test request comes from 127.0.0.1: lift the per-address budget, which is measured elsewhere.
      STEPUP_ADDRESS_MAX_FAILURES: '100000',
      LOG_LEVEL: 'warn',
      ...options.storage,
    };
    // The operator's first step: the schema (and, without STEPUP_* keys, the development keys in DATA_DIR, written
    // once here, so both instances read the same keys instead of racing to generate their own). Run without blocking
    // this process: the MongoDB it reaches may be behind a forwarder that runs here (storage-outage.test.ts).
    await promisify(execFile)('npx', ['tsx', 'cli/main.ts', 'db', 'migrate'], { cwd: REPO, env: { ...cleanEnv(), ...env }, encoding: 'utf8', timeout: 60_000 }).catch(
      (error: { code?: number; stdout?: string; stderr?: string }) => {
        throw new Error(`db migrate failed (${error.code}):\n${error.stdout}\n${error.stderr}`);
      },
    );

    instances.push(...(await Promise.all([startInstance('A', env), startInstance('B', env)])));
    proxy.setBackends(instances.map((instance) => instance.port));
    const config: AppConfig = await loadConfig({ ...env, ...options.direct });
    stores = await openStores(config);
    // The resource server the single-process harness registers too (test/integration/harness/provider.ts).
    const api = `${proxy.url}/api`;
    await stores.resources.add({ indicator: api, scope: 'api:read api:write payments', dpop: false, format: 'jwt', alg: 'ES256', createdAt: 0 });
    return { issuer: proxy.url, config, stores, clock: wallClock, api, proxy, instances, env, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** How many requests each instance served since `from` (an index into the proxy's log). */
export function servedBy(cluster: Cluster, from = 0): number[] {
  const entries = cluster.proxy.log.slice(from);
  return cluster.instances.map((_, index) => entries.filter((entry) => entry.backend === index).length);
}
