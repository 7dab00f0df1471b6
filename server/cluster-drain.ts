// Graceful stop of one serving process (the single process, or a worker): stop accepting connections, let the
// requests in flight finish within a bound, close the stores, exit. The primary asks its workers with DRAIN_MESSAGE.
import cluster from 'node:cluster';
import type { Server } from 'node:http';
import type { Logger } from './logger.ts';

/** The primary's request to a worker to drain and exit (cluster-primary.ts). */
export const DRAIN_MESSAGE = 'stepup:drain';

/** Requests still running this long after the stop began have their connections cut, and the process exits 1. */
export const DRAIN_TIMEOUT_MS = 5_000;

/** How often keep-alive connections that went idle since the stop began are closed. */
const IDLE_SWEEP_MS = 100;

export interface Drainable {
  server: Server;
  logger: Logger;
  /** Closes what the process holds after the last request (the stores, the metrics listener). */
  close(): Promise<void>;
}

/** Drains on SIGTERM, SIGINT and, in a worker, the primary's DRAIN_MESSAGE; exits 0 when everything finished in time. */
export function drainOnStop({ server, logger, close }: Drainable): void {
  let draining = false;
  const drain = (reason: string) => {
    if (draining) return;
    draining = true;
    logger.info({ reason }, 'shutting down: finishing the requests in flight');
    let forced = false;
    // A keep-alive connection goes as soon as it is idle: it would otherwise hold server.close() open.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      forced = true;
      logger.warn({ afterMs: DRAIN_TIMEOUT_MS }, 'requests still in flight: cutting their connections');
      server.closeAllConnections();
    }, DRAIN_TIMEOUT_MS);
    // Whatever happens to the closes below, the process is gone soon after the deadline.
    setTimeout(() => process.exit(1), DRAIN_TIMEOUT_MS + 1_000).unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(deadline);
      close().then(
        () => process.exit(forced ? 1 : 0),
        (error: unknown) => {
          logger.error({ err: error }, 'closing the stores failed');
          process.exit(1);
        },
      );
    });
  };
  process.on('SIGTERM', () => drain('SIGTERM'));
  process.on('SIGINT', () => drain('SIGINT'));
  if (cluster.isWorker) process.on('message', (message) => message === DRAIN_MESSAGE && drain('asked by the primary'));
}
