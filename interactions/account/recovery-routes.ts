// Recovery from the account side: starting a recovery sign-in, the recovery session page, and making recovery codes.
import Router from '@koa/router';
import { cookieOptions } from '../../config/cookies.ts';
import { issueRecoveryCodes, normalizeLinkToken } from '../../authenticators/index.ts';
import { recoveryCodesGenerated } from '../../stepup/audit.ts';
import type { InteractionDeps } from '../deps.ts';
import { recoveryCodesPage, recoveryCodesShownPage, recoverySessionPage } from '../../views/recovery-pages.ts';
import { utcText } from '../../views/time.ts';
import type { AccountContext, Fresh } from './context.ts';
import { codesRenewableAt } from '../../policy/recovery.ts';

const CODES_PATH = '/account/recovery-codes';
const LINK_COOKIE_TTL = 600;

/** The signed cookie carrying an operator's recovery link token from /account/recover to the sign-in page. */
export const RECOVERY_LINK_COOKIE = 'stepup.recovery-link';

export function recoveryRoutes(deps: InteractionDeps, account: AccountContext, router: Router): void {
  const { stores, config } = deps;

  // "Lost your authenticator?" and the operator's link (?link=…) both start a recovery sign-in of the account pages.
  router.get('/account/recover', (ctx) => {
    const token = normalizeLinkToken(ctx.query.link);
    if (ctx.query.link !== undefined && !token) return ctx.throw(400, 'This recovery link is not valid. Ask your administrator for a new one.');
    if (token) ctx.cookies.set(RECOVERY_LINK_COOKIE, token, cookieOptions(config, { path: '/', maxAge: LINK_COOKIE_TTL * 1000 }));
    account.startStepUp(ctx, '/account/recovery', { recovery: token ? 'link' : 'code' });
  });

  router.get('/account/recovery', async (ctx) => {
    const fresh = await account.freshUser(ctx, '/account/recovery');
    if (!fresh) return;
    const { recovery } = fresh.assessment;
    if (!recovery) return ctx.redirect('/account');
    const summary = await stores.recoverySecrets.summary(fresh.accountId, 'code', deps.now());
    const ended = (await stores.audit.list({ accountId: fresh.accountId, type: 'account.recovery', limit: 1 }))[0]?.revoked?.sessions ?? 0;
    ctx.body = recoverySessionPage({ username: fresh.username, until: recovery.until, ended, codesLeft: summary?.remaining });
  });

  /** Why new codes cannot be made now, if they cannot. */
  async function codesRefusal(user: Fresh): Promise<string | undefined> {
    if (user.assessment.recovery) return 'New recovery codes can be made once your recovery session is over and you have signed in with your sign-in methods.';
    const now = deps.now();
    const [codes, link] = await Promise.all([stores.recoverySecrets.summary(user.accountId, 'code', now), stores.recoverySecrets.summary(user.accountId, 'link', now)]);
    const from = codesRenewableAt([codes?.lastUsedAt, link?.lastUsedAt], config.policy.recovery.coolOff, now);
    return from === undefined ? undefined : `Your account was recovered recently: new recovery codes can be made from ${utcText(from)}. Until then your remaining codes keep working.`;
  }

  router.get(CODES_PATH, async (ctx) => {
    const user = await account.freshUser(ctx, CODES_PATH);
    if (!user) return;
    const summary = await stores.recoverySecrets.summary(user.accountId, 'code', deps.now());
    const error = await codesRefusal(user);
    ctx.body = recoveryCodesPage({ csrf: ctx.state.csrf, summary, count: config.policy.recovery.codes, error });
  });

  router.post(CODES_PATH, async (ctx) => {
    const user = await account.freshPoster(ctx);
    // A recovery proves only the password and one code: neither it nor a session after it may replace the owner's other codes.
    const refusal = await codesRefusal(user);
    if (refusal) return ctx.throw(403, refusal);
    const now = deps.now();
    const { setId, codes } = await issueRecoveryCodes(user.accountId, config.policy.recovery.codes, { secrets: stores.recoverySecrets, keyring: deps.keyring, now });
    await stores.audit.append(recoveryCodesGenerated(deps.now, setId, codes.length, account.where(user)));
    ctx.body = recoveryCodesShownPage({ username: user.username, codes, createdAt: now });
  });
}
