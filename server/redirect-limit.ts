// Refuses to send a redirect too long for the clients and proxies on its way. oidc-provider echoes the request's
// `state` (and more) into Location; invalid UTF-8 comes back as U+FFFD, nine characters once encoded. A request near
// the 16 KB head limit, sent directly, through pushed authorization (PAR, 56 KB bodies) or under another spelling of
// the path, would otherwise produce a response head clients refuse (Node's fetch: 16 KB; nginx's default proxy
// buffer: 4 or 8 KB) and strand the user. Checking the response covers every way in; the sign-in is abandoned with
// a 400 page, and whatever was issued for it expires unused. A `state` already too long in the query string is
// refused before any page is shown, so nobody signs in only to be stopped at the end.
import type { Context, Next } from 'koa';
import { html } from '../views/html.ts';
import { layout } from '../views/layout.ts';

/** Bytes of Location a redirect may carry: a state of up to MAX_ENCODED_STATE, plus the code and issuer. */
const MAX_LOCATION_BYTES = 8192;
export const MAX_ENCODED_STATE = 4096;

export async function redirectLimit(ctx: Context, next: Next) {
  const { state } = ctx.query;
  if (typeof state === 'string' && encodeURIComponent(state).length > MAX_ENCODED_STATE) return tooLarge(ctx);
  await next();
  const location = ctx.response.get('Location');
  if (location && Buffer.byteLength(location) > MAX_LOCATION_BYTES) {
    ctx.remove('Location');
    tooLarge(ctx);
  }
}

function tooLarge(ctx: Context): void {
  ctx.status = 400;
  ctx.type = 'html';
  ctx.body = layout(
    'Request too large',
    html`<h1>We could not complete this request</h1>
<p class="error" role="alert">The application's request is too large to answer (its state parameter is too long).</p>
<p class="hint">Go back to the application you came from and try again.</p>`,
  );
}
