// Builds audit events for policy decisions; they never carry secrets, codes or passwords.
import type { AuditEvent, Satisfaction } from '../adapters/types.ts';
import type { AuthRequest, Decision, Level } from '../policy/types.ts';

/**
 * How a met requirement was met, the "required / previously satisfied" distinction: by factors the session had
 * already proven (single sign-on, nothing asked), by stepping up from a lower level the session held, or by
 * authenticating in this sign-in (a first sign-in, or a re-authentication at the same level: prompt=login, max_age).
 */
export function howMet(decision: Extract<Decision, { outcome: 'satisfied' }>, context: DecisionContext): Satisfaction {
  if (!decision.events.some((event) => context.newlyProven.has(event.id))) return 'previously_satisfied';
  return context.priorLevel && context.priorLevel.rank < decision.level.rank ? 'stepped_up' : 'authenticated';
}

/** What this sign-in added to the session: the events it proved, and the level the session had before. */
export interface DecisionContext {
  newlyProven: ReadonlySet<string>;
  priorLevel?: Level;
}

export function decisionEvent(
  type: string,
  decision: Decision,
  request: AuthRequest,
  context: { accountId?: string; clientId?: string; sessionUid?: string },
  proof: DecisionContext = { newlyProven: new Set() },
): AuditEvent {
  const satisfied = decision.outcome === 'satisfied' ? decision : undefined;
  return {
    at: Date.now(),
    type,
    outcome: decision.outcome === 'unmet' ? 'failure' : decision.outcome === 'satisfied' ? 'success' : 'info',
    ...context,
    requestedAcr: request.acrValues,
    requestedMaxAge: request.maxAge,
    achievedAcr: satisfied?.acr,
    amr: satisfied?.amr,
    reason: decision.outcome === 'satisfied' ? undefined : `${decision.outcome}: ${decision.reason}`,
    coolOffUntil: decision.outcome === 'unmet' ? decision.coolOffUntil : undefined,
    // Satisfied: how, and which factors were proven in this sign-in. Step-up: the factors required fresh.
    satisfaction: satisfied && howMet(satisfied, proof),
    factors: satisfied
      ? [...new Set(satisfied.events.filter((event) => proof.newlyProven.has(event.id)).map((event) => event.factor))]
      : decision.outcome === 'step_up'
        ? decision.factors
        : undefined,
  };
}
