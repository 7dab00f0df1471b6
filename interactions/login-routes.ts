// The sign-in pages' routes: a thin koa layer over the step-up flow (stepup/flow.ts), which decides what to ask; these
// read the interaction and the form, render the page the flow names, and hand oidc-provider the result.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { clientPolicy } from '../stepup/client-policy.ts';
import type { FlowInteraction, FlowOutcome, StepUpFlow, Submission } from '../stepup/flow.ts';
import { handedDecision, progressOf, type StepUpResult } from '../stepup/progress.ts';
import type { InteractionDeps } from './deps.ts';
import { RECOVERY_LINK_COOKIE } from './account/recovery-routes.ts';
import { consentPage, otpPage, passkeyPage, passwordPage, type PageContext } from '../views/login-pages.ts';
import { recoverySignInPage } from '../views/recovery-pages.ts';

type Details = Awaited<ReturnType<InteractionDeps['provider']['interactionDetails']>>;

interface Loaded {
  details: Details;
  interaction: FlowInteraction;
}

export function loginRoutes(deps: InteractionDeps & { flow: StepUpFlow }, ...guards: Middleware[]): Router {
  const { provider, flow } = deps;
  const router = new Router();
  if (guards.length) router.use(...guards);

  async function load(ctx: Context): Promise<Loaded> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) ctx.throw(400, 'This sign-in page does not belong to the current sign-in. Start again from the application.');
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) ctx.throw(400, 'The application is no longer registered.');
    const stored = (details.result as { stepup?: StepUpResult } | undefined)?.stepup;
    const progress = progressOf(stored, details.session?.accountId);
    const interaction: FlowInteraction = {
      params: details.params,
      client: { clientId: client.clientId, name: client.clientName ?? client.clientId, policy: clientPolicy(client) },
      session: details.session && { uid: details.session.uid, accountId: details.session.accountId },
      progress,
      handed: handedDecision(details.prompt.details, progress.accountId),
      clientAddress: ctx.ip,
      save: (next) => provider.interactionResult(ctx.req, ctx.res, { stepup: next }, { mergeWithLastSubmission: false }).then(() => undefined),
    };
    return { details, interaction };
  }

  async function finish(ctx: Context, result: Record<string, unknown>, { merge = false } = {}) {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.redirect(to);
    ctx.status = 303;
  }

  /** Renders the page the flow names, or hands oidc-provider the result. */
  async function respond(ctx: Context, { details, interaction }: Loaded, outcome: FlowOutcome) {
    if (outcome.kind === 'finish') return finish(ctx, outcome.result);
    const { page, status, retryAfter } = outcome;
    if (status) ctx.status = status;
    if (retryAfter) ctx.set('Retry-After', String(retryAfter));
    const common: PageContext = { uid: details.uid, csrf: ctx.state.csrf, clientName: interaction.client.name, why: page.why, error: page.error, operations: page.operations };
    switch (page.factor) {
      case 'pwd':
        ctx.body = passwordPage({ ...common, username: page.username, usernameLocked: page.usernameLocked, passkey: page.passkey, passkeyFirst: page.passkeyFirst });
        return;
      case 'otp':
        ctx.body = otpPage({ ...common, username: page.username });
        return;
      case 'passkey':
        ctx.body = passkeyPage({ ...common, username: page.username, options: page.options });
        return;
      case 'recovery':
        ctx.body = recoverySignInPage({ ...common, why: undefined, mode: page.mode, username: page.username, usernameLocked: page.usernameLocked, windowMinutes: page.windowMinutes });
        return;
    }
  }

  function field(ctx: Context, name: string): string {
    return String((ctx.request.body as Record<string, unknown>)[name] ?? '');
  }

  async function submit(ctx: Context, submission: Submission) {
    const loaded = await load(ctx);
    await respond(ctx, loaded, await flow.submit(loaded.interaction, submission));
  }

  router.get('/interaction/:uid', async (ctx) => {
    const loaded = await load(ctx);
    if (loaded.details.prompt.name === 'consent') {
      const scopes = String(loaded.details.params.scope ?? '')
        .split(' ')
        .filter(Boolean);
      const operations = flow.operationText(loaded.details.params);
      ctx.body = consentPage({ uid: loaded.details.uid, csrf: ctx.state.csrf, clientName: loaded.interaction.client.name, scopes, operations });
      return;
    }
    await respond(ctx, loaded, await flow.begin(loaded.interaction));
  });

  router.post('/interaction/:uid/password', (ctx) => submit(ctx, { factor: 'pwd', username: field(ctx, 'username'), password: field(ctx, 'password') }));
  router.post('/interaction/:uid/otp', (ctx) => submit(ctx, { factor: 'otp', code: field(ctx, 'code') }));
  router.post('/interaction/:uid/passkey', (ctx) => submit(ctx, { factor: 'passkey', response: field(ctx, 'response') }));

  router.post('/interaction/:uid/recovery', async (ctx) => {
    const loaded = await load(ctx);
    if (!flow.recoveryMode(loaded.interaction)) return ctx.throw(400, 'This sign-in is not an account recovery.');
    const outcome = await flow.submit(loaded.interaction, {
      factor: 'recovery',
      username: field(ctx, 'username'),
      password: field(ctx, 'password'),
      code: field(ctx, 'code'),
      linkToken: ctx.cookies.get(RECOVERY_LINK_COOKIE, { signed: true }),
      linkSpent: () => ctx.cookies.set(RECOVERY_LINK_COOKIE, null, { signed: true, path: '/' }),
    });
    await respond(ctx, loaded, outcome);
  });

  router.post('/interaction/:uid/consent', async (ctx) => {
    const { details } = await load(ctx);
    if (details.prompt.name !== 'consent') ctx.throw(400, 'Nothing to consent to.');
    const accountId = details.session?.accountId;
    if (!accountId) ctx.throw(400, 'Sign in first.');
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId: String(details.params.client_id) });
    if (!grant) return ctx.throw(400, 'The grant has expired. Start again from the application.');
    const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    // Keep the login and factors of the previous interaction: consent must not ask for them again. The time the consent
    // page was open counts against max_age at issuance, with no redirect grace.
    const signedIn = (details.lastSubmission as { stepup?: StepUpResult } | undefined)?.stepup;
    await finish(ctx, { consent: { grantId: await grant.save() }, ...(signedIn && { stepup: { ...signedIn, consentedAt: deps.now() } }) }, { merge: true });
  });

  router.post('/interaction/:uid/abort', async (ctx) => {
    await load(ctx);
    await finish(ctx, { error: 'access_denied', error_description: 'the user cancelled the sign-in' });
  });

  return router;
}
