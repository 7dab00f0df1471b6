// All user-facing routes, behind form parsing and CSRF protection (security headers are app-wide: server/security-headers.ts).
import type { Middleware } from 'koa';
import Router from '@koa/router';
import { cookieOptions } from '../config/cookies.ts';
import { accountRoutes } from './account/index.ts';
import { csrfProtection } from './csrf.ts';
import type { InteractionDeps } from './deps.ts';
import { formBody } from './form-body.ts';
import { loginRoutes } from './login-routes.ts';
import { staticRoutes } from './static-routes.ts';

export type { InteractionDeps } from './deps.ts';

export function interactionMiddleware(deps: InteractionDeps): Middleware[] {
  const guarded = [formBody, csrfProtection(cookieOptions(deps.config, { path: '/' }))];
  return [under(['/static', '/favicon.ico'], staticRoutes()), under(['/interaction'], loginRoutes(deps, ...guarded)), under(['/account'], accountRoutes(deps, ...guarded))];
}

/**
 * A router's routes, tried only for paths under its prefixes: every other request (the authorization and token
 * endpoints above all) goes on without matching each route's pattern. Case-insensitive, as the routers' own matching.
 */
function under(prefixes: readonly string[], router: Router): Middleware {
  const routes = router.routes() as unknown as Middleware;
  return (ctx, next) => {
    const path = ctx.path.toLowerCase();
    return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`)) ? routes(ctx, next) : next();
  };
}
