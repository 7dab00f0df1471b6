// The structured JSON logger (pino), each line tagged with its request id (and its worker, when clustered); request secrets (passwords, codes, tokens, cookies) are redacted if they ever reach it.
import cluster from 'node:cluster';
import { hostname } from 'node:os';
import { pino } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { currentRequestId } from './request-log.ts';

/**
 * Readable lines (pino-pretty) only for a person at a terminal in development; JSON lines everywhere else (production,
 * a pipe, a file, a log collector), so nothing that parses the logs ever sees the pretty form.
 */
export function prettyLogs(environment: { nodeEnv?: string; stdoutIsTTY?: boolean } = { nodeEnv: process.env.NODE_ENV, stdoutIsTTY: process.stdout.isTTY }): boolean {
  return environment.stdoutIsTTY === true && (environment.nodeEnv ?? 'development') === 'development';
}

/** Lines go to stdout (readable at a development terminal, see prettyLogs), or to `destination` (tests read them there). */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  const output = destination ?? (prettyLogs() ? PinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }) : undefined);
  return pino(
    {
      level,
      // With STEPUP_WORKERS above 1, a worker's lines name it (node:cluster's id: a replacement gets a new one).
      base: { pid: process.pid, hostname: hostname(), ...(cluster.worker && { worker: cluster.worker.id }) },
      // Every line written while a request runs names it (server/request-log.ts).
      mixin: () => {
        const requestId = currentRequestId();
        return requestId ? { requestId } : {};
      },
      redact: {
        paths: ['password', 'code', 'secret', 'client_secret', 'token', 'access_token', 'refresh_token', 'id_token', '*.password', '*.code', '*.secret', 'headers.cookie', 'headers.authorization'],
        censor: '[redacted]',
      },
    },
    output,
  );
}

export type Logger = ReturnType<typeof createLogger>;
