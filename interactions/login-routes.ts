// Interaction routes: ask the policy what is missing, show only that factor's page, finish when satisfied.
import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { AuthError, CHALLENGE_TTL, authenticationOptions, clearAccountLimits, verifyPasskey, verifyPassword, verifyTotp, type GuessLimits } from '../authenticators/index.ts';
import type { AuthenticatorRecord } from '../adapters/types.ts';
import { PolicyError } from '../policy/errors.ts';
import type { AuthEvent, Factor } from '../policy/types.ts';
import { clientPolicy, type StepUpResult } from '../server/stepup-check.ts';
import { factorsOf } from '../server/assessment.ts';
import { factorRefused, factorVerified, passkeyUnlocked, suspectedClone } from '../server/audit.ts';
import type { InteractionDeps } from './deps.ts';
import { coolingOffMessage, messageFor } from './messages.ts';
import { pendingOf, savePending, type Details } from './pending.ts';
import { consentPage, otpPage, passkeyPage, passwordPage, type PageContext } from './views/login-pages.ts';
import { passkeyOnlyStepUp, whyText } from './why.ts';
import { requestedSubject } from '../server/requested-subject.ts';
import { clientAddressKeys } from './client-address.ts';
import { recoveryMode, recoverySignIn } from './recovery-sign-in.ts';
import { recoverySignInPage } from './views/recovery-pages.ts';
import { isCoolingOff } from '../policy/cool-off.ts';

interface Loaded {
  details: Details;
  pending: StepUpResult;
  client: { clientId: string; clientName?: string; metadata(): Record<string, unknown> };
}

