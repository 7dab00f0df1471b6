// What every account page shares: who is signed in, stepping up through the provider, fresh-enough checks, sealed cookies.
import { randomBytes } from 'node:crypto';
import type { Context } from 'koa';
import { cookieOptions } from '../../config/cookies.ts';
import { decryptSecret, encryptSecret } from '../../authenticators/index.ts';
import type { AuditEvent, AuthenticatorRecord, CoolOff, CutOff } from '../../adapters/types.ts';
import { enrolmentStanding, type EnrolmentStanding } from '../../policy/cool-off.ts';
import type { Factor } from '../../policy/types.ts';
import { FACTOR_OF, type Assessment } from '../../stepup/assessment.ts';
import { ACCOUNT_CLIENT_ID, accountRedirectUri } from '../../config/account-client.ts';
import { authenticatorEnrolled, ceilingRaised, type OwnAccount } from '../../stepup/audit.ts';
import type { InteractionDeps } from '../deps.ts';

export const STEP_UP_COOKIE = 'stepup.account';
export const RETURN_PATHS = new Set(['/account', '/account/totp', '/account/passkey', '/account/manage', '/account/recovery-codes', '/account/recovery']);

export interface SignedIn {
  accountId: string;
  sessionUid: string;
  username: string;
}

export function createAccountContext(deps: InteractionDeps) {
  const { provider, stores, config } = deps;

  async function signedIn(ctx: Context): Promise<SignedIn | undefined> {
    const session = await provider.Session.get(ctx as never);
    if (!session.accountId) return undefined;
    const account = await stores.accounts.findById(session.accountId);
    return account ? { accountId: account.id, sessionUid: session.uid, username: account.username } : undefined;
  }

  /** Sends the browser through the authorization endpoint, asking for what the policy requires (or for a recovery sign-in). */
  function startStepUp(ctx: Context, returnTo: string, request: { acr?: string; maxAge?: number; recovery?: 'code' | 'link' } = {}): void {
    const state = randomBytes(16).toString('base64url');
    ctx.cookies.set(STEP_UP_COOKIE, JSON.stringify({ state, returnTo }), cookieOptions(config, { path: '/account', maxAge: 600_000 }));
    const url = new URL(`${config.issuer}/auth`);
    url.search = new URLSearchParams({
      client_id: ACCOUNT_CLIENT_ID,
      response_type: 'none',
      redirect_uri: accountRedirectUri(config.issuer),
      scope: 'openid',
      state,
      ...(request.acr ? { acr_values: request.acr } : {}),
      ...(request.maxAge !== undefined ? { max_age: String(request.maxAge) } : {}),
      ...(request.recovery ? { stepup_recovery: request.recovery, prompt: 'login' } : {}),
    }).toString();
    ctx.redirect(url.href);
  }

  /**
   * The policy's verdict on changing authenticators now: the account's highest level, proven recently (in a
   * recovery session, the password while the recovery window is open), with the account's standing.
   */
  async function standing(user: SignedIn): Promise<Assessment> {
    return deps.assess({
      sensitiveAction: { maxAge: config.sensitiveActionMaxAge },
      client: { clientId: ACCOUNT_CLIENT_ID },
      accountId: user.accountId,
      sessionUid: user.sessionUid,
      now: deps.now(),
    });
  }

  /** For a page that changes authenticators: the user, or a redirect to sign in / step up first. */
  async function freshUser(ctx: Context, returnTo: string): Promise<Fresh | undefined> {
    const user = await signedIn(ctx);
    if (!user) return void startStepUp(ctx, returnTo);
    const assessment = await standing(user);
    const { decision } = assessment;
    if (decision.outcome === 'satisfied') return { ...user, assessment };
    startStepUp(ctx, returnTo, { acr: decision.outcome === 'step_up' ? decision.acr : undefined, maxAge: config.sensitiveActionMaxAge });
    return undefined;
  }

  /** For a form post that changes authenticators: the user, or an error (a post cannot be replayed after a redirect). */
  async function freshPoster(ctx: Context): Promise<Fresh> {
    const user = await signedIn(ctx);
    if (!user) return ctx.throw(401, 'Sign in first.');
    const assessment = await standing(user);
    if (assessment.decision.outcome !== 'satisfied') return ctx.throw(403, 'Prove it is you again before changing how you sign in.');
    return { ...user, assessment };
  }

  /** The standing of a factor about to be enrolled: a cool-off when it would reach above what this session proved. */
  function enrolling(user: Fresh, factors: Factor[]): EnrolmentStanding & { record?: CoolOff } {
    const { enrolled, coolingOff, priorLevel, recovery } = user.assessment;
    const proven = recovery ? config.policy.ladder[0] : priorLevel;
    const result = enrolmentStanding({ ladder: config.policy.ladder, enrolled, coolingOff, factors, proven, duration: config.policy.recovery.coolOff, now: deps.now() });
    if (!result.coolOff || config.policy.recovery.coolOff === 0) return result;
    return { ...result, record: { ...result.coolOff, origin: recovery ? 'recovery' : 'enrolment' } };
  }

  /**
   * After a credential change: every other session of the account ends, its grants and tokens are revoked and
   * relying parties are told; the audit event says what was changed and what was cut off.
   */
  async function credentialChanged(user: SignedIn, event: (revoked: CutOff) => AuditEvent): Promise<void> {
    const revoked = await deps.revokeAccess(user.accountId, user.sessionUid);
    await stores.audit.append(event(revoked));
    for (const failure of revoked.failed) deps.logger?.warn({ clientId: failure.clientId, err: failure.error }, 'back-channel logout not accepted');
  }

  /** A short-lived value kept encrypted in a cookie, bound to the signed-in account. */
  async function seal(ctx: Context, name: string, path: string, user: SignedIn, value: string, ttl: number): Promise<void> {
    const payload = JSON.stringify({ accountId: user.accountId, value, exp: deps.now() + ttl });
    ctx.cookies.set(name, await encryptSecret(payload, deps.cookieKeyring), cookieOptions(config, { sameSite: 'strict', path, maxAge: ttl * 1000 }));
  }

  async function unseal(ctx: Context, name: string, user: SignedIn): Promise<string | undefined> {
    const sealed = ctx.cookies.get(name, { signed: true });
    if (!sealed) return undefined;
    const opened = JSON.parse(await decryptSecret(sealed, deps.cookieKeyring).catch(() => 'null')) as { accountId: string; value: string; exp: number } | null;
    return opened && opened.accountId === user.accountId && opened.exp > deps.now() ? opened.value : undefined;
  }

  function clearCookie(ctx: Context, name: string, path: string): void {
    ctx.cookies.set(name, null, { signed: true, path });
  }

  /** Where the account pages' audit events happen: the user's account, the account pages' client, the user's session. */
  function where(user: SignedIn): OwnAccount {
    return { accountId: user.accountId, clientId: ACCOUNT_CLIENT_ID, sessionUid: user.sessionUid };
  }

  /** An enrolment is a credential change; the first factor that raises the account's ceiling is also a security event. */
  async function enrolled(user: Fresh, record: AuthenticatorRecord, standing: EnrolmentStanding & { record?: CoolOff }): Promise<void> {
    const factor = FACTOR_OF[record.kind];
    const inRecovery = user.assessment.recovery !== undefined;
    const coolOff = standing.record;
    await credentialChanged(user, (revoked) => authenticatorEnrolled(deps.now, { factor, kind: record.kind, authenticatorId: record.id, inRecovery, coolOff, revoked }, where(user)));
    if (standing.raises) {
      const change = { factor, authenticatorId: record.id, before: standing.before?.acr, after: standing.after?.acr, coolOff };
      await stores.audit.append(ceilingRaised(deps.now, change, where(user)));
    }
  }

  return { signedIn, startStepUp, freshUser, freshPoster, enrolling, enrolled, credentialChanged, seal, unseal, clearCookie, where };
}

/** A signed-in user whose recent proof allows changing authenticators, with the account's standing. */
export interface Fresh extends SignedIn {
  assessment: Assessment;
}

export type AccountContext = ReturnType<typeof createAccountContext>;
