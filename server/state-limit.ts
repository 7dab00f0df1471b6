// Refuses an authorization request whose `state` would make the redirect back unusable. oidc-provider echoes `state`
// into the Location header (invalid UTF-8 comes back as U+FFFD, nine characters once encoded), so a state near the
// 16 KB request-head limit produces a response head clients refuse (Node's fetch: 16 KB) and the user is stranded.
// RPs need a few hundred characters at most; 4 KB encoded leaves room for signed state values.
import type { Context, Next } from 'koa';

export const MAX_ENCODED_STATE = 4096;

export function stateLimit(authorizationPath: string) {
  return async function limitState(ctx: Context, next: Next) {
    if (ctx.path === authorizationPath) {
      const state = ctx.query.state;
      // Only a single state value can be echoed; oidc-provider itself refuses a repeated one as invalid_request.
      if (typeof state === 'string' && encodeURIComponent(state).length > MAX_ENCODED_STATE) {
        ctx.throw(400, `The state parameter is too long (at most ${MAX_ENCODED_STATE} characters once URL-encoded). Go back to the application.`);
      }
    }
    await next();
  };
}
