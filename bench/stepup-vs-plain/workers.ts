// The product as server/main.ts runs it with STEPUP_WORKERS=n (node:cluster, one port), for the scaling of silent
// sign-ins and refresh grants from 1 to n workers.
//
// Decisions:
// - `node --import tsx server/main.ts` (no tsx CLI: it would add a process of its own), NODE_ENV=test, a fresh data
//   directory per run (development keys generated there), LOG_LEVEL=silent, the bench's cheap scrypt N for the
//   untimed password sign-ins. Ready when discovery answers.
// - Accounts and the bench client are written by a seeder (product-server.ts in seed-only mode) that opens the same
//   SQLite store once the product has created it, as an operator's CLI would.
// - Server CPU = the primary's own CPU, its reaped children's (a replaced worker's), and every live descendant's,
//   from /proc/<pid>/stat (user + system ticks). Linux only; elsewhere the run is skipped.
// - 16 clients per worker, so that each worker has as much queued work as the single process had.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepAliveAgent, send } from './browser.ts';
import { productContender, takeTurns } from './contenders.ts';
import { refreshGrant } from './flows.ts';
import { runLoad, summarize, type LoadResult } from './load.ts';
import { log } from './phases.ts';
import { startServer, type ServerProcess } from './server-process.ts';
import { sampleSleeps, sleepSamplingSupported, type SleepShare } from './sleep-sampler.ts';
import { PRODUCT_BENCH_SCRYPT_N } from './agreed.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const CLIENTS_PER_WORKER = 16;
/** Per worker: each worker's JIT warms up on its own share of the connections. */
const WARM_UP = { maxCount: 400, maxMs: 8_000 };
const MAX_PER_ROUND = 100_000;
/** Linux's USER_HZ: /proc times are in these ticks (100 on every mainstream kernel configuration). */
const TICKS_PER_SECOND = 100;

export interface WorkerRun {
  workers: number;
  silent: LoadResult;
  refresh: LoadResult;
  /** Share of each serving process's time asleep in SQLite's busy handler (sampled in the first round), when sampled. */
  busyWait: { silent?: SleepShare; refresh?: SleepShare };
  /** Commits per operation, from the single-process breakdown (the same code per request), for commits/s. */
  commitsPerOp: { silent: number; refresh: number };
}

/** True when the product has STEPUP_WORKERS and /proc is there to add up a cluster's CPU. */
export function workersSupported(): boolean {
  const settings = readFileSync(new URL('../../config/settings.ts', import.meta.url), 'utf8');
  const main = readFileSync(new URL('../../server/main.ts', import.meta.url), 'utf8');
  return settings.includes("'STEPUP_WORKERS'") && main.includes('cluster') && existsSync('/proc/self/stat');
}

/** utime, stime, cutime, cstime and the parent pid of a process, or undefined once it is gone. */
function statOf(pid: number): { ppid: number; own: number; reaped: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // After "pid (comm) ": state ppid … (comm may hold spaces and parentheses: split after the last ')').
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const number = (index: number) => Number(fields[index - 3]);
  return { ppid: number(4), own: number(14) + number(15), reaped: number(16) + number(17) };
}

