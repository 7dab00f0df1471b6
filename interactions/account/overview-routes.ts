// The account overview, signing in to it, and the return from a step-up.
import Router from '@koa/router';
import type { Context } from 'koa';
import { currentLevel } from '../../policy/ladder.ts';
import { eligibility } from '../../policy/cool-off.ts';
import { recoveryStanding } from '../../policy/recovery.ts';
import { enrolmentOf } from '../../stepup/assessment.ts';
import type { InteractionDeps } from '../deps.ts';
import { accountPage, levelWords, signedOutPage } from '../../views/account-pages.ts';
import type { Factor, Ladder } from '../../policy/types.ts';
import { RETURN_PATHS, STEP_UP_COOKIE, type AccountContext, type SignedIn } from './context.ts';

/** The highest level `factors` reach together, in words: what a newly added method gives. */
function gives(ladder: Ladder, factors: Factor[]): string {
  const level = [...ladder].reverse().find((candidate) => candidate.combinations.some((combination) => combination.every((factor) => factors.includes(factor))));
  return level ? levelWords(level) : 'no level on its own';
}

function notices(ladder: Ladder): Record<string, string> {
  const passkey = `signing in with it gives ${gives(ladder, ['passkey'])}, with no password or code`;
  const app = `your password and a code from it give ${gives(ladder, ['pwd', 'otp'])}`;
  const meanwhile = 'This session keeps the level it had (below) until you sign in with it.';
  const capital = (text: string) => text[0]!.toUpperCase() + text.slice(1);
  return {
    'totp-added': `Your authenticator app is set up. ${capital(app)}. ${meanwhile}`,
    'passkey-added': `Your passkey is ready. ${capital(passkey)}. ${meanwhile}`,
    'totp-added-cooling': `Your authenticator app is set up. Until its waiting period ends (below) it counts only as much as the sign-in that added it; after that, ${app}.`,
    'passkey-added-cooling': `Your passkey is ready. Until its waiting period ends (below) it counts only as much as the sign-in that added it; after that, ${passkey}.`,
    renamed: 'The name was changed.',
    removed: 'The sign-in method was removed. The level below no longer counts what it proved.',
  };
}

export function overviewRoutes(deps: InteractionDeps, account: AccountContext, router: Router): void {
  const { stores, config } = deps;

  async function show(ctx: Context, user: SignedIn, extra: { notice?: string; error?: string } = {}) {
    const now = deps.now();
    const events = (await stores.events.listBySession(user.sessionUid, now)).filter((event) => event.accountId === user.accountId);
    const authenticators = await stores.authenticators.listByAccount(user.accountId);
    // The events the policy counts: those of methods since removed prove nothing any more (stepup/assessment.ts).
    const { coolingOff, authenticatorIds } = enrolmentOf(true, authenticators, { allowedAaguids: config.policy.attestation?.allowedAaguids });
    const counted = events.filter((event) => event.authenticatorId === undefined || authenticatorIds.has(event.authenticatorId));
    const proven = currentLevel(config.policy.ladder, counted, now, eligibility(config.policy.ladder, coolingOff, now));
    ctx.body = accountPage({
      username: user.username,
      level: proven?.level,
      ladder: config.policy.ladder,
      authenticators,
      now,
      recoveryUntil: recoveryStanding(events, user.accountId, now, config.policy.recovery.window)?.until,
      recoveryCodes: await stores.recoverySecrets.summary(user.accountId, 'code', now),
      ...extra,
    });
  }

  router.get('/account', async (ctx) => {
    const user = await account.signedIn(ctx);
    if (!user) return void (ctx.body = signedOutPage());
    await show(ctx, user, { notice: notices(config.policy.ladder)[String(ctx.query.notice)] });
  });

  router.get('/account/login', (ctx) => account.startStepUp(ctx, '/account'));

  router.get('/account/callback', async (ctx) => {
    const saved = ctx.cookies.get(STEP_UP_COOKIE, { signed: true });
    account.clearCookie(ctx, STEP_UP_COOKIE, '/account');
    const expected = saved ? (JSON.parse(saved) as { state: string; returnTo: string }) : undefined;
    if (!expected || ctx.query.state !== expected.state) return ctx.throw(400, 'This sign-in response does not match a request from this browser. Start again from your account page.');
    if (typeof ctx.query.error === 'string') {
      const user = await account.signedIn(ctx);
      const message = ctx.query.error === 'access_denied' ? 'Sign-in was cancelled.' : 'We could not verify it is you, so nothing was changed.';
      if (!user) return void (ctx.body = signedOutPage(message));
      return show(ctx, user, { error: message });
    }
    ctx.redirect(RETURN_PATHS.has(expected.returnTo) ? expected.returnTo : '/account');
  });
}
