// Setting up an authenticator app: a QR code and key, confirmed by a first code, behind a fresh step-up.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AuthError, MAX_TOTP_AUTHENTICATORS, confirmTotpEnrollment, decryptSecret, generateTotpSecret, qrSvg, totpUri } from '../../authenticators/index.ts';
import { enrolmentRefused } from '../../stepup/audit.ts';
import type { InteractionDeps } from '../deps.ts';
import { messageFor } from '../../stepup/messages.ts';
import { totpEnrolPage } from '../../views/account-pages.ts';
import type { AccountContext, SignedIn } from './context.ts';

const CANDIDATE_COOKIE = 'stepup.totp';
const PATH = '/account/totp';
const CANDIDATE_TTL = 600;

export function totpRoutes(deps: InteractionDeps, account: AccountContext, router: Router): void {
  const { stores, config } = deps;

  async function show(ctx: Context, user: SignedIn, error?: string) {
    let secret = await account.unseal(ctx, CANDIDATE_COOKIE, user);
    if (!secret) {
      secret = generateTotpSecret();
      await account.seal(ctx, CANDIDATE_COOKIE, PATH, user, secret, CANDIDATE_TTL);
    }
    const uri = totpUri({ issuer: new URL(config.issuer).host, label: user.username, secret });
    if (error) ctx.status = 400;
    ctx.body = totpEnrolPage({ csrf: ctx.state.csrf, qrSvg: await qrSvg(uri), secret, error });
  }

  router.get(PATH, async (ctx) => {
    const user = await account.freshUser(ctx, PATH);
    if (user) await show(ctx, user);
  });

  router.post(PATH, async (ctx) => {
    const user = await account.freshPoster(ctx);
    const body = ctx.request.body as Record<string, unknown>;
    const secret = await account.unseal(ctx, CANDIDATE_COOKIE, user);
    if (!secret) return ctx.throw(400, 'The setup expired. Start again from your account page.');
    const existing = (await stores.authenticators.listByAccount(user.accountId)).filter((authenticator) => authenticator.kind === 'totp');
    if (existing.length >= MAX_TOTP_AUTHENTICATORS) return ctx.throw(400, `An account can have at most ${MAX_TOTP_AUTHENTICATORS} authenticator apps: remove one first.`);
    for (const authenticator of existing) {
      // The setup cookie is single-use: replaying it must not enrol the same secret twice.
      if ((await decryptSecret(authenticator.data.secret as string, deps.keyring)) === secret) {
        account.clearCookie(ctx, CANDIDATE_COOKIE, PATH);
        return ctx.throw(400, 'This authenticator app is already set up.');
      }
    }
    const standing = account.enrolling(user, ['otp']);
    try {
      const record = await confirmTotpEnrollment(
        { accountId: user.accountId, secret, code: String(body.code ?? ''), label: String(body.label ?? ''), coolOff: standing.record },
        { authenticators: stores.authenticators, keyring: deps.keyring, now: deps.now() },
      );
      account.clearCookie(ctx, CANDIDATE_COOKIE, PATH);
      await account.enrolled(user, record, standing);
      ctx.redirect(`/account?notice=${standing.record ? 'totp-added-cooling' : 'totp-added'}`);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      await stores.audit.append(enrolmentRefused(deps.now, 'otp', error, account.where(user)));
      await show(ctx, user, messageFor(error, 'otp').message);
    }
  });
}