/** Every live process by its parent's pid. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (!stat) continue;
    if (!children.has(stat.ppid)) children.set(stat.ppid, []);
    children.get(stat.ppid)!.push(Number(entry));
  }
  return children;
}

/** CPU ms of `root` and all its live descendants, plus what it reaped from those that exited. */
function treeCpuMs(root: number): number {
  const children = childrenByParent();
  let ticks = 0;
  const rootStat = statOf(root);
  if (rootStat) ticks += rootStat.reaped;
  const pending = [root];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    ticks += statOf(pid)?.own ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitReady(issuer: string, child: ChildProcess): Promise<void> {
  const agent = keepAliveAgent();
  const deadline = Date.now() + READY_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server/main.ts exited with ${child.exitCode} before it was ready`);
      const ready = await send(agent, new URL('/.well-known/openid-configuration', issuer)).then(
        (reply) => reply.status === 200,
        () => false,
      );
      if (ready) return;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    throw new Error(`server/main.ts not ready after ${READY_TIMEOUT_MS} ms`);
  } finally {
    agent.destroy();
  }
}

/** server/main.ts with `workers` workers, and the seeder for its store, as one ServerProcess; and its serving processes. */
async function startCluster(workers: number): Promise<{ server: ServerProcess; servingPids: () => number[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepup-bench-workers-'));
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const { METRICS_PORT: _metricsPort, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      ISSUER: issuer,
      HOST: '127.0.0.1',
      PORT: String(port),
      STEPUP_DEMO: '0',
      STEPUP_WORKERS: String(workers),
      STEPUP_SCRYPT_N: String(PRODUCT_BENCH_SCRYPT_N),
      LOG_LEVEL: 'silent',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // If the benchmark itself ends first (an error, Ctrl-C), the primary is told to drain; its workers follow it.
  const orphaned = () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    rmSync(dataDir, { recursive: true, force: true });
  };
  process.once('exit', orphaned);
  let seeder: ServerProcess | undefined;
  const stop = async () => {
    await seeder?.stop();
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    }
    process.removeListener('exit', orphaned);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitReady(issuer, child);
    seeder = await startServer('product', { BENCH_SEED_DATA_DIR: dataDir, BENCH_SEED_ISSUER: issuer });
  } catch (error) {
    await stop();
    throw error;
  }
  const server: ServerProcess = { kind: 'product', issuer, pid: child.pid!, call: seeder.call, cpuMs: async () => treeCpuMs(child.pid!), stop };
  // One worker is the process itself; more are the primary's children.
  return { server, servingPids: () => (workers === 1 ? [child.pid!] : (childrenByParent().get(child.pid!) ?? [])) };
}

/** Silent sign-ins and refresh grants at 16 clients per worker, `rounds` rounds each, for each worker count. */
export async function measureWorkers(counts: number[], { rounds, roundMs, commitsPerOp }: { rounds: number; roundMs: number; commitsPerOp: WorkerRun['commitsPerOp'] }): Promise<WorkerRun[]> {
  const runs: WorkerRun[] = [];
  for (const workers of counts) {
    const { server, servingPids } = await startCluster(workers);
    try {
      const side = productContender(server);
      const clients = CLIENTS_PER_WORKER * workers;
      log(`  ${workers} worker(s): setup (${clients + 8} sessions and refresh tokens)`);
      const silentTask = await side.silent(clients + 8);
      const holders = await side.refreshHolders(clients + 8);
      const refreshTask = takeTurns(holders, (holder) => refreshGrant(side.target, holder));
      /** The rounds; during the first, each serving process's busy-handler sleeps are sampled. */
      const measure = async (task: () => Promise<void>) => {
        await runLoad(task, { concurrency: clients, maxCount: WARM_UP.maxCount * workers, maxMs: WARM_UP.maxMs });
        const results = [];
        let sleeps: Promise<SleepShare> | undefined;
        for (let round = 0; round < rounds; round += 1) {
          if (round === 0 && sleepSamplingSupported()) sleeps = sampleSleeps(servingPids(), roundMs * 0.9);
          const cpuBefore = await server.cpuMs();
          const result = await runLoad(task, { concurrency: clients, maxCount: MAX_PER_ROUND, maxMs: roundMs });
          results.push({ ...result, serverCpuMs: ((await server.cpuMs()) - cpuBefore) / result.count });
        }
        return { load: summarize(clients, results), sleeps: await sleeps?.catch(() => undefined) };
      };
      log(`  ${workers} worker(s): silent sign-ins and refresh grants, ${clients} clients, ${rounds} rounds of ${roundMs / 1000} s`);
      const silent = await measure(silentTask);
      const refresh = await measure(refreshTask);
      runs.push({ workers, silent: silent.load, refresh: refresh.load, busyWait: { silent: silent.sleeps, refresh: refresh.sleeps }, commitsPerOp });
    } finally {
      await server.stop();
    }
  }
  return runs;
}
