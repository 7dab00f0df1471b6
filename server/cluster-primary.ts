// The cluster primary (STEPUP_WORKERS above 1): forks the workers, which share the port (node:cluster hands each new
// connection to the next worker in turn), replaces a worker that dies, gives up on a crash loop, drains them all on
// SIGTERM or SIGINT, and serves their summed metrics. It serves no requests and opens no stores itself.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { MAX_WORKERS } from '../config/settings.ts';
import { clusterMetrics } from './cluster-metrics.ts';
import { DRAIN_MESSAGE, DRAIN_TIMEOUT_MS } from './cluster-drain.ts';
import type { Logger } from './logger.ts';
import { startMetricsServer } from './metrics-server.ts';

/** Deaths within this window count towards a crash loop. */
const CRASH_WINDOW_MS = 60_000;
/** A crash loop: this many deaths (or one per worker, if more) within the window. The primary then exits 1. */
const MIN_CRASH_LIMIT = 5;
/** A replacement starts after this delay, doubled for each earlier death within the window, up to the maximum. */
const FIRST_RESTART_DELAY_MS = 250;
const MAX_RESTART_DELAY_MS = 10_000;
/** After asking the workers to drain, how long the primary waits before killing those still running. */
const STOP_GRACE_MS = DRAIN_TIMEOUT_MS + 2_000;

/** STEPUP_WORKERS as a number: `auto` is one per core this process may use (at most MAX_WORKERS). */
export function workerCount(setting: number | 'auto', available: number = availableParallelism()): number {
  return setting === 'auto' ? Math.max(1, Math.min(available, MAX_WORKERS)) : setting;
}

export interface PrimaryOptions {
  workers: number;
  /** The primary's logger (its lines carry `role: "primary"`). */
  logger: Logger;
  /** Serve the workers' summed metrics at http://host:port/metrics (METRICS_PORT). */
  metrics?: { port: number; host: string };
  /** Called once, when every worker first listens. */
  onListening(): void;
}

export function runPrimary({ workers, logger: log, metrics: metricsAt, onListening }: PrimaryOptions): void {
  const metrics = metricsAt && clusterMetrics();
  const metricsServer = metrics && metricsAt && startMetricsServer(metrics, metricsAt.port, metricsAt.host);
  const crashLimit = Math.max(MIN_CRASH_LIMIT, workers);
  const live = new Map<number, Worker>();
  const listening = new Set<number>();
  const deaths: number[] = [];
  const restarts = new Set<NodeJS.Timeout>();
  let announced = false;
  let stopping = false;
  let failed = false;

  const fork = () => {
    const worker = cluster.fork();
    live.set(worker.id, worker);
    // A message to a worker whose channel just closed: its exit follows and is handled there.
    worker.on('error', (error) => log.warn({ err: error, worker: worker.id }, 'worker channel error'));
  };

  const finish = () => {
    metricsServer?.close();
    log.info({ exitCode: failed ? 1 : 0 }, 'all workers stopped');
    process.exit(failed ? 1 : 0);
  };

  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    log.info({ reason, workers: live.size }, 'shutting down: draining the workers');
    for (const worker of live.values()) {
      if (listening.has(worker.id) && worker.isConnected()) worker.send(DRAIN_MESSAGE);
      // Still starting: nothing in flight, and no one in it would hear the message yet.
      else worker.process.kill('SIGTERM');
    }
    setTimeout(() => {
      for (const worker of live.values()) {
        log.warn({ worker: worker.id, workerPid: worker.process.pid }, `worker still running ${STOP_GRACE_MS} ms after the drain began: killing it`);
        worker.process.kill('SIGKILL');
      }
      failed = true;
      finish();
    }, STOP_GRACE_MS).unref();
    if (live.size === 0) finish();
  };

  cluster.on('listening', (worker) => {
    listening.add(worker.id);
    log.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker listening');
    if (!announced && listening.size >= workers) {
      announced = true;
      onListening();
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const started = listening.delete(worker.id);
    live.delete(worker.id);
    // `workerPid`, not `pid` (the primary's own) nor `code` (redacted: server/logger.ts).
    const about = { worker: worker.id, workerPid: worker.process.pid, exitCode: code, signal };
    if (stopping) {
      // Clean: drained (exit 0), or stopped by SIGTERM before it served anything.
      if (code !== 0 && !(signal === 'SIGTERM' && !started)) failed = true;
      log.info(about, 'worker stopped');
      if (live.size === 0) finish();
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths[0]! <= now - CRASH_WINDOW_MS) deaths.shift();
    if (deaths.length >= crashLimit) {
      log.fatal({ ...about, deaths: deaths.length }, `workers died ${deaths.length} times within ${CRASH_WINDOW_MS / 1000} s: giving up, exiting 1`);
      failed = true;
      stop('crash loop');
      return;
    }
    const delay = Math.min(FIRST_RESTART_DELAY_MS * 2 ** (deaths.length - 1), MAX_RESTART_DELAY_MS);
    log.error({ ...about, replaceInMs: delay }, 'worker died: starting a replacement');
    const timer = setTimeout(() => {
      restarts.delete(timer);
      metrics?.workerReplaced();
      fork();
    }, delay);
    restarts.add(timer);
  });

  metricsServer?.on('error', (error) => {
    log.fatal({ err: error, port: metricsAt?.port, host: metricsAt?.host }, 'cannot serve metrics');
    failed = true;
    stop('cannot serve metrics');
  });
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (let index = 0; index < workers; index += 1) fork();
}
