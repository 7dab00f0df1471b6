// The demo RP's back-channel logout endpoint (OpenID Connect Back-Channel Logout 1.0): the provider tells it that a
// session ended (a sign-out, a recovery, an operator's disable or reset), and it drops the matching browser sessions.
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Context } from 'koa';
import type * as oidc from 'openid-client';
import type { SessionStore } from './sessions.ts';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
/** Logout tokens older than this are refused (§2.6: the RP decides how recent they must be). */
const MAX_TOKEN_AGE = '5m';
/** jti values seen recently, so a captured token cannot be replayed; bounded. */
const SEEN_LIMIT = 10_000;

export function backchannelLogout(deps: { configuration: () => Promise<oidc.Configuration>; clientId: string; store: SessionStore }) {
  const seen = new Set<string>();
  let jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  async function verify(token: string): Promise<JWTPayload> {
    const metadata = (await deps.configuration()).serverMetadata();
    jwks ??= createRemoteJWKSet(new URL(metadata.jwks_uri!));
    const { payload } = await jwtVerify(token, jwks, { issuer: metadata.issuer, audience: deps.clientId, typ: 'logout+jwt', maxTokenAge: MAX_TOKEN_AGE });
    const events = payload.events as Record<string, unknown> | undefined;
    if (!events || typeof events[EVENT] !== 'object') throw new Error('not a logout token: no back-channel logout event');
    if ('nonce' in payload) throw new Error('a logout token must not carry a nonce');
    if (typeof payload.sid !== 'string' && typeof payload.sub !== 'string') throw new Error('a logout token names a sid or a sub');
    if (typeof payload.jti !== 'string' || seen.has(payload.jti)) throw new Error('a logout token needs a jti not seen before');
    seen.add(payload.jti);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value!);
    return payload;
  }

  return async function receive(ctx: Context): Promise<void> {
    ctx.set('Cache-Control', 'no-store');
    const token = (ctx.request.body as Record<string, unknown> | undefined)?.logout_token;
    try {
      if (typeof token !== 'string') throw new Error('logout_token is required');
      const claims = await verify(token);
      const dropped = deps.store.dropWhere((session) => session.signedIn !== undefined && (typeof claims.sid === 'string' ? session.signedIn.sid === claims.sid : session.signedIn.sub === claims.sub));
      ctx.status = 200;
      ctx.body = { dropped };
    } catch (error) {
      // §2.8: an invalid logout token gets a 400 with an OAuth error body.
      ctx.status = 400;
      ctx.body = { error: 'invalid_request', error_description: (error as Error).message };
    }
  };
}
