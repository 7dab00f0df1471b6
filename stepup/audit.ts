// Builds every audit event, one function per kind, stamped by the injected clock; none carries a secret, code or password.
import type {
  AccountRecoveryEvent,
  AccountUnlockEvent,
  AuditEvent,
  AuthenticatorEnrollEvent,
  AuthenticatorRemoveEvent,
  AuthenticatorRenameEvent,
  CeilingRaisedEvent,
  ClearedAttempts,
  CutOff,
  FactorVerifyEvent,
  OperationRecord,
  PolicyDecisionEvent,
  RecoveryCodesEvent,
  Satisfaction,
  SuspectedCloneEvent,
} from '../adapters/audit-event.ts';
import type { AuthError } from '../authenticators/index.ts';
import type { AuthRequest, Decision, Factor, Level } from '../policy/types.ts';

/** Epoch seconds: `deps.now` in the routes, `systemClock` in the CLI. */
export type Clock = () => number;

/** An event's `at`: epoch milliseconds, as the audit log has always kept them, from the clock's epoch seconds. */
export function auditTime(now: Clock): number {
  return now() * 1000;
}

/** Where it happened, as far as known. */
export interface Where {
  accountId?: string;
  clientId?: string;
  sessionUid?: string;
}

/** An account's own change, from its account pages. */
export type OwnAccount = Where & { accountId: string };

/** The counts of a revocation, without the relying parties that refused their notice (those are logged, not audited). */
function cutOffOf({ sessions, grants, tokens, notified }: CutOff): CutOff {
  return { sessions, grants, tokens, notified };
}

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

/** policy.decision: the decision's outcome as `decision`; met, how and by which factors; a step-up, the factors it requires. */
export function decisionEvent(
  now: Clock,
  decision: Decision,
  request: AuthRequest,
  where: Where,
  proof: DecisionContext = { newlyProven: new Set() },
  operation?: OperationRecord,
): PolicyDecisionEvent {
  const base = { at: auditTime(now), type: 'policy.decision', ...where, requestedAcr: request.acrValues, requestedMaxAge: request.maxAge, ...(operation && { operation }) } as const;
  switch (decision.outcome) {
    case 'satisfied': {
      const factors = [...new Set(decision.events.filter((event) => proof.newlyProven.has(event.id)).map((event) => event.factor))];
      return { ...base, decision: 'satisfied', outcome: 'success', achievedAcr: decision.acr, amr: decision.amr, satisfaction: howMet(decision, proof), factors };
    }
    case 'step_up':
      return { ...base, decision: 'step_up', outcome: 'info', reason: `step_up: ${decision.reason}`, factors: decision.factors };
    case 'unmet':
      return { ...base, decision: 'unmet', outcome: 'failure', reason: `unmet: ${decision.reason}`, coolOffUntil: decision.coolOffUntil };
    case 'login_required':
      return { ...base, decision: 'login_required', outcome: 'info', reason: `login_required: ${decision.reason}` };
  }
}

/** factor.verify, accepted. */
export function factorVerified(now: Clock, factor: Factor, where: Where, operation?: OperationRecord): FactorVerifyEvent {
  return { at: auditTime(now), type: 'factor.verify', outcome: 'success', factor, ...where, ...(operation && { operation }) };
}

/** factor.verify, refused: the AuthError code, and whose guessing limit when one refused it (the account's by default). */
export function factorRefused(now: Clock, factor: Factor, error: AuthError, where: Where): FactorVerifyEvent {
  const limit = error.code === 'throttled' || error.code === 'locked' ? (error.limit ?? 'account') : undefined;
  const reason = `${error.code}${limit === 'address' ? ' (client address)' : ''}${where.accountId ? '' : ' (unknown username)'}`;
  return { at: auditTime(now), type: 'factor.verify', outcome: 'failure', factor, ...where, refusal: error.code, ...(limit && { limit }), reason };
}

/** A passkey assertion whose signature counter did not advance. */
export function suspectedClone(now: Clock, factor: Factor, error: AuthError, where: Where): SuspectedCloneEvent {
  return { at: auditTime(now), type: 'authenticator.suspected_clone', outcome: 'failure', factor, ...where, reason: error.message };
}

/** A passkey sign-in cleared the guessing limits of the other factors. */
export function passkeyUnlocked(now: Clock, cleared: ClearedAttempts, where: OwnAccount): AccountUnlockEvent {
  const reason = `passkey sign-in cleared ${cleared.pwd} failed password, ${cleared.otp} failed code and ${cleared.recovery} failed recovery-code attempts`;
  return { at: auditTime(now), type: 'account.unlock', outcome: 'success', factor: 'passkey', ...where, cleared, reason };
}

