// The account pages: a first-party client of the provider that steps up before any change of sign-in methods.
import Router from '@koa/router';
import type { Middleware } from 'koa';
import type { InteractionDeps } from '../deps.ts';
import { createAccountContext } from './context.ts';
import { manageRoutes } from './manage-routes.ts';
import { overviewRoutes } from './overview-routes.ts';
import { passkeyRoutes } from './passkey-routes.ts';
import { recoveryRoutes } from './recovery-routes.ts';
import { totpRoutes } from './totp-routes.ts';

export function accountRoutes(deps: InteractionDeps, ...guards: Middleware[]): Router {
  const router = new Router();
  if (guards.length) router.use(...guards);
  const account = createAccountContext(deps);
  overviewRoutes(deps, account, router);
  totpRoutes(deps, account, router);
  passkeyRoutes(deps, account, router);
  manageRoutes(deps, account, router);
  recoveryRoutes(deps, account, router);
  return router;
}
