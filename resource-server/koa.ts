// koa middleware over the guard: one line per route, the verified token in ctx.state.auth.
import type { Middleware } from 'koa';
import type { Guard } from './guard.ts';
import type { Requirement, VerifiedToken } from './types.ts';

export interface GuardState {
  auth: VerifiedToken;
}

/** `const need = koaGuard(guard); router.post('/transfer', need({ acr: 'phr', maxAge: 300 }), handler)` */
export function koaGuard(guard: Guard) {
  return function need(requirement?: Requirement): Middleware {
    const protect = guard.protect(requirement);
    return async function requireAuthentication(ctx, next) {
      const result = await protect({
        authorization: ctx.get('authorization') || undefined,
        dpop: ctx.headers.dpop,
        method: ctx.method,
        // ctx.href honours X-Forwarded-Proto/Host only with app.proxy; the guard's `origin` option overrides it.
        url: ctx.href,
        // Set by a body parser mounted before the guard (@koa/bodyparser), for operation matchers.
        body: (ctx.request as { body?: unknown }).body,
      });
      if (!result.ok) {
        ctx.status = result.status;
        ctx.set(result.headers);
        ctx.set('Cache-Control', 'no-store');
        ctx.body = result.body;
        return;
      }
      ctx.set(result.headers);
      (ctx.state as GuardState).auth = result.token;
      await next();
    };
  };
}
