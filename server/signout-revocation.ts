// Sign-out and offline access. oidc-provider keeps the grants of clients given offline_access when a user signs out
// (their refresh tokens are meant to outlive the browser session); with STEPUP_SIGNOUT_REVOKES_OFFLINE=1 a sign-out
// revokes those grants too, with every token issued under them.
import type { Middleware } from 'koa';
import type Provider from 'oidc-provider';
import { GRANT_REVOKED_MODELS } from '../adapters/consume-once.ts';
import type { Stores } from '../adapters/types.ts';

const CONFIRM_PATH = '/session/end/confirm';

type Authorizations = Record<string, { grantId?: string }>;

export function signoutRevokesOffline(provider: Provider, stores: Pick<Stores, 'OidcAdapter'>): Middleware {
  async function revokeGrant(grantId: string): Promise<void> {
    for (const model of GRANT_REVOKED_MODELS) await new stores.OidcAdapter(model).revokeByGrantId(grantId);
    await new stores.OidcAdapter('Grant').destroy(grantId);
  }

  return async function revokeOfflineAtSignOut(ctx, next) {
    if (ctx.method !== 'POST' || ctx.path !== CONFIRM_PATH) return next();
    const before = { ...((await provider.Session.get(ctx as never)).authorizations as Authorizations | undefined) };
    await next();
    if (ctx.status >= 400) return;
    // What the sign-out ended: every authorization (sign out everywhere) or the one client's (sign out of it only).
    const after = ((await provider.Session.get(ctx as never)).authorizations as Authorizations | undefined) ?? {};
    for (const [clientId, { grantId }] of Object.entries(before)) {
      if (grantId && after[clientId]?.grantId !== grantId) await revokeGrant(grantId);
    }
  };
}
