// Recovery from the account side: starting a recovery sign-in, the recovery session page, and making recovery codes.
import Router from '@koa/router';
import { issueRecoveryCodes, normalizeLinkToken } from '../../authenticators/index.ts';
import type { InteractionDeps } from '../deps.ts';
import { RECOVERY_LINK_COOKIE } from '../recovery-sign-in.ts';
import { recoveryCodesPage, recoveryCodesShownPage, recoverySessionPage } from '../views/recovery-pages.ts';
import type { AccountContext } from './context.ts';

const CODES_PATH = '/account/recovery-codes';
const LINK_COOKIE_TTL = 600;

export function recoveryRoutes(deps: InteractionDeps, account: AccountContext, router: Router): void {
  const { stores, config } = deps;
  const secure = config.issuer.startsWith('https://');

  // "Lost your authenticator?" and the operator's link (?link=…) both start a recovery sign-in of the account pages.
  router.get('/account/recover', (ctx) => {
    const token = normalizeLinkToken(ctx.query.link);
    if (ctx.query.link !== undefined && !token) return ctx.throw(400, 'This recovery link is not valid. Ask your administrator for a new one.');
    if (token) ctx.cookies.set(RECOVERY_LINK_COOKIE, token, { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: LINK_COOKIE_TTL * 1000 });
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

  router.get(CODES_PATH, async (ctx) => {
    const user = await account.freshUser(ctx, CODES_PATH);
    if (!user) return;
    const summary = await stores.recoverySecrets.summary(user.accountId, 'code', deps.now());
    const error = user.assessment.recovery ? 'New recovery codes can be made once your recovery session is over and you have signed in with your sign-in methods.' : undefined;
    ctx.body = recoveryCodesPage({ csrf: ctx.state.csrf, summary, count: config.policy.recovery.codes, error });
  });

  router.post(CODES_PATH, async (ctx) => {
    const user = await account.freshPoster(ctx);
    // A recovery session proves only the password and one code: it must not replace the owner's remaining codes.
    if (user.assessment.recovery) return ctx.throw(403, 'New recovery codes cannot be made in a recovery session.');
    const now = deps.now();
    const { setId, codes } = await issueRecoveryCodes(user.accountId, config.policy.recovery.codes, { secrets: stores.recoverySecrets, keyring: deps.keyring, now });
    await account.audit(user, 'recovery_codes.generate', 'success', 'recovery', `set ${setId}: ${codes.length} codes; earlier codes revoked`);
    ctx.body = recoveryCodesShownPage({ username: user.username, codes, createdAt: now });
  });
}
