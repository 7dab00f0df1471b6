// What every account page shares: who is signed in, stepping up through the provider, fresh-enough checks, sealed cookies.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { decryptSecret, encryptSecret } from '../../authenticators/index.ts';
import type { Decision } from '../../policy/types.ts';
import { ACCOUNT_CLIENT_ID, accountRedirectUri } from '../../server/account-client.ts';
import type { InteractionDeps } from '../deps.ts';

export const STEP_UP_COOKIE = 'stepup.account';
export const RETURN_PATHS = new Set(['/account', '/account/totp', '/account/passkey', '/account/manage']);

export interface SignedIn {
  accountId: string;
  sessionUid: string;
  username: string;
}

export function createAccountContext(deps: InteractionDeps) {
  const { provider, stores, config } = deps;
  const secure = config.issuer.startsWith('https://');

  async function signedIn(ctx: Context): Promise<SignedIn | undefined> {
    const session = await provider.Session.get(ctx as never);
    if (!session.accountId) return undefined;
    const account = await stores.accounts.findById(session.accountId);
    return account ? { accountId: account.id, sessionUid: session.uid, username: account.username } : undefined;
  }

  /** Sends the browser through the authorization endpoint, asking for what the policy requires. */
  function startStepUp(ctx: Context, returnTo: string, request: { acr?: string; maxAge?: number } = {}): void {
    const state = randomBytes(16).toString('base64url');
    ctx.cookies.set(STEP_UP_COOKIE, JSON.stringify({ state, returnTo }), { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/account', maxAge: 600_000 });
    const url = new URL(`${config.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'none',
      redirect_uri: accountRedirectUri(config.issuer),
      scope: 'openid',
      state,
      ...(request.acr ? { acr_values: request.acr } : {}),
      ...(request.maxAge !== undefined ? { max_age: String(request.maxAge) } : {}),
    }).toString();
    ctx.redirect(url.href);
  }

  /** The policy's verdict on changing authenticators now: the account's highest level, proven recently. */
  async function freshness(user: SignedIn): Promise<Decision> {
    const { decision } = await deps.assess({
      sensitiveAction: { maxAge: config.sensitiveActionMaxAge },
      client: { clientId: ACCOUNT_CLIENT_ID },
      accountId: user.accountId,
      sessionUid: user.sessionUid,
      now: deps.now(),
    });
    return decision;
  }

  /** For a page that changes authenticators: the user, or a redirect to sign in / step up first. */
  async function freshUser(ctx: Context, returnTo: string): Promise<SignedIn | undefined> {
    const user = await signedIn(ctx);
    if (!user) return void startStepUp(ctx, returnTo);
    const decision = await freshness(user);
    if (decision.outcome === 'satisfied') return user;
    startStepUp(ctx, returnTo, { acr: decision.outcome === 'step_up' ? decision.acr : undefined, maxAge: config.sensitiveActionMaxAge });
    return undefined;
  }

  /** For a form post that changes authenticators: the user, or an error (a post cannot be replayed after a redirect). */
  async function freshPoster(ctx: Context): Promise<SignedIn> {
    const user = await signedIn(ctx);
    if (!user) return ctx.throw(401, 'Sign in first.');
    if ((await freshness(user)).outcome !== 'satisfied') return ctx.throw(403, 'Prove it is you again before changing how you sign in.');
    return user;
  }

  /** A short-lived value kept encrypted in a cookie, bound to the signed-in account. */
  async function seal(ctx: Context, name: string, path: string, user: SignedIn, value: string, ttl: number): Promise<void> {
    const payload = JSON.stringify({ accountId: user.accountId, value, exp: deps.now() + ttl });
    ctx.cookies.set(name, await encryptSecret(payload, deps.keyring), { signed: true, httpOnly: true, sameSite: 'strict', secure, path, maxAge: ttl * 1000 });
  }

  async function unseal(ctx: Context, name: string, user: SignedIn): Promise<string | undefined> {
    const sealed = ctx.cookies.get(name, { signed: true });
    if (!sealed) return undefined;
    const opened = JSON.parse(await decryptSecret(sealed, deps.keyring).catch(() => 'null')) as { accountId: string; value: string; exp: number } | null;
    return opened && opened.accountId === user.accountId && opened.exp > deps.now() ? opened.value : undefined;
  }

  function clearCookie(ctx: Context, name: string, path: string): void {
    ctx.cookies.set(name, null, { signed: true, path });
  }

  function audit(user: SignedIn, type: string, outcome: 'success' | 'failure', factor: string, reason?: string) {
    return stores.audit.append({ at: Date.now(), type, outcome, factor, accountId: user.accountId, clientId: ACCOUNT_CLIENT_ID, sessionUid: user.sessionUid, reason });
  }

  return { signedIn, startStepUp, freshUser, freshPoster, seal, unseal, clearCookie, audit };
}

export type AccountContext = ReturnType<typeof createAccountContext>;
