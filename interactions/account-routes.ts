// The account pages: a first-party client of the provider that steps up before any change of authenticators.
import { randomBytes } from 'node:crypto';
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AuthError, confirmTotpEnrollment, decryptSecret, encryptSecret, generateTotpSecret, qrSvg, totpUri } from '../authenticators/index.ts';
import { currentLevel } from '../policy/ladder.ts';
import { ACCOUNT_CLIENT_ID, accountRedirectUri } from '../server/account-client.ts';
import type { InteractionDeps } from './deps.ts';
import { messageFor } from './messages.ts';
import { accountPage, signedOutPage, totpEnrolPage } from './views/account-pages.ts';

const RETURN_PATHS = new Set(['/account', '/account/totp']);
const STEP_UP_COOKIE = 'stepup.account';
const CANDIDATE_COOKIE = 'stepup.totp';
const CANDIDATE_TTL = 600;
const MAX_TOTP_AUTHENTICATORS = 10;

function clearCookie(ctx: Context, name: string, path: string): void {
  ctx.cookies.set(name, null, { signed: true, path });
}

interface SignedIn {
  accountId: string;
  sessionUid: string;
  username: string;
}

export function accountRoutes(deps: InteractionDeps, ...guards: Middleware[]): Router {
  const { provider, stores, config } = deps;
  const secure = config.issuer.startsWith('https://');
  const router = new Router();
  if (guards.length) router.use(...guards);

  async function signedIn(ctx: Context): Promise<SignedIn | undefined> {
    const session = await provider.Session.get(ctx as never);
    if (!session.accountId) return undefined;
    const account = await stores.accounts.findById(session.accountId);
    return account ? { accountId: account.id, sessionUid: session.uid, username: account.username } : undefined;
  }

  /** Sends the browser through the authorization endpoint, asking for what the policy requires. */
  function startStepUp(ctx: Context, returnTo: string, request: { acr?: string; maxAge?: number }) {
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

  /** Whether the session proved the account's highest level recently enough to change authenticators. */
  async function freshEnough(user: SignedIn) {
    const { decision } = await deps.assess({
      sensitiveAction: { maxAge: config.sensitiveActionMaxAge },
      client: { clientId: ACCOUNT_CLIENT_ID },
      accountId: user.accountId,
      sessionUid: user.sessionUid,
      now: deps.now(),
    });
    return decision;
  }

  async function showAccount(ctx: Context, user: SignedIn, extra: { notice?: string; error?: string } = {}) {
    const events = await stores.events.listBySession(user.sessionUid, deps.now());
    const level = currentLevel(config.policy.ladder, events.filter((event) => event.accountId === user.accountId), deps.now());
    ctx.body = accountPage({ username: user.username, level: level ? `${level.level.label ?? level.level.acr} (${level.level.acr})` : undefined, authenticators: await stores.authenticators.listByAccount(user.accountId), ...extra });
  }

  /** The secret being enrolled: kept encrypted in a cookie, bound to the account, short-lived. */
  async function candidateSecret(ctx: Context, user: SignedIn): Promise<string | undefined> {
    const sealed = ctx.cookies.get(CANDIDATE_COOKIE, { signed: true });
    if (!sealed) return undefined;
    const candidate = JSON.parse(await decryptSecret(sealed, deps.keyring).catch(() => 'null')) as { accountId: string; secret: string; exp: number } | null;
    return candidate && candidate.accountId === user.accountId && candidate.exp > deps.now() ? candidate.secret : undefined;
  }

  async function showEnrolment(ctx: Context, user: SignedIn, error?: string) {
    let secret = await candidateSecret(ctx, user);
    if (!secret) {
      secret = generateTotpSecret();
      const payload = JSON.stringify({ accountId: user.accountId, secret, exp: deps.now() + CANDIDATE_TTL });
      ctx.cookies.set(CANDIDATE_COOKIE, await encryptSecret(payload, deps.keyring), { signed: true, httpOnly: true, sameSite: 'strict', secure, path: '/account/totp', maxAge: CANDIDATE_TTL * 1000 });
    }
    const uri = totpUri({ issuer: new URL(config.issuer).host, label: user.username, secret });
    if (error) ctx.status = 400;
    ctx.body = totpEnrolPage({ csrf: ctx.state.csrf, qrSvg: await qrSvg(uri), secret, error });
  }

  router.get('/account', async (ctx) => {
    const user = await signedIn(ctx);
    if (!user) {
      ctx.body = signedOutPage();
      return;
    }
    await showAccount(ctx, user, { notice: ctx.query.notice === 'totp-added' ? 'Your authenticator app is set up.' : undefined });
  });

  router.get('/account/login', (ctx) => startStepUp(ctx, '/account', {}));

  router.get('/account/callback', async (ctx) => {
    const saved = ctx.cookies.get(STEP_UP_COOKIE, { signed: true });
    clearCookie(ctx, STEP_UP_COOKIE, '/account');
    const expected = saved ? (JSON.parse(saved) as { state: string; returnTo: string }) : undefined;
    if (!expected || ctx.query.state !== expected.state) return ctx.throw(400, 'This sign-in response does not match a request from this browser. Start again from your account page.');
    if (typeof ctx.query.error === 'string') {
      const user = await signedIn(ctx);
      const message = ctx.query.error === 'access_denied' ? 'Sign-in was cancelled.' : 'We could not verify it is you, so nothing was changed.';
      if (!user) return void (ctx.body = signedOutPage(message));
      return showAccount(ctx, user, { error: message });
    }
    ctx.redirect(RETURN_PATHS.has(expected.returnTo) ? expected.returnTo : '/account');
  });

  router.get('/account/totp', async (ctx) => {
    const user = await signedIn(ctx);
    if (!user) return startStepUp(ctx, '/account/totp', {});
    const decision = await freshEnough(user);
    if (decision.outcome !== 'satisfied') {
      const acr = decision.outcome === 'step_up' ? decision.acr : undefined;
      return startStepUp(ctx, '/account/totp', { acr, maxAge: config.sensitiveActionMaxAge });
    }
    await showEnrolment(ctx, user);
  });

  router.post('/account/totp', async (ctx) => {
    const user = await signedIn(ctx);
    if (!user) return ctx.throw(401, 'Sign in first.');
    const decision = await freshEnough(user);
    if (decision.outcome !== 'satisfied') return ctx.throw(403, 'Prove it is you again before changing how you sign in.');
    const body = ctx.request.body as Record<string, unknown>;
    const secret = await candidateSecret(ctx, user);
    if (!secret) return ctx.throw(400, 'The setup expired. Start again from your account page.');
    const existing = (await stores.authenticators.listByAccount(user.accountId)).filter((authenticator) => authenticator.kind === 'totp');
    if (existing.length >= MAX_TOTP_AUTHENTICATORS) return ctx.throw(400, `An account can have at most ${MAX_TOTP_AUTHENTICATORS} authenticator apps.`);
    for (const authenticator of existing) {
      // The setup cookie is single-use: replaying it must not enrol the same secret twice.
      if ((await decryptSecret(authenticator.data.secret as string, deps.keyring)) === secret) {
        clearCookie(ctx, CANDIDATE_COOKIE, '/account/totp');
        return ctx.throw(400, 'This authenticator app is already set up.');
      }
    }
    try {
      const record = await confirmTotpEnrollment(
        { accountId: user.accountId, secret, code: String(body.code ?? ''), label: String(body.label ?? '') },
        { authenticators: stores.authenticators, keyring: deps.keyring, now: deps.now() },
      );
      clearCookie(ctx, CANDIDATE_COOKIE, '/account/totp');
      await stores.audit.append({ at: Date.now(), type: 'authenticator.enroll', outcome: 'success', factor: 'otp', accountId: user.accountId, clientId: ACCOUNT_CLIENT_ID, sessionUid: user.sessionUid, reason: `totp ${record.id}` });
      ctx.redirect('/account?notice=totp-added');
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      await stores.audit.append({ at: Date.now(), type: 'authenticator.enroll', outcome: 'failure', factor: 'otp', accountId: user.accountId, clientId: ACCOUNT_CLIENT_ID, sessionUid: user.sessionUid, reason: error.code });
      await showEnrolment(ctx, user, messageFor(error, 'otp').message);
    }
  });

  return router;
}
