// RFC 9470 §4 registers acr_values and max_age as OAuth authorization request parameters, for clients that want an
// access token and no ID token. oidc-provider accepts them only with the openid scope (actions/authorization/
// scopes.js), so a request without openid carries them under our own names, which the step-up policy reads instead.
import type { Middleware } from 'koa';
import { OAUTH_STEP_UP_PARAMS } from '../stepup/oauth-params.ts';

const AUTHORIZATION_PATH = '/auth';

export const oauthStepUpParams: Middleware = async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path === AUTHORIZATION_PATH) {
    const params = new URLSearchParams(ctx.querystring);
    const scope = params.getAll('scope');
    // No scope at all is an OAuth-only request too; a repeated scope is left for the endpoint to refuse.
    const openid = scope.length > 1 || (scope.length === 1 && scope[0]!.split(' ').includes('openid'));
    let moved = false;
    for (const [name, alias] of Object.entries(OAUTH_STEP_UP_PARAMS)) {
      if (openid || !params.has(name)) continue;
      // A client sending both spellings repeats a parameter, which the authorization endpoint refuses.
      for (const value of params.getAll(name)) params.append(alias, value);
      params.delete(name);
      moved = true;
    }
    if (moved) ctx.querystring = params.toString();
  }
  await next();
};
