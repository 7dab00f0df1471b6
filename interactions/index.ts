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
  const routers: Router[] = [loginRoutes(deps, ...guarded), accountRoutes(deps, ...guarded)];
  return [staticRoutes().routes() as unknown as Middleware, ...routers.map((router) => router.routes() as unknown as Middleware)];
}
