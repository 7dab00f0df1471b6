// Builds audit events for policy decisions; they never carry secrets, codes or passwords.
import type { AuditEvent, Satisfaction } from '../adapters/types.ts';
import type { AuthEvent, AuthRequest, Decision } from '../policy/types.ts';

/**
 * How a met requirement was met, the "required / previously satisfied" distinction: with factors proven earlier in
 * the session only (single sign-on), with factors all proven in this sign-in, or by stepping up an earlier level.
 */
export function satisfactionOf(backing: readonly AuthEvent[], provenNow: ReadonlySet<string>): Satisfaction {
  const fresh = backing.filter((event) => provenNow.has(event.id)).length;
  if (fresh === 0) return 'previously_satisfied';
  return fresh === backing.length ? 'authenticated' : 'stepped_up';
}

export function decisionEvent(
  type: string,
  decision: Decision,
  request: AuthRequest,
  context: { accountId?: string; clientId?: string; sessionUid?: string },
  provenNow: ReadonlySet<string> = new Set(),
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
    // Satisfied: how, and which factors were proven in this sign-in. Step-up: the factors required fresh.
    satisfaction: satisfied && satisfactionOf(satisfied.events, provenNow),
    factors: satisfied
      ? [...new Set(satisfied.events.filter((event) => provenNow.has(event.id)).map((event) => event.factor))]
      : decision.outcome === 'step_up'
        ? decision.factors
        : undefined,
  };
}
