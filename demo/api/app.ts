// The demo API: two routes, each protected by one line of the guard; it answers with what it saw in the token.
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { koaGuard, type Guard, type GuardState, type Requirement, type VerifiedToken } from 'stepup-oidc/resource-server';
import { formatCents, Ledger } from './ledger.ts';

export interface ApiDeps {
  guard: Guard;
  /** What POST /transfer needs: aal2 within 300 s now, phr once passkeys land. */
  transfer: Requirement;
}

const MESSAGES = {
  invalid_amount: 'amount must be a positive number of euros with at most two decimals',
  invalid_recipient: 'to must be 1 to 64 letters, digits, spaces or . @ - _',
  insufficient_funds: 'the balance is too low for this transfer',
} as const;

/** What the API saw: the authentication behind the token, so the RP can show it. */
function seen(token: VerifiedToken) {
  return { sub: token.sub, acr: token.acr, amr: token.amr, auth_time: token.authTime, scope: token.scopes.join(' ') };
}

export function createApiApp({ guard, transfer }: ApiDeps): Koa {
  const need = koaGuard(guard);
  const ledger = new Ledger();
  const router = new Router<GuardState>();

  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });

  router.get('/balance', need({ acr: 'aal1', scope: 'api:read' }), (ctx) => {
    const { auth } = ctx.state;
    ctx.body = { balance: formatCents(ledger.balance(auth.sub)), currency: 'EUR', token: seen(auth) };
  });

  router.post('/transfer', need({ ...transfer, scope: 'api:write' }), (ctx) => {
    const { auth } = ctx.state;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    const result = ledger.transfer(auth.sub, body.to, body.amount);
    if (typeof result === 'string') {
      ctx.status = 400;
      ctx.body = { error: result, error_description: MESSAGES[result] };
      return;
    }
    ctx.body = {
      transfer: { id: result.id, to: result.to, amount: formatCents(result.cents), currency: 'EUR' },
      balance: formatCents(ledger.balance(auth.sub)),
      token: seen(auth),
    };
  });

  const app = new Koa();
  app.use(async (ctx, next) => {
    await next();
    ctx.set('Cache-Control', 'no-store');
    ctx.set('X-Content-Type-Options', 'nosniff');
  });
  app.use(bodyParser({ enableTypes: ['json'], jsonLimit: '4kb' }));
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