export function loginRoutes(deps: InteractionDeps, ...guards: Middleware[]): Router {
  const { provider, stores } = deps;
  const router = new Router();
  if (guards.length) router.use(...guards);

  async function load(ctx: Context): Promise<Loaded> {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.uid !== ctx.params.uid) ctx.throw(400, 'This sign-in page does not belong to the current sign-in. Start again from the application.');
    const client = await provider.Client.find(String(details.params.client_id));
    if (!client) ctx.throw(400, 'The application is no longer registered.');
    const pending = pendingOf(details, deps.now());
    const stored = (details.result as { stepup?: StepUpResult } | undefined)?.stepup;
    if (stored?.startedAt === undefined) await savePending(provider, ctx, pending);
    return { details, pending, client };
  }

  function page({ details, client }: Loaded, ctx: Context, why?: string, error?: string): PageContext {
    return { uid: details.uid, csrf: ctx.state.csrf, clientName: client.clientName ?? client.clientId, why, error };
  }

  async function finish(ctx: Context, result: Record<string, unknown>, { merge = false } = {}) {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge });
    ctx.redirect(to);
    ctx.status = 303;
  }

  /** Where a sign-in's events happen: its client and session, and the account when known. */
  function where(loaded: Loaded, accountId: string | undefined) {
    return { accountId, clientId: loaded.client.clientId, sessionUid: loaded.details.session?.uid };
  }

  /** Decide on what has been proven so far; finish the interaction or render the next factor's page. */
  async function advance(ctx: Context, loaded: Loaded, error?: { factor: Factor; message: string; status: number; username?: string }) {
    const { details, pending, client } = loaded;
    let assessment;
    try {
      assessment = await deps.assess({
        params: details.params,
        client: clientPolicy(client),
        accountId: pending.accountId,
        sessionUid: details.session?.uid,
        pending: pending.events,
        now: deps.now(),
      });
    } catch (caught) {
      if (caught instanceof PolicyError) return finish(ctx, { error: 'invalid_request', error_description: caught.message });
      throw caught;
    }
    const { decision } = assessment;
    const account = pending.accountId ? await stores.accounts.findById(pending.accountId) : undefined;
    const subject = requestedSubject(details.params);
    if (account && subject !== undefined && subject !== account.id) {
      return finish(ctx, { error: 'login_required', error_description: 'the requested user is not the signed-in user' });
    }

    if (decision.outcome === 'satisfied') {
      const login = { accountId: pending.accountId, acr: decision.acr, amr: decision.amr, ts: decision.authTime, remember: true };
      return finish(ctx, { login, stepup: { ...pending, finishedAt: deps.now() } });
    }
    if (decision.outcome === 'unmet') {
      return finish(ctx, { error: 'unmet_authentication_requirements', error_description: 'the requested authentication level cannot be met for this account' });
    }

    if (error) ctx.status = error.status;
    const mode = recoveryMode(details.params, client.clientId);
    if (mode && !pending.events.some((event) => event.factor === 'recovery')) {
      const message = error?.factor === 'recovery' || error?.factor === 'pwd' ? error.message : undefined;
      ctx.body = recoverySignInPage({
        ...page(loaded, ctx, undefined, message),
        mode,
        username: account?.username ?? error?.username,
        usernameLocked: account !== undefined,
        windowMinutes: Math.round(deps.config.policy.recovery.window / 60),
      });
      return;
    }
    const why = decision.outcome === 'step_up' ? whyText(page(loaded, ctx).clientName, decision) : undefined;
    const factor = decision.outcome === 'step_up' ? decision.factors[0]! : 'pwd';
    const message = error?.factor === factor ? error.message : undefined;
    if (factor === 'otp' && account) {
      ctx.body = otpPage({ ...page(loaded, ctx, why, message), username: account.username });
      return;
    }
    const passkeys = account ? (await stores.authenticators.listByAccount(account.id)).filter((record) => record.kind === 'passkey') : [];
    if ((factor === 'passkey' || factor === 'hwk') && account) {
      // A level that needs a hardware key offers only the account's attested hardware passkeys.
      const allowed = factor === 'hwk' ? passkeys.filter((record) => factorsOf(record, deps.config.policy.attestation?.allowedAaguids).includes('hwk')) : passkeys;
      ctx.body = passkeyPage({
        ...page(loaded, ctx, why, message ?? (error?.factor === 'passkey' ? error.message : undefined)),
        username: account.username,
        options: await issueChallenge(ctx, loaded, allowed),
      });
      return;
    }
    // The policy only asks for factors this server can verify; anything else is a broken invariant.
    if (factor !== 'pwd') throw new Error(`no page for factor ${factor}`);
    const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : undefined;
    // A passkey is offered next to the password: username-less before sign-in, or the account's own passkeys.
    const offer = !account || passkeys.length > 0 ? { options: await issueChallenge(ctx, loaded, passkeys), discoverable: !account } : undefined;
    // Nobody signed in yet and only a passkey can meet the request: the passkey leads, the password comes second.
    const { ladder, strict, scopeRules } = deps.config.policy;
    const passkeyOnly = account ? undefined : passkeyOnlyStepUp({ ladder, strict, request: assessment.request, client: clientPolicy(client), rules: scopeRules, now: deps.now() });
    ctx.body = passwordPage({
      ...page(loaded, ctx, passkeyOnly ? whyText(page(loaded, ctx).clientName, passkeyOnly) : why, message ?? (error?.factor === 'passkey' ? error.message : undefined)),
      username: account?.username ?? error?.username ?? hint,
      usernameLocked: account !== undefined,
      passkey: offer,
      passkeyFirst: passkeyOnly !== undefined,
    });
  }

  /** A fresh challenge for the page being rendered, kept in the interaction (the previous one is replaced). */
  async function issueChallenge(ctx: Context, loaded: Loaded, allowed: AuthenticatorRecord[]) {
    const options = await authenticationOptions(deps.config.webauthn, allowed);
    loaded.pending = { ...loaded.pending, challenge: { value: options.challenge, expiresAt: deps.now() + CHALLENGE_TTL } };
    await savePending(provider, ctx, loaded.pending);
    return options;
  }

  /** Runs one factor verification, timed for the latency histogram by factor and outcome. */
  async function timed<T>(factor: Factor, verify: () => Promise<T>): Promise<T> {
    const done = deps.metrics?.timeVerification(factor);
    try {
      const result = await verify();
      done?.('success');
      return result;
    } catch (error) {
      done?.(error instanceof AuthError ? error.code : 'error');
      throw error;
    }
  }

  /** Every limit a password or code guess from this request is counted against. */
  function guessLimits(ctx: Context): GuessLimits {
    const { limiter, addressLimit } = deps.config;
    return { attempts: stores.attempts, limiterPolicy: limiter, addressLimit, clientAddress: clientAddressKeys(ctx.ip), now: deps.now() };
  }

  async function proven(ctx: Context, loaded: Loaded, ...events: AuthEvent[]) {
    const event = events[0]!;
    const account = await stores.accounts.findById(event.accountId);
    if (account?.disabledAt !== undefined) return refused(ctx, loaded, event.factor, new AuthError('disabled', 'the account is disabled'));
    // A passkey has nothing to guess: it gets its user out of a password or TOTP lock an attacker caused. Not one still
    // in cool-off: whoever enrolled it proved less than the account's level, and must not lift its guessing limits.
    const cooling = await coolingOffNow(event);
    if (event.factor === 'passkey' && !cooling) {
      const cleared = await clearAccountLimits(stores.attempts, event.accountId);
      if (cleared.pwd || cleared.otp || cleared.recovery) {
        await stores.audit.append(passkeyUnlocked(deps.now, cleared, { accountId: event.accountId, clientId: loaded.client.clientId }));
      }
    }
    loaded.pending = { ...loaded.pending, accountId: event.accountId, events: [...loaded.pending.events, ...events] };
    await savePending(provider, ctx, loaded.pending);
    for (const each of events) await stores.audit.append(factorVerified(deps.now, each.factor, where(loaded, each.accountId)));
    // Verified, but it backs nothing above its cap yet: say so, rather than showing the same page again without a word.
    const notice = cooling
      ? {
          factor: event.factor,
          status: 403,
          message: coolingOffMessage(cooling.kind, cooling.until),
        }
      : undefined;
    await advance(ctx, loaded, notice);
  }

  /** The cool-off still running for the authenticator that proved `event`, if any. */
  async function coolingOffNow(event: AuthEvent): Promise<{ kind: AuthenticatorRecord['kind']; until: number } | undefined> {
    const authenticator = event.authenticatorId ? await stores.authenticators.get(event.authenticatorId) : undefined;
    return authenticator && isCoolingOff(authenticator.coolOff, deps.now()) ? { kind: authenticator.kind, until: authenticator.coolOff.until } : undefined;
  }

  async function refused(ctx: Context, loaded: Loaded, factor: Factor, error: unknown, username?: string) {
    if (!(error instanceof AuthError)) throw error;
    if (error.code === 'cloned') {
      await stores.audit.append(suspectedClone(deps.now, factor, error, { accountId: loaded.pending.accountId, clientId: loaded.client.clientId }));
    }
    // Typed usernames are not logged: people type passwords into that field.
    const named = !loaded.pending.accountId && username ? await stores.accounts.findByUsername(username).catch(() => undefined) : undefined;
    const accountId = loaded.pending.accountId ?? named?.id;
    await stores.audit.append(factorRefused(deps.now, factor, error, where(loaded, accountId)));
    const { status, message } = messageFor(error, factor);
    if (error.retryAfter) ctx.set('Retry-After', String(error.retryAfter));
    await advance(ctx, loaded, { factor, status, message, username });
  }

  router.get('/interaction/:uid', async (ctx) => {
    const loaded = await load(ctx);
    if (loaded.details.prompt.name === 'consent') {
      const scopes = String(loaded.details.params.scope ?? '')
        .split(' ')
        .filter(Boolean);
      ctx.body = consentPage({ ...page(loaded, ctx), scopes });
      return;
    }
    await advance(ctx, loaded);
  });

  router.post('/interaction/:uid/password', async (ctx) => {
    const loaded = await load(ctx);
    const body = ctx.request.body as Record<string, unknown>;
    // During step-up the account is fixed: the username field is ignored.
    const known = loaded.pending.accountId ? await stores.accounts.findById(loaded.pending.accountId) : undefined;
    const username = known?.username ?? String(body.username ?? '');
    try {
      const { event } = await timed('pwd', () =>
        verifyPassword({ username, password: String(body.password ?? '') }, { ...guessLimits(ctx), accounts: stores.accounts, passwordParams: deps.config.password }),
      );
      await proven(ctx, loaded, event);
    } catch (error) {
      await refused(ctx, loaded, 'pwd', error, username);
    }
  });

  router.post('/interaction/:uid/otp', async (ctx) => {
    const loaded = await load(ctx);
    const accountId = loaded.pending.accountId;
    if (!accountId) return advance(ctx, loaded);
    const body = ctx.request.body as Record<string, unknown>;
    try {
      const { event } = await timed('otp', () => verifyTotp({ accountId, code: String(body.code ?? '') }, { ...guessLimits(ctx), authenticators: stores.authenticators, keyring: deps.keyring }));
      await proven(ctx, loaded, event);
    } catch (error) {
      await refused(ctx, loaded, 'otp', error);
    }
  });

  router.post('/interaction/:uid/passkey', async (ctx) => {
    const loaded = await load(ctx);
    const { challenge } = loaded.pending;
    // Single use: the challenge is gone before the response is even checked.
    loaded.pending = { ...loaded.pending, challenge: undefined };
    await savePending(provider, ctx, loaded.pending);
    const body = ctx.request.body as Record<string, unknown>;
    try {
      if (!challenge || challenge.expiresAt < deps.now()) throw new AuthError('invalid_input', 'the passkey request expired');
      const { events } = await timed('passkey', () =>
        verifyPasskey(
          { response: String(body.response ?? ''), expectedChallenge: challenge.value, accountId: loaded.pending.accountId },
          { rp: deps.config.webauthn, authenticators: stores.authenticators, now: deps.now(), allowedAaguids: deps.config.policy.attestation?.allowedAaguids },
        ),
      );
      await proven(ctx, loaded, ...events);
    } catch (error) {
      await refused(ctx, loaded, 'passkey', error);
    }
  });

  router.post('/interaction/:uid/recovery', async (ctx) => {
    const loaded = await load(ctx);
    const mode = recoveryMode(loaded.details.params, loaded.client.clientId);
    if (!mode) return ctx.throw(400, 'This sign-in is not an account recovery.');
    const body = ctx.request.body as Record<string, unknown>;
    // As in a step-up, a signed-in session recovers its own account only.
    const known = loaded.pending.accountId ? await stores.accounts.findById(loaded.pending.accountId) : undefined;
    const username = known?.username ?? String(body.username ?? '');
    const session = loaded.details.session;
    try {
      const events = await timed('recovery', () =>
        recoverySignIn(ctx, deps, guessLimits(ctx), {
          mode,
          username,
          password: String(body.password ?? ''),
          code: String(body.code ?? ''),
          session: session && { uid: session.uid, accountId: session.accountId },
        }),
      );
      await proven(ctx, loaded, ...events);
    } catch (error) {
      await refused(ctx, loaded, 'recovery', error, username);
    }
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