/** A recovery sign-in opened a recovery session, after cutting off everything else. */
export function recoveryOpened(now: Clock, via: 'code' | 'link', revoked: CutOff, where: OwnAccount): AccountRecoveryEvent {
  const reason = via === 'code' ? 'recovery code' : "operator's recovery link";
  return { at: auditTime(now), type: 'account.recovery', outcome: 'success', factor: 'recovery', ...where, via, reason, revoked: cutOffOf(revoked) };
}

/** A new authenticator from the account pages: what it is, whether in a recovery session, its cool-off, what was cut off. */
export function authenticatorEnrolled(
  now: Clock,
  enrolment: { factor: Factor; kind: string; authenticatorId: string; inRecovery: boolean; coolOff?: { until: number; cap: string }; revoked: CutOff },
  where: OwnAccount,
): AuthenticatorEnrollEvent {
  const { factor, kind, authenticatorId, inRecovery, coolOff, revoked } = enrolment;
  const reason = `${kind} ${authenticatorId}${inRecovery ? ' (in a recovery session)' : ''}`;
  return { at: auditTime(now), type: 'authenticator.enroll', outcome: 'success', factor, ...where, authenticatorId, reason, ...coolOffFields(coolOff), revoked: cutOffOf(revoked) };
}

/** An enrolment from the account pages that the authenticator refused. */
export function enrolmentRefused(now: Clock, factor: Factor, error: AuthError, where: OwnAccount): AuthenticatorEnrollEvent {
  return { at: auditTime(now), type: 'authenticator.enroll', outcome: 'failure', factor, ...where, refusal: error.code, reason: error.code };
}

/** The first enrolled factor that lets the account reach a higher level: the highest level before and after. */
export function ceilingRaised(
  now: Clock,
  change: { factor: Factor; authenticatorId: string; before?: string; after?: string; coolOff?: { until: number; cap: string } },
  where: OwnAccount,
): CeilingRaisedEvent {
  const { factor, authenticatorId, before, after, coolOff } = change;
  return {
    at: auditTime(now),
    type: 'account.ceiling_raised',
    outcome: 'info',
    factor,
    ...where,
    authenticatorId,
    ...(before !== undefined && { ceilingBefore: before }),
    ...(after !== undefined && { ceilingAfter: after }),
    reason: `${before ?? 'none'} → ${after ?? 'none'}`,
    ...coolOffFields(coolOff),
  };
}

/** An authenticator removed from the account pages; `lowered` when that lowered the account's highest level. */
export function authenticatorRemoved(
  now: Clock,
  removal: { factor: Factor; authenticatorId: string; lowered?: { before?: string; after?: string }; revoked: CutOff },
  where: OwnAccount,
): AuthenticatorRemoveEvent {
  const { factor, authenticatorId, lowered, revoked } = removal;
  const reason = lowered ? `${authenticatorId}; level ${lowered.before} → ${lowered.after ?? 'none'}` : authenticatorId;
  return { at: auditTime(now), type: 'authenticator.remove', outcome: 'success', factor, ...where, authenticatorId, reason, revoked: cutOffOf(revoked) };
}

export function authenticatorRenamed(now: Clock, factor: Factor, authenticatorId: string, where: OwnAccount): AuthenticatorRenameEvent {
  return { at: auditTime(now), type: 'authenticator.rename', outcome: 'success', factor, ...where, authenticatorId, reason: authenticatorId };
}

/** A new set of recovery codes, which replaced the previous one. */
export function recoveryCodesGenerated(now: Clock, setId: string, count: number, where: OwnAccount): RecoveryCodesEvent {
  const reason = `set ${setId}: ${count} codes; earlier codes revoked`;
  return { at: auditTime(now), type: 'recovery_codes.generate', outcome: 'success', factor: 'recovery', ...where, setId, count, reason };
}

/** Who ran an operator command, why, and who approved it where a second operator is required. */
export interface OperatorIdentity {
  operator: string;
  approvedBy?: string;
  reason: string;
}

type WithoutOperator<E> = E extends unknown ? Omit<E, 'at' | 'outcome' | 'operator' | 'approvedBy' | 'reason'> : never;

/** What an operator command did: an event of an operator's type, without the time, the outcome and the operator. */
export type OperatorAction = WithoutOperator<Extract<AuditEvent, { operator: string }>>;

/** An operator command (the CLI): the action, who ran it and why, and what it cut off (without the failed notices). */
export function operatorEvent(now: Clock, who: OperatorIdentity, action: OperatorAction): AuditEvent {
  const signed = { at: auditTime(now), outcome: 'success', operator: who.operator, ...(who.approvedBy !== undefined && { approvedBy: who.approvedBy }), reason: who.reason } as const;
  return 'revoked' in action ? { ...action, ...signed, revoked: cutOffOf(action.revoked) } : { ...action, ...signed };
}

function coolOffFields(coolOff: { until: number; cap: string } | undefined): { coolOffUntil?: number; coolOffCap?: string } {
  return coolOff ? { coolOffUntil: coolOff.until, coolOffCap: coolOff.cap } : {};
}
