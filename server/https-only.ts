// With an https issuer, every request must have come through the TLS-terminating proxy, which says so in
// X-Forwarded-Proto. One that did not (a proxy that drops the header, a client talking to the plain-HTTP port) would
// fail where a Secure cookie is set (a 500 from the cookie library) or be answered under the wrong scheme: it gets a
// clear 400 instead, and the operator a warning (at most once a minute) naming the fix. Health probes stay answered.
import type { Context, Next } from 'koa';
import type { Logger } from './logger.ts';
import { PROBES } from './request-log.ts';

const WARN_INTERVAL_MS = 60_000;

export function httpsOnly(logger: Logger) {
  let lastWarning = -Infinity;
  return async function requireHttps(ctx: Context, next: Next) {
    if (ctx.secure || PROBES.has(ctx.path)) return next();
    if (Date.now() - lastWarning > WARN_INTERVAL_MS) {
      lastWarning = Date.now();
      logger.warn({ path: ctx.path }, 'a request reached the server without X-Forwarded-Proto: https; the TLS proxy in front must send it (and STEPUP_PROXY_HOPS count it)');
    }
    ctx.status = 400;
    ctx.type = 'text/plain';
    ctx.body = 'This server is only reachable over HTTPS, through its proxy.';
  };
}
