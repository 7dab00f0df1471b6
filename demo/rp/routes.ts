// The demo RP's routes: sign in, call the API, follow its challenge through the provider, retry, show what happened.
import Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import type { DemoConfig } from '../config.ts';
import { callApi } from './api-client.ts';
import { nextStep } from './next-step.ts';
import { PAYMENT_ERRORS, paymentDetails, tenfold, transferFromForm, transferLabel, type TransferBody } from './payment.ts';
import type { ProviderClient } from './provider-client.ts';
import type { Session, SessionState } from './sessions.ts';
import { provenDuringStepUp } from './story.ts';
import type { ApiAction, ApiResult, Story } from './types.ts';
import { homePage, messagePage, resultPage, type PageContext } from './views.ts';

/** What the RP asks for at sign-in; the API's resource scopes come with `resource`. */
const BASE_SCOPE = 'openid api:read api:write';

export interface RouteDeps {
  config: DemoConfig;
  provider: ProviderClient;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function sessionOf(ctx: Context): Session {
  return (ctx.state as SessionState).session;
}

function pageContext(ctx: Context): PageContext {
  const session = sessionOf(ctx);
  return { csrf: ctx.state.csrf as string, signedIn: session.signedIn, operation: session.operation, now: nowSeconds() };
}

function seeOther(ctx: Context, url: string) {
  ctx.redirect(url);
  ctx.status = 303;
}

export function rpRoutes({ config, provider }: RouteDeps): Router {
  const router = new Router();

  /** The session's DPoP handle (RFC 9449), made once: every token this session gets is bound to its key. */
  async function dpopOf(session: Session) {
    session.dpop ??= await provider.dpopHandle();
    return session.dpop;
  }

  /**
   * Sends the user to the provider. `challenged`: because the API challenged `action` (counted: one such round trip per
   * action). An action that performs an operation always carries its authorization_details (RFC 9396), so the user sees
   * and approves exactly it, and the provider's policy sets the level the operation needs.
   */
  async function sendToProvider(ctx: Context, extra: Record<string, string>, action?: ApiAction, story?: Story, challenged = false) {
    const session = sessionOf(ctx);
    const scope = [...new Set([...BASE_SCOPE.split(' '), ...(extra.scope ?? '').split(' ')].filter(Boolean))].join(' ');
    const operation: Record<string, string> = action?.operation ? { authorization_details: JSON.stringify(action.operation) } : {};
    const authorization = await provider.authorize(scope, { ...extra, ...operation, scope });
    const { url, ...checks } = authorization;
    session.pending = { ...checks, action: action && { ...action, approved: false, rounds: action.rounds + (challenged ? 1 : 0) }, story };
    seeOther(ctx, url.href);
  }

  /** Calls the API and either shows the answer or follows the challenge; never more than one challenged round trip per action. */
  async function perform(ctx: Context, action: ApiAction, story?: Story) {
    const session = sessionOf(ctx);
    // A payment is approved by the user at the provider before it is made: the RP never sends it with a token that does not approve it.
    if (action.operation && !action.approved) {
      const approval: Story = { action: action.label, operation: action.operation, before: session.signedIn?.facts, sentWith: {}, sentAt: nowSeconds() };
      return sendToProvider(ctx, {}, action, approval);
    }
    if (!session.signedIn) return sendToProvider(ctx, {}, action);
    const result: ApiResult = await callApi(await provider.configuration(), config.apiUrl, session.signedIn.accessToken, action, await dpopOf(session));
    if (story && result.kind !== 'unreachable') story.retry = { status: result.kind === 'answered' ? result.status : result.challenge.status };
    if (result.kind === 'challenged') {
      const step = nextStep(result.challenge, action.rounds);
      if (step.kind === 'authorize') {
        const fresh: Story = {
          action: action.label,
          challenge: result.challenge,
          operation: action.operation,
          before: session.signedIn.facts,
          sentWith: step.params,
          sentAt: nowSeconds(),
        };
        return sendToProvider(ctx, step.params, action, fresh, true);
      }
      session.last = { action: action.label, result, story, stopped: step.why };
      return seeOther(ctx, '/result');
    }
    // The API executed the payment with its token: the token is used up (the demo's buttons show what that means).
    if (action.operation && result.kind === 'answered' && result.status === 200 && session.operation?.accessToken === session.signedIn.accessToken) session.operation.used = true;
    session.last = { action: action.label, result, story };
    seeOther(ctx, '/result');
  }

  /** The demo of refusals: the last operation's token, used again as it is, for the same transfer or for another amount. */
  async function reuse(ctx: Context, kind: 'same' | 'changed') {
    const session = sessionOf(ctx);
    const approved = session.operation;
    if (!approved || !session.signedIn) {
      session.last = { action: 'reuse a payment token', stopped: 'There is no approved payment to try again: make a transfer first.' };
      return seeOther(ctx, '/result');
    }
    const body: TransferBody = kind === 'same' ? approved.transfer : tenfold(approved.transfer);
    const label =
      kind === 'same'
        ? `send the same ${transferLabel(body)} again with the same token`
        : `${transferLabel(body)} with the token approved for ${approved.transfer.amount} ${approved.transfer.currency}`;
    const action: ApiAction = { method: 'POST', path: 'transfer', body, label, rounds: 0, reuse: kind };
    const result = await callApi(await provider.configuration(), config.apiUrl, approved.accessToken, action, await dpopOf(session));
    const stopped = result.kind === 'challenged' ? nextStep(result.challenge, 0, true).why : undefined;
    session.last = { action: label, result, stopped };
    seeOther(ctx, '/result');
  }

  router.get('/', (ctx) => {
    ctx.body = homePage(pageContext(ctx));
  });

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.post('/login', (ctx) => sendToProvider(ctx, {}));

  router.post('/logout', (ctx) => {
    const session = sessionOf(ctx);
    session.signedIn = undefined;
    session.operation = undefined;
    session.dpop = undefined;
    session.last = undefined;
    seeOther(ctx, '/');
  });

  router.get('/balance', (ctx) => perform(ctx, { method: 'GET', path: 'balance', label: 'view your balance', rounds: 0 }));

  router.post('/transfer', (ctx) => {
    const transfer = transferFromForm(ctx.request.body as Record<string, unknown>);
    if (typeof transfer === 'string') {
      ctx.status = 400;
      ctx.body = messagePage('Check the transfer', PAYMENT_ERRORS[transfer]);
      return;
    }
    return perform(ctx, { method: 'POST', path: 'transfer', body: transfer, label: transferLabel(transfer), rounds: 0, operation: paymentDetails(transfer) });
  });

  router.post('/transfer/again', (ctx) => reuse(ctx, 'same'));
  router.post('/transfer/changed', (ctx) => reuse(ctx, 'changed'));

  router.get('/callback', async (ctx) => {
    const session = sessionOf(ctx);
    const pending = session.pending;
    session.pending = undefined;
    if (!pending) {
      ctx.status = 400;
      ctx.body = messagePage('No sign-in in progress', 'This page only works once, at the end of a sign-in started here. Start again from the demo bank.');
      return;
    }
    const { story, action } = pending;
    let exchanged;
    try {
      exchanged = await provider.exchange(new URL(ctx.originalUrl, config.rpUrl), pending, await dpopOf(session));
    } catch (error) {
      if (!(error instanceof oidc.AuthorizationResponseError)) throw error;
      // e.g. unmet_authentication_requirements: the account cannot reach the level the API asked for.
      if (story) story.providerError = { error: error.error, description: error.error_description };
      const declined = action?.operation !== undefined && error.error === 'access_denied';
      const stopped = declined ? 'You did not approve the payment at the provider (access_denied): nothing was paid.' : `The provider did not sign you in: ${error.error}.`;
      session.last = { action: action?.label ?? 'sign in', story, stopped };
      return seeOther(ctx, '/result');
    }
    session.signedIn = exchanged;
    if (story) {
      story.after = exchanged.facts;
      story.proven = provenDuringStepUp(story.before, exchanged.facts, story.challenge?.maxAge, story.sentAt);
    }
    if (action?.operation) {
      // The token the provider issued for this operation: kept to show, afterwards, that it does nothing else. It is also
      // the token held (the RP asks it for its usual scopes, so the page has one token to show): it lives the payment's
      // 120 s, and a call after that signs in again, silently while the provider's session lasts.
      const transfer = action.body as TransferBody;
      session.operation = { transfer, details: action.operation, accessToken: exchanged.accessToken, expiresAt: exchanged.accessTokenExpiresAt };
      return perform(ctx, { ...action, approved: true }, story);
    }
    if (action) return perform(ctx, action, story);
    seeOther(ctx, '/');
  });

  router.get('/result', (ctx) => {
    const { last } = sessionOf(ctx);
    if (!last) return seeOther(ctx, '/');
    ctx.body = resultPage(pageContext(ctx), last);
  });

  return router;
}
