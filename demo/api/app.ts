// The demo API: two routes, each protected by one line of the guard; it answers with what it saw in the token. The transfer
// is an operation (RFC 9396): it runs only when the token approves exactly it, once, presented with its DPoP proof.
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { koaGuard, type Guard, type GuardRequest, type GuardState, type OperationRequirement, type Requirement, type VerifiedToken } from 'stepup-oidc/resource-server';
import { formatCents, Ledger } from './ledger.ts';

export interface ApiDeps {
  guard: Guard;
  /** What POST /transfer needs: aal2 within 300 s now, phr once passkeys land. */
  transfer: Requirement;
}

const MESSAGES = {
  invalid_amount: 'amount must be a positive number of euros with at most two decimals',
  invalid_recipient: 'creditorName must be 1 to 64 letters, digits, spaces or . @ - _, and iban an IBAN without spaces',
  insufficient_funds: 'the balance is too low for this transfer',
} as const;

/** The body's value as a string, or undefined (which the guard's matcher never matches). */
function field(body: unknown, name: string): string | undefined {
  const value = body && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/**
 * `POST /transfer` performs a payment: the token must carry a `payment` detail with exactly this amount, currency,
 * creditor and IBAN (compared as the token carries them: "500.00" is not "500").
 */
const PAYMENT: OperationRequirement = {
  type: 'payment',
  fields: ({ body }: GuardRequest) => ({
    instructedAmount: { currency: field(body, 'currency'), amount: field(body, 'amount') },
    creditorName: field(body, 'creditorName'),
    creditorAccount: { iban: field(body, 'iban') },
  }),
};

/** What the API saw: the authentication behind the token, so the RP can show it. */
function seen(token: VerifiedToken) {
  return { sub: token.sub, acr: token.acr, amr: token.amr, auth_time: token.authTime, scope: token.scopes.join(' '), exp: token.exp, dpop_jkt: token.jkt };
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

  // DPoP-bound tokens only, each accepted once, and only for the payment it approves.
  router.post('/transfer', need({ ...transfer, scope: 'api:write', operation: PAYMENT, singleUse: true, dpop: true }), (ctx) => {
    const { auth } = ctx.state;
    const body = (ctx.request.body ?? {}) as Record<string, unknown>;
    // The guard matched the body against the approved detail; execute exactly that transfer.
    const result = ledger.transfer(auth.sub, { creditorName: body.creditorName, iban: body.iban }, body.amount, body.currency);
    if (typeof result === 'string') {
      ctx.status = 400;
      ctx.body = { error: result, error_description: MESSAGES[result] };
      return;
    }
    ctx.body = {
      transfer: { id: result.id, creditorName: result.creditorName, iban: result.iban, amount: formatCents(result.cents), currency: 'EUR' },
      balance: formatCents(ledger.balance(auth.sub)),
      token: seen(auth),
      approved: auth.operation,
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
