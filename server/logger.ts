// The structured logger; request secrets (passwords, codes, tokens, cookies) are redacted if they ever reach it.
import { pino } from 'pino';

export function createLogger(level: string) {
  return pino({
    level,
    redact: {
      paths: ['password', 'code', 'secret', 'client_secret', 'token', 'access_token', 'refresh_token', 'id_token', '*.password', '*.code', '*.secret', 'headers.cookie', 'headers.authorization'],
      censor: '[redacted]',
    },
  });
}

export type Logger = ReturnType<typeof createLogger>;
