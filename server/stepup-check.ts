// The login prompt's step-up Check: asks the policy, reports a truthful acr/amr/auth_time, ends loops with an error.
import { errors, interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import type { Stores } from '../adapters/types.ts';
import { PolicyError } from '../policy/errors.ts';
import type { AuthEvent, ClientPolicy, Decision } from '../policy/types.ts';
import type { Assessor } from './assessment.ts';
import { decisionEvent } from './audit.ts';

const { Check } = interactionPolicy;

/** Seconds the redirect from our last page back to the authorization endpoint may take without ageing the proof. */
const RESUME_GRACE_SECONDS = 10;

/** What our interaction pages keep in the interaction result. */
export interface StepUpResult {
  /** The account being signed in: the session's, or the one the password identified. */
  accountId?: string;
  /** The factors proven in this interaction. */
  events: AuthEvent[];
  /** When our page first handled the interaction: marks that it ran, so a bare resume is not a new round. */
  startedAt?: number;
  /** When the interaction finished satisfied: max_age is measured from here across the redirect back (RESUME_GRACE_SECONDS). */
  finishedAt?: number;
  /** When a consent page submitted after the sign-in: the time it was open ages the proof, with no redirect grace. */
  consentedAt?: number;
  /** The passkey challenge issued on the current page: single-use, short-lived, bound to this interaction. */
  challenge?: { value: string; expiresAt: number };
}

export interface StepUpCheckDeps {
  assess: Assessor;
  stores: Stores;
  /** Seconds a stored event is kept (the ladder's longest maxAge). */
  eventTtl: number;
  now: () => number;
}

export function clientPolicy(client: { clientId: string; metadata(): Record<string, unknown> }): ClientPolicy {
  const minAcr = client.metadata().stepup_min_acr;
  return { clientId: client.clientId, minAcr: typeof minAcr === 'string' ? minAcr : undefined };
}

/**
 * Makes this request's code and tokens carry what the decision proved, without
 * touching the stored session (which may be at a higher level for other requests).
 */
function reportTruthfully(ctx: KoaContextWithOIDC, decision: Extract<Decision, { outcome: 'satisfied' }>): void {
  Object.defineProperty(ctx.oidc, 'acr', { value: decision.acr, configurable: true });
  Object.defineProperty(ctx.oidc, 'amr', { value: decision.amr, configurable: true });
  Object.defineProperty(ctx.oidc.session, 'authTime', { value: () => decision.authTime, configurable: true, enumerable: false });
}

export function stepUpCheck({ assess, stores, eventTtl, now }: StepUpCheckDeps) {
  return new Check(
    'step_up',
    'the requested authentication level has not been reached',
    'login_required',
    async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const session = oidc.session!;
      const accountId = session.accountId;
      const finished = (oidc.result as { stepup?: StepUpResult } | undefined)?.stepup;
      const at = now();
      // max_age is measured from when our pages finished only across the redirect back; a page held open longer (a
      // consent page, a tab left on the redirect) ages the proof like any other wait (OIDC Core 3.1.2.1).
      const redirectOnly = finished?.finishedAt !== undefined && finished.consentedAt === undefined;
      const freshAt = redirectOnly && at - finished.finishedAt! <= RESUME_GRACE_SECONDS ? finished.finishedAt : undefined;
      const proven = accountId ? (finished?.events ?? []).filter((event) => event.accountId === accountId) : [];
      let assessment;
      try {
        assessment = await assess({
          params: oidc.params as Record<string, unknown>,
          client: clientPolicy(oidc.client!),
          accountId,
          sessionUid: accountId ? session.uid : undefined,
          pending: proven,
          freshAt,
          now: at,
        });
      } catch (error) {
        if (error instanceof PolicyError) throw new errors.InvalidRequest(error.message);
        throw error;
      } finally {
        // Stored after the assessment, which tells them apart from the session's earlier events.
        if (proven.length) await stores.events.append(session.uid, proven, at + eventTtl);
      }
      const { decision, request, newlyProven, priorLevel, disabled } = assessment;
      // An operator disabled the account: its sessions were ended, and none may be used or resumed.
      if (disabled) throw new errors.AccessDenied('this account is disabled');
      if (accountId) {
        await stores.audit.append(decisionEvent(now, decision, request, { accountId, clientId: oidc.client!.clientId, sessionUid: session.uid }, { newlyProven, priorLevel }));
      }

      switch (decision.outcome) {
        case 'satisfied':
          reportTruthfully(ctx, decision);
          return Check.NO_NEED_TO_PROMPT;
        case 'unmet':
          throw new errors.UnmetAuthenticationRequirements('the requested authentication level cannot be met for this account');
        case 'step_up':
        case 'login_required':
          // Satisfied when our pages finished, short now only because time passed: prove the aged factors again.
          if (finished?.finishedAt !== undefined && freshAt === undefined) return Check.REQUEST_PROMPT;
          // Back from our interaction and still short: an error, never another round.
          if (finished) throw new errors.UnmetAuthenticationRequirements('the requested authentication level was not reached');
          return Check.REQUEST_PROMPT;
      }
    },
    (ctx: KoaContextWithOIDC) => ({ client_id: ctx.oidc.client?.clientId }),
  );
}
