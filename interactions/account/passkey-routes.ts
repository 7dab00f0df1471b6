// Adding a passkey from the account page, behind a fresh step-up; the challenge is sealed to the account.
import Router from '@koa/router';
import type { Context } from 'koa';
import { AuthError, CHALLENGE_TTL, registerPasskey, registrationOptions } from '../../authenticators/index.ts';
import { StoreError } from '../../adapters/types.ts';
import { enrolmentRefused } from '../../stepup/audit.ts';
import type { InteractionDeps } from '../deps.ts';
import { messageFor } from '../../stepup/messages.ts';
import { passkeyEnrolPage } from '../../views/account-pages.ts';
import type { AccountContext, SignedIn } from './context.ts';

const CHALLENGE_COOKIE = 'stepup.passkey';
const PATH = '/account/passkey';
const MAX_PASSKEYS = 20;

export function passkeyRoutes(deps: InteractionDeps, account: AccountContext, router: Router): void {
  const { stores, config } = deps;

  async function show(ctx: Context, user: SignedIn, error?: { status: number; message: string }) {
    const existing = (await stores.authenticators.listByAccount(user.accountId)).filter((record) => record.kind === 'passkey');
    const options = await registrationOptions(config.webauthn, { id: user.accountId, username: user.username }, existing);
    await account.seal(ctx, CHALLENGE_COOKIE, PATH, user, options.challenge, CHALLENGE_TTL);
    if (error) ctx.status = error.status;
    ctx.body = passkeyEnrolPage({ csrf: ctx.state.csrf, options, error: error?.message });
  }

  router.get(PATH, async (ctx) => {
    const user = await account.freshUser(ctx, PATH);
    if (user) await show(ctx, user);
  });

  router.post(PATH, async (ctx) => {
    const user = await account.freshPoster(ctx);
    const body = ctx.request.body as Record<string, unknown>;
    const challenge = await account.unseal(ctx, CHALLENGE_COOKIE, user);
    // Single use: a response can only answer the challenge of the page it came from, once.
    account.clearCookie(ctx, CHALLENGE_COOKIE, PATH);
    const count = (await stores.authenticators.listByAccount(user.accountId)).filter((record) => record.kind === 'passkey').length;
    if (count >= MAX_PASSKEYS) return ctx.throw(400, `An account can have at most ${MAX_PASSKEYS} passkeys.`);
    let standing = account.enrolling(user, ['passkey']);
    try {
      if (!challenge) throw new AuthError('invalid_input', 'the passkey request expired');
      const record = await registerPasskey(
        {
          accountId: user.accountId,
          response: String(body.response ?? ''),
          expectedChallenge: challenge,
          label: String(body.label ?? ''),
          coolOff: (factors) => (standing = account.enrolling(user, factors)).record,
        },
        { rp: config.webauthn, authenticators: stores.authenticators, now: deps.now(), allowedAaguids: config.policy.attestation?.allowedAaguids },
      );
      await account.enrolled(user, record, standing);
      ctx.redirect(`/account?notice=${standing.record ? 'passkey-added-cooling' : 'passkey-added'}`);
    } catch (error) {
      const refused = error instanceof StoreError && error.code === 'conflict' ? new AuthError('invalid_input', 'this passkey is already registered') : error;
      if (!(refused instanceof AuthError)) throw error;
      await stores.audit.append(enrolmentRefused(deps.now, 'passkey', refused, account.where(user)));
      const message = error instanceof StoreError ? { status: 400, message: 'This passkey is already registered.' } : messageFor(refused, 'passkey');
      await show(ctx, user, message);
    }
  });
}
