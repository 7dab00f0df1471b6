// The demo RP's routes: sign in, call the API, follow its challenge through the provider, retry, show what happened.
import Router from '@koa/router';
import type { Context } from 'koa';
import * as oidc from 'openid-client';
import type { DemoConfig } from '../config.ts';
import { callApi } from './api-client.ts';
import { nextStep } from './next-step.ts';
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
  return { csrf: ctx.state.csrf as string, signedIn: sessionOf(ctx).signedIn, now: nowSeconds() };
}

function seeOther(ctx: Context, url: string) {
  ctx.redirect(url);
  ctx.status = 303;
}

export function rpRoutes({ config, provider }: RouteDeps): Router {
  const router = new Router();

  async function sendToProvider(ctx: Context, extra: Record<string, string>, action?: ApiAction, story?: Story) {
    const session = sessionOf(ctx);
    const scope = [...new Set([...BASE_SCOPE.split(' '), ...(extra.scope ?? '').split(' ')].filter(Boolean))].join(' ');
    const authorization = await provider.authorize(scope, { ...extra, scope });
    const { url, ...checks } = authorization;
    session.pending = { ...checks, action: action && { ...action, rounds: action.rounds + 1 }, story };
    seeOther(ctx, url.href);
  }

  /** Calls the API and either shows the answer or follows the challenge; never more than one round trip per action. */
  async function perform(ctx: Context, action: ApiAction, story?: Story) {
    const session = sessionOf(ctx);
    if (!session.signedIn) return sendToProvider(ctx, {}, action);
    const result: ApiResult = await callApi(await provider.configuration(), config.apiUrl, session.signedIn.accessToken, action);
    if (story && result.kind !== 'unreachable') story.retry = { status: result.kind === 'answered' ? result.status : result.challenge.status };
    if (result.kind === 'challenged') {
      const step = nextStep(result.challenge, action.rounds);
      if (step.kind === 'authorize') {
        const fresh: Story = {
          action: action.label,
          challenge: result.challenge,
          before: session.signedIn.facts,
          sentWith: step.params,
          sentAt: nowSeconds(),
        };
        return sendToProvider(ctx, step.params, action, fresh);
      }
      session.last = { action: action.label, result, story, stopped: step.why };
      return seeOther(ctx, '/result');
    }
    session.last = { action: action.label, result, story };
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
    session.last = undefined;
    seeOther(ctx, '/');
  });

  router.get('/balance', (ctx) => perform(ctx, { method: 'GET', path: 'balance', label: 'view your balance', rounds: 0 }));

  router.post('/transfer', (ctx) => {
    const body = ctx.request.body as Record<string, unknown>;
    const to = String(body.to ?? '').slice(0, 64);
    const amount = String(body.amount ?? '').slice(0, 12);
    return perform(ctx, { method: 'POST', path: 'transfer', body: { to, amount }, label: `transfer ${amount} EUR to ${to}`, rounds: 0 });
  });

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
      exchanged = await provider.exchange(new URL(ctx.originalUrl, config.rpUrl), pending);
    } catch (error) {
      if (!(error instanceof oidc.AuthorizationResponseError)) throw error;
      // e.g. unmet_authentication_requirements: the account cannot reach the level the API asked for.
      if (story) story.providerError = { error: error.error, description: error.error_description };
      session.last = { action: action?.label ?? 'sign in', story, stopped: `The provider did not sign you in: ${error.error}.` };
      return seeOther(ctx, '/result');
    }
    session.signedIn = exchanged;
    if (story) {
      story.after = exchanged.facts;
      story.proven = provenDuringStepUp(story.before, exchanged.facts, story.challenge.maxAge, story.sentAt);
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
