// Renaming and removing sign-in methods, behind a fresh step-up; removing one that lowers the account's level needs consent.
import Router from '@koa/router';
import type { Context } from 'koa';
import { removalImpact } from '../../policy/removal.ts';
import { FACTOR_OF, enrolmentOf } from '../../stepup/assessment.ts';
import { authenticatorRemoved, authenticatorRenamed } from '../../stepup/audit.ts';
import type { InteractionDeps } from '../deps.ts';
import { manageCheckRemovalPage, managePage } from '../../views/account-pages.ts';
import type { AccountContext, SignedIn } from './context.ts';

const PATH = '/account/manage';
const MAX_LABEL_LENGTH = 64;

export function manageRoutes(deps: InteractionDeps, account: AccountContext, router: Router): void {
  const { stores, config } = deps;

  async function owned(ctx: Context, user: SignedIn) {
    const record = await stores.authenticators.get(String(ctx.params.id));
    if (!record || record.accountId !== user.accountId) return ctx.throw(404, 'No such sign-in method on your account.');
    return record;
  }

  async function show(ctx: Context, user: SignedIn, error?: string) {
    if (error) ctx.status = 400;
    ctx.body = managePage({ csrf: ctx.state.csrf, authenticators: await stores.authenticators.listByAccount(user.accountId), now: deps.now(), error });
  }

  router.get(PATH, async (ctx) => {
    const user = await account.freshUser(ctx, PATH);
    if (user) await show(ctx, user);
  });

  router.post('/account/authenticators/:id/rename', async (ctx) => {
    const user = await account.freshPoster(ctx);
    const record = await owned(ctx, user);
    const label = String((ctx.request.body as Record<string, unknown>).label ?? '').trim();
    if (label === '' || label.length > MAX_LABEL_LENGTH) return show(ctx, user, `A name must be 1 to ${MAX_LABEL_LENGTH} characters.`);
    await stores.authenticators.rename(record.id, user.accountId, label);
    await stores.audit.append(authenticatorRenamed(deps.now, FACTOR_OF[record.kind], record.id, account.where(user)));
    ctx.redirect('/account?notice=renamed');
  });

  router.post('/account/authenticators/:id/remove', async (ctx) => {
    const user = await account.freshPoster(ctx);
    const record = await owned(ctx, user);
    const all = await stores.authenticators.listByAccount(user.accountId);
    const hasPassword = Boolean((await stores.accounts.findById(user.accountId))?.passwordHash);
    const standing = (authenticators: typeof all) => {
      const { factors, coolingOff } = enrolmentOf(hasPassword, authenticators, { allowedAaguids: config.policy.attestation?.allowedAaguids });
      return { enrolled: factors, coolingOff };
    };
    const impact = removalImpact(config.policy.ladder, standing(all), standing(all.filter((candidate) => candidate.id !== record.id)), deps.now());
    if (impact.lowers && (ctx.request.body as Record<string, unknown>).confirm !== 'lower') {
      ctx.body = manageCheckRemovalPage({ csrf: ctx.state.csrf, authenticator: record, before: impact.before, after: impact.after });
      return;
    }
    await stores.authenticators.remove(record.id, user.accountId);
    const lowered = impact.lowers ? { before: impact.before?.acr, after: impact.after?.acr } : undefined;
    await account.credentialChanged(user, (revoked) => authenticatorRemoved(deps.now, { factor: FACTOR_OF[record.kind], authenticatorId: record.id, lowered, revoked }, account.where(user)));
    ctx.redirect('/account?notice=removed');
  });
}
