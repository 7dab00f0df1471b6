// The login prompt's step-up Check: a thin oidc-provider adapter over the step-up service's check (stepup/check.ts).
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { StepUpChecker } from '../stepup/check.ts';
import { clientPolicy } from '../stepup/client-policy.ts';
import type { HandedDecision, StepUpResult } from '../stepup/progress.ts';
import type { Decision } from '../policy/types.ts';
import type { AccountRecord } from '../adapters/types.ts';

const { Check } = interactionPolicy;

const REFUSALS = {
  invalid_request: errors.InvalidRequest,
  access_denied: errors.AccessDenied,
  unmet_authentication_requirements: errors.UnmetAuthenticationRequirements,
  login_required: errors.LoginRequired,
} as const;

/**
 * Makes this request's code and tokens carry what the decision proved, without
 * touching the stored session (which may be at a higher level for other requests).
 */
function reportTruthfully(ctx: KoaContextWithOIDC, decision: Extract<Decision, { outcome: 'satisfied' }>): void {
  Object.defineProperty(ctx.oidc, 'acr', { value: decision.acr, configurable: true });
  Object.defineProperty(ctx.oidc, 'amr', { value: decision.amr, configurable: true });
  Object.defineProperty(ctx.oidc.session, 'authTime', { value: () => decision.authTime, configurable: true, enumerable: false });
}

export function stepUpCheck(check: StepUpChecker) {
  // The decision of a check that asks for our pages, read by the details function oidc-provider calls right after it.
  const handed = new WeakMap<KoaContextWithOIDC, HandedDecision>();
  return new Check(
    'step_up',
    'the requested authentication level has not been reached',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const session = oidc.session!;
      const result = oidc.result as { stepup?: StepUpResult; consent?: unknown } | undefined;
      const outcome = await check({
        params: oidc.params as Record<string, unknown>,
        client: clientPolicy(oidc.client!),
        session: { uid: session.uid, accountId: session.accountId },
        finished: result?.stepup,
        // Resumed with no result from our pages (nor a consent page): the pages were skipped, never a new round.
        bareResume: oidc.route === 'resume' && !result?.stepup && !result?.consent,
        account: (oidc.account as { record?: AccountRecord } | undefined)?.record,
        approved: result?.consent !== undefined,
      });
      switch (outcome.kind) {
        case 'satisfied':
          reportTruthfully(ctx, outcome.decision);
          return Check.NO_NEED_TO_PROMPT;
        case 'refused':
          throw new REFUSALS[outcome.error](outcome.description);
        case 'prompt':
          if (outcome.handed) handed.set(ctx, outcome.handed);
          return Check.REQUEST_PROMPT;
      }
    },
    (ctx: KoaContextWithOIDC) => ({ client_id: ctx.oidc.client?.clientId, stepup: handed.get(ctx) }),
  );
}
