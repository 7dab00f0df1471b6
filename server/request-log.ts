// Request ids and the access log: every request gets an id (a sane X-Request-Id from a trusted proxy in front, or a
// new UUID; a client's own is ignored), echoed in the response's X-Request-Id and added to every log line written while the request runs, through
// AsyncLocalStorage and the logger's mixin (server/logger.ts). The access log has the path only, never the query
// string: authorization requests carry hints, tokens and state there.
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from './logger.ts';

const current = new AsyncLocalStorage<{ requestId: string }>();
const SANE_ID = /^[A-Za-z0-9._:-]{8,128}$/;
/** The health probes a load balancer calls every few seconds (answered in app.ts): logged at debug only. */
export const PROBES: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/** The id of the request being handled, if any: what the logger's mixin adds to each line. */
export function currentRequestId(): string | undefined {
  return current.getStore()?.requestId;
}

export function requestLog(logger: Logger, { trustRequestId }: { trustRequestId: boolean }) {
  return async function log(ctx: Context, next: Next) {
    const given = trustRequestId ? ctx.get('X-Request-Id') : '';
    const requestId = SANE_ID.test(given) ? given : randomUUID();
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    await current.run({ requestId }, async () => {
      try {
        await next();
      } finally {
        const line = { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round((performance.now() - started) * 10) / 10 };
        if (PROBES.has(ctx.path)) logger.debug(line, 'request');
        else logger.info(line, 'request');
      }
    });
  };
}
