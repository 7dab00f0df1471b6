// Builds audit events for policy decisions; they never carry secrets, codes or passwords.
import type { AuditEvent } from '../adapters/types.ts';
import type { AuthRequest, Decision } from '../policy/types.ts';

export function decisionEvent(
  type: string,
  decision: Decision,
  request: AuthRequest,
  context: { accountId?: string; clientId?: string; sessionUid?: string },
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
  };
}
