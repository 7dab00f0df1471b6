// The structured JSON logger (pino), each line tagged with its request id; request secrets (passwords, codes, tokens, cookies) are redacted if they ever reach it.
import { pino } from 'pino';
import { currentRequestId } from './request-log.ts';

/** Lines go to stdout, or to `destination` (tests read them there). */
export function createLogger(level: string, destination?: pino.DestinationStream) {
  return pino({
    level,
    // Every line written while a request runs names it (server/request-log.ts).
    mixin: () => {
      const requestId = currentRequestId();
      return requestId ? { requestId } : {};
    },
    redact: {
      paths: ['password', 'code', 'secret', 'client_secret', 'token', 'access_token', 'refresh_token', 'id_token', '*.password', '*.code', '*.secret', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  }, destination);
}

export type Logger = ReturnType<typeof createLogger>;
