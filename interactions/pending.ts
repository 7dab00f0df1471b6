// The factors proven so far in one interaction, kept in the interaction itself until it finishes.
import type Provider from 'oidc-provider';
import type { Context } from 'koa';
import type { StepUpResult } from '../server/stepup-check.ts';

export type Details = Awaited<ReturnType<Provider['interactionDetails']>>;

/** The stored progress, or a new one starting now (by the same clock as the events). */
export function pendingOf(details: Details, now: number): StepUpResult & { startedAt: number } {
  const stored = (details.result as { stepup?: StepUpResult } | undefined)?.stepup;
  return {
    ...stored,
    accountId: details.session?.accountId ?? stored?.accountId,
    events: stored?.events ?? [],
    startedAt: stored?.startedAt ?? now,
  };
}

export async function savePending(provider: Provider, ctx: Context, pending: StepUpResult): Promise<void> {
  await provider.interactionResult(ctx.req, ctx.res, { stepup: pending }, { mergeWithLastSubmission: false });
}
