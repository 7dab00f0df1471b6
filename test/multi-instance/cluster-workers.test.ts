// STEPUP_WORKERS=2: one port served by two worker processes under a cluster primary, sharing one store (a SQLite
// file, and MongoDB when MONGODB_URI is set) and the keys. Real processes over HTTP on 127.0.0.1; a proxy opens one
// connection per request, so node:cluster hands consecutive requests to alternate workers, and each worker's log
// lines say which requests it served.
import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { openMongoStores } from '../../adapters/mongodb/index.ts';
import { MIGRATIONS } from '../../adapters/sqlite/schema.ts';
import type { Stores } from '../../adapters/types.ts';
import { loadConfig } from '../../config/index.ts';
import { workerCount } from '../../server/cluster-primary.ts';
import { createMetrics } from '../../server/metrics.ts';
import { openStores } from '../../server/storage.ts';
import { createAccount } from '../integration/harness/accounts.ts';
import { Browser, expectCallback, formOf } from '../integration/harness/browser.ts';
import type { RunningProvider } from '../integration/harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from '../integration/harness/rp.ts';
import { freePort, sleep } from './instance.ts';
import { startRoundRobinProxy, type RoundRobinProxy } from './round-robin-proxy.ts';
import { listeningWorkers, processExists, requestLines, startClustered, type ClusteredProcess, type LogLine } from './clustered-process.ts';

const TEST_TIMEOUT = 90_000;
const PWD_SUCCESS = 'stepup_factor_verifications_total{factor="pwd",outcome="success"}';

function testEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    STEPUP_DEMO: '0',
    STEPUP_SCRYPT_N: '1024',
    STEPUP_LIMIT_BASE_DELAY: '60',
    STEPUP_ADDRESS_MAX_FAILURES: '100000',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** A metric's value in Prometheus text (0 when the series has no sample yet). */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** The workers that served the request lines matching `path`. */
const workersOf = (lines: LogLine[], method: string, path: RegExp) => lines.filter((line) => line.method === method && path.test(line.path ?? '')).map((line) => line.worker);

const MONGODB_URI = process.env.MONGODB_URI;
if (!MONGODB_URI) console.warn('MONGODB_URI not set: the MongoDB run of the worker tests is skipped (docs/testing.md says how to run it)');

/** Storage settings for the processes, and what to remove after them. */
interface WorkerStorage {
  env: Record<string, string>;
  cleanup?(): Promise<void>;
}

function describeWorkers(title: string, storage: () => WorkerStorage) {
  describe(title, () => {
    let dataDir: string | undefined;
    let cleanup: WorkerStorage['cleanup'];
    let proxy: RoundRobinProxy;
    let server: ClusteredProcess;
    let stores: Stores;
    let provider: RunningProvider;
    let rp: RelyingParty;
    let metricsPort: number;
    const metricsText = async () => (await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();

    beforeAll(async () => {
      proxy = await startRoundRobinProxy();
      metricsPort = await freePort();
      const given = storage();
      cleanup = given.cleanup;
      // Made here, not when the suite is collected: a skipped or filtered-out suite runs no afterAll to remove it.
      dataDir = mkdtempSync(join(tmpdir(), 'stepup-workers-'));
      const env = testEnv(dataDir, { ISSUER: proxy.url, STEPUP_WORKERS: '2', METRICS_PORT: String(metricsPort), ...given.env });
      server = await startClustered(env, { ready: true });
      proxy.setBackends([server.port]);
      const config = await loadConfig({ ...env, PORT: String(server.port) });
      stores = await openStores(config);
      // The processes run on the wall clock; `api` is the resource server the harness's providers register by default.
      const api = { api: `${proxy.url}/api` };
      provider = { issuer: proxy.url, config, stores, clock: { offset: 0, now: () => Math.floor(Date.now() / 1000), advance: () => undefined }, close: async () => undefined, ...api };
      rp = await relyingParty(provider);
    }, 120_000);

    afterAll(async () => {
      await server?.stop();
      await proxy?.close();
      await stores?.close();
      await cleanup?.();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }, 60_000);

    it('starts two workers once the primary alone has prepared the storage and the keys, and serves requests from both', async () => {
      const workers = listeningWorkers(server);
      expect([...workers.keys()].sort()).toEqual([1, 2]);
      for (const pid of workers.values()) expect(pid).not.toBe(server.pid);
      // Only the primary prepared the storage and generated the development keys, before forking.
      expect(server.lines.filter((line) => line.msg === 'using development keys generated in the data directory').map((line) => line.pid)).toEqual([server.pid]);
      const forking = server.lines.find((line) => line.msg === 'starting the workers')!;
      expect(forking).toMatchObject({ pid: server.pid, role: 'primary', workers: 2 });
      if (provider.config.storage.kind === 'sqlite') {
        const db = new Database(provider.config.storage.file, { readonly: true });
        const applied = db.prepare<[], { version: number; applied_at: number }>('SELECT version, applied_at FROM schema_version').all();
        db.close();
        expect(applied.map((row) => row.version)).toEqual(MIGRATIONS.map((_, index) => index + 1));
        for (const row of applied) expect(row.applied_at).toBeLessThanOrEqual(Math.floor((forking.time as number) / 1000));
      }

      const from = server.mark();
      for (let index = 0; index < 6; index += 1) {
        const response = await fetch(`${proxy.url}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
        expect(response.status).toBe(200);
      }
      await server.waitForLine(() => requestLines(server, from).length >= 6, 10_000, from);
      const served = requestLines(server, from).map((line) => line.worker);
      expect(new Set(served)).toEqual(new Set([1, 2]));
      // Each line names its worker and comes from that worker's process.
      for (const line of requestLines(server, from)) expect(line.pid).toBe(workers.get(line.worker!));
    });

    it(
      'completes a sign-in and a TOTP step-up whose interactions begin on one worker and finish on the other',
      async () => {
        const account = await createAccount(provider, { totp: true });
        const browser = new Browser(CALLBACK);
        const from = server.mark();

        const first = (await rp.signIn(browser, account)).claims()!;
        expect(first).toMatchObject({ sub: account.id, acr: 'aal1', amr: ['pwd'] });
        const flow = await rp.start(browser, { acr_values: 'aal2' });
        expect(formOf(flow.step)).toBe('otp');
        const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
        expect(tokens.claims()).toMatchObject({ sub: account.id, acr: 'aal2' });

        await server.waitForLine((line) => line.msg === 'request' && line.path === '/token', 10_000, from);
        const lines = requestLines(server, from);
        const begun = workersOf(lines, 'GET', /^\/auth$/);
        const page = workersOf(lines, 'GET', /^\/interaction\/[^/]+$/);
        const password = workersOf(lines, 'POST', /^\/interaction\/[^/]+\/password$/);
        const otp = workersOf(lines, 'POST', /^\/interaction\/[^/]+\/otp$/);
        const resumed = workersOf(lines, 'GET', /^\/auth\/[^/]+$/);
        expect([begun.length, page.length, password.length, otp.length, resumed.length]).toEqual([2, 2, 1, 1, 2]);
        // Sign-in: begun by one worker, its page rendered and its password checked by different workers.
        expect(new Set([begun[0], page[0], password[0], resumed[0]]).size).toBe(2);
        expect(page[0]).not.toBe(password[0]);
        // Step-up: the code checked by a worker other than the one that rendered the page, or than the one that resumed.
        expect(new Set([begun[1], page[1], otp[0], resumed[1]]).size).toBe(2);
        expect(new Set(workersOf(lines, 'POST', /^\/token$/)).size).toBeGreaterThan(0);
      },
      TEST_TIMEOUT,
    );

    it(
      "serves every worker's metrics summed, under the names one process uses",
      async () => {
        const before = sample(await metricsText(), PWD_SUCCESS);
        const from = server.mark();
        const signIns = 4;
        for (let index = 0; index < signIns; index += 1) {
          const account = await createAccount(provider);
          await rp.signIn(new Browser(CALLBACK), account);
        }
        await server.waitForLine(() => workersOf(requestLines(server, from), 'POST', /\/password$/).length >= signIns, 10_000, from);
        const checkedBy = workersOf(requestLines(server, from), 'POST', /\/password$/);
        expect(new Set(checkedBy)).toEqual(new Set([1, 2]));

        const text = await metricsText();
        expect(sample(text, PWD_SUCCESS) - before).toBe(signIns);
        // The names a single process serves, all of them (process_start_time_seconds is the primary's own).
        const names = (await createMetrics().registry.getMetricsAsJSON()).map((metric) => metric.name);
        expect(names).toEqual(expect.arrayContaining(['stepup_decisions_total', 'stepup_factor_verifications_total', 'stepup_factor_verification_seconds']));
        for (const name of names) expect(text, name).toContain(`# TYPE ${name} `);
        expect(text.split('\n').filter((line) => line.startsWith('process_start_time_seconds '))).toHaveLength(1);
        // A histogram sums too: its count is every verification, whichever worker timed it.
        expect(sample(text, 'stepup_factor_verification_seconds_count{factor="pwd",outcome="success"}')).toBe(sample(text, PWD_SUCCESS));
      },
      TEST_TIMEOUT,
    );

    it(
      'replaces a worker killed with SIGKILL, and keeps answering meanwhile',
      async () => {
        const from = server.mark();
        const [victim, survivor] = [...listeningWorkers(server)];
        process.kill(victim![1], 'SIGKILL');
        const died = await server.waitForLine((line) => line.msg === 'worker died: starting a replacement', 10_000, from);
        expect(died).toMatchObject({ role: 'primary', worker: victim![0], workerPid: victim![1], signal: 'SIGKILL' });

        // Requests sent while the replacement starts: the survivor answers every one.
        const statuses: number[] = [];
        for (let index = 0; index < 10; index += 1) {
          statuses.push((await fetch(`${proxy.url}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) })).status);
        }
        expect(statuses.every((status) => status === 200)).toBe(true);

        const replacement = await server.waitForLine((line) => line.msg === 'worker listening', 30_000, from);
        expect(replacement.worker).not.toBe(victim![0]);
        expect(replacement.worker).not.toBe(survivor![0]);
        expect(processExists(victim![1])).toBe(false);

        const after = server.mark();
        for (let index = 0; index < 6; index += 1) {
          expect((await fetch(`${proxy.url}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
        }
        await server.waitForLine(() => requestLines(server, after).length >= 6, 10_000, after);
        expect(new Set(requestLines(server, after).map((line) => line.worker))).toEqual(new Set([survivor![0], replacement.worker]));
        expect(sample(await metricsText(), 'stepup_worker_replacements_total')).toBe(1);
      },
      TEST_TIMEOUT,
    );

    it(
      'drains on SIGTERM: a request in flight completes, new connections are refused, and every process exits 0',
      async () => {
        const workerPids = [...listeningWorkers(server).values()].filter(processExists);
        expect(workerPids).toHaveLength(2);
        // A token request whose body is still arriving when the primary is told to stop.
        const body = 'grant_type=client_credentials&client_id=nobody&client_secret=wrong-secret-0123456789';
        const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = request({
            host: '127.0.0.1',
            port: server.port,
            method: 'POST',
            path: '/token',
            agent: false,
            headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(body.length) },
          });
          req.on('response', (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
            res.on('end', () => resolve({ status: res.statusCode!, body: text }));
          });
          req.on('error', reject);
          req.flushHeaders();
          req.write(body.slice(0, 20));
          setTimeout(() => req.end(body.slice(20)), 1_500);
        });
        await sleep(500);
        const from = server.mark();
        process.kill(server.pid, 'SIGTERM');
        for (const pid of workerPids) await server.waitForLine((line) => line.pid === pid && line.msg === 'shutting down: finishing the requests in flight', 5_000, from);
        await sleep(300);
        // Both workers have stopped accepting: a new connection finds the port closed, while the request above still runs.
        await expect(fetch(`http://127.0.0.1:${server.port}/healthz`, { signal: AbortSignal.timeout(5_000) })).rejects.toThrow();

        const answered = await response;
        expect(answered.status).toBe(401);
        expect(JSON.parse(answered.body)).toMatchObject({ error: 'invalid_client' });

        const { code, signal } = await server.exited;
        expect({ code, signal }).toEqual({ code: 0, signal: null });
        expect(
          server.lines
            .slice(from)
            .filter((line) => line.msg === 'worker stopped')
            .map((line) => line.exitCode),
        ).toEqual([0, 0]);
        for (const pid of workerPids) expect(processExists(pid)).toBe(false);
      },
      TEST_TIMEOUT,
    );
  });
}

describeWorkers('STEPUP_WORKERS=2 on one SQLite file', () => ({ env: {} }));

describe.skipIf(!MONGODB_URI)(MONGODB_URI ? 'MongoDB' : 'MONGODB_URI not set: the MongoDB run is skipped', () => {
  const dbName = `stepup_workers_${Date.now()}_${process.pid}`;
  describeWorkers(`STEPUP_WORKERS=2 on one MongoDB database (${dbName})`, () => ({
    env: { MONGODB_URI: MONGODB_URI!, MONGODB_DB: dbName },
    async cleanup() {
      const stores = await openMongoStores({ uri: MONGODB_URI!, dbName });
      await stores.db.dropDatabase();
      await stores.close();
    },
  }));
});

describe('STEPUP_WORKERS values', () => {
  const dataDirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepup-workers-bad-'));
    dataDirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('resolves auto to one worker per core this process may use, at most 64', () => {
    expect(workerCount('auto')).toBe(Math.min(availableParallelism(), 64));
    expect([1, 2, 16, 64, 65, 512].map((cores) => workerCount('auto', cores))).toEqual([1, 2, 16, 64, 64, 64]);
    expect(workerCount(3, 16)).toBe(3);
  });

  it(
    'runs one process without a primary by default: its lines name no worker, and SIGTERM drains it to exit 0',
    async () => {
      const started = await startClustered(testEnv(tempDir()), { ready: true });
      try {
        expect(started.lines.filter((line) => line.role === 'primary' || line.msg === 'worker listening')).toEqual([]);
        const from = started.mark();
        expect((await fetch(`http://127.0.0.1:${started.port}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) })).status).toBe(200);
        const served = await started.waitForLine((line) => line.msg === 'request', 10_000, from);
        expect(served.pid).toBe(started.pid);
        expect(served).not.toHaveProperty('worker');
        process.kill(started.pid, 'SIGTERM');
        expect(await started.exited).toEqual({ code: 0, signal: null });
      } finally {
        await started.stop();
      }
    },
    TEST_TIMEOUT,
  );

  it(
    'stops at once, with exit code 0, when SIGTERM arrives while the workers are still starting',
    async () => {
      const started = await startClustered(testEnv(tempDir(), { STEPUP_WORKERS: '2' }));
      await started.waitForLine((line) => line.msg === 'starting the workers', 60_000);
      const signalled = Date.now();
      process.kill(started.pid, 'SIGTERM');
      expect(await started.exited).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalled).toBeLessThan(5_000);
      expect(started.lines.filter((line) => line.msg === 'worker stopped').map((line) => line.signal)).toEqual(['SIGTERM', 'SIGTERM']);
    },
    TEST_TIMEOUT,
  );

  // Started only where auto means a few processes: on a large machine it would start dozens.
  it.runIf(availableParallelism() >= 2 && availableParallelism() <= 4)(
    'starts one worker per core with auto',
    async () => {
      const started = await startClustered(testEnv(tempDir(), { STEPUP_WORKERS: 'auto' }), { ready: true });
      try {
        expect(listeningWorkers(started).size).toBe(availableParallelism());
        expect(started.lines.find((line) => line.msg === 'starting the workers')).toMatchObject({ role: 'primary', workers: availableParallelism() });
      } finally {
        await started.stop();
      }
      expect((await started.exited).code).toBe(0);
    },
    TEST_TIMEOUT,
  );

  it.each(['0', '65', 'many', '1.5', '-2'])(
    'refuses STEPUP_WORKERS=%s at start-up, naming the setting',
    async (value) => {
      const started = await startClustered(testEnv(tempDir(), { STEPUP_WORKERS: value }));
      const { code } = await started.exited;
      expect(code, started.text()).toBe(78);
      expect(started.text()).toMatch(/configuration error: invalid environment: STEPUP_WORKERS: must be/);
      expect(started.lines.filter((line) => line.msg === 'worker listening')).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'gives up with exit code 1 and a clear line when workers keep dying (the port is taken)',
    async () => {
      const blocker: Server = createServer();
      const port = await freePort();
      await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
      try {
        const started = await startClustered(testEnv(tempDir(), { STEPUP_WORKERS: '2' }), { port });
        const { code } = await started.exited;
        expect(code).toBe(1);
        const cannotListen = started.lines.filter((line) => line.msg === 'cannot listen');
        expect(cannotListen.length).toBeGreaterThanOrEqual(5);
        const fatal = started.lines.find((line) => line.level === 60 && line.role === 'primary');
        expect(fatal).toMatchObject({ role: 'primary', msg: expect.stringMatching(/^workers died 5 times within 60 s: giving up, exiting 1$/) });
        // Replacements came after a growing delay, not in a spin.
        const delays = started.lines.filter((line) => line.msg === 'worker died: starting a replacement').map((line) => line.replaceInMs as number);
        expect(delays).toEqual([250, 500, 1000, 2000]);
        for (const pid of new Set(cannotListen.map((line) => line.pid))) expect(processExists(pid)).toBe(false);
      } finally {
        await new Promise<void>((resolve) => blocker.close(() => resolve()));
      }
    },
    // Six worker starts (each loads the whole server) and about 4 s of back-off: slow on a loaded machine.
    3 * TEST_TIMEOUT,
  );
});
