// Gathers what the policy needs (request, events, enrolled factors, client policy) and asks it for a decision.
import { decide } from '../policy/decide.ts';
import { parseAuthRequest, type RawRequest } from '../policy/request.ts';
import { sensitiveActionRequest } from '../policy/sensitive-action.ts';
import { stepUpParams } from './oauth-params.ts';
import { currentLevel } from '../policy/ladder.ts';
import { eligibility } from '../policy/cool-off.ts';
import { recoveryStanding, type RecoveryStanding } from '../policy/recovery.ts';
import type { AuthEvent, AuthRequest, ClientPolicy, CoolingOff, Decision, Factor, Level, ScopeRule } from '../policy/types.ts';
import type { StepUpPolicy } from '../config/policy-schema.ts';
import type { AuthenticatorKind, AuthenticatorRecord, Stores } from '../adapters/types.ts';
import { isHardwareKey, passkeyData } from '../authenticators/index.ts';
import { accountSnapshot, type AccountSnapshot } from './account-snapshot.ts';
import { operationOf, requirementsOf } from './operation.ts';

export interface AssessmentInput {
  /** The authorization request's parameters (acr_values, max_age, prompt, scope, resource, claims)... */
  params?: Record<string, unknown>;
  /**
   * ...or a change of authenticators, which needs the account's highest level within `maxAge` seconds (in a
   * recovery session: the password, while the recovery window is open).
   */
  sensitiveAction?: { maxAge: number };
  client: ClientPolicy;
  accountId?: string;
  /** The session whose stored events count; undefined before the first login. */
  sessionUid?: string;
  /** Events proven in the current interaction, not yet stored with the session. */
  pending?: readonly AuthEvent[];
  /** When max_age is measured from, if not now (the moment the interaction finished). */
  freshAt?: number;
  now: number;
}

export interface Assessment {
  request: AuthRequest;
  /** The sensitive scope and resource rules the decision applied. */
  rules: readonly ScopeRule[];
  decision: Decision;
  enrolled: Set<Factor>;
  /** Ids of the pending events the session did not have yet: proven in this sign-in, counted once. */
  newlyProven: Set<string>;
  /** The level the session's earlier events proved before this sign-in, if any. */
  priorLevel?: Level;
  /** The account's authenticators in cool-off (their standing is decided by the policy against the clock). */
  coolingOff: CoolingOff[];
  /** The session's recovery window, when it is in one. */
  recovery?: RecoveryStanding;
  /** An operator disabled the account: nothing may be signed in or changed. */
  disabled: boolean;
}

/** The `claims` parameter arrives as a JSON string; anything unparsable is rejected. */
function rawRequest(params: Record<string, unknown>): RawRequest {
  let claims: unknown = params.claims;
  if (typeof claims === 'string') {
    try {
      claims = JSON.parse(claims);
    } catch {
      claims = '(unparsable)';
    }
  }
  return { ...params, claims };
}

/** The factor each kind of authenticator proves, for the kinds this server can verify. */
export const FACTOR_OF = { totp: 'otp', passkey: 'passkey' } as const satisfies Record<AuthenticatorKind, Factor>;

export interface Enrolment {
  /** Factors with at least one authenticator that was never in cool-off. */
  factors: Set<Factor>;
  /** Authenticators enrolled with a cool-off (ended or not: the policy compares it with the clock). */
  coolingOff: CoolingOff[];
  /** Authenticators the account still has: events of removed ones no longer count. */
  authenticatorIds: Set<string>;
  disabled: boolean;
}

/** The factors an authenticator proves: its kind's, and hwk for a verified hardware passkey of an allowed model. */
export function factorsOf(authenticator: AuthenticatorRecord, allowedAaguids: readonly string[] = []): Factor[] {
  const factor: Factor | undefined = FACTOR_OF[authenticator.kind];
  if (!factor) return [];
  const attestation = authenticator.kind === 'passkey' ? passkeyData(authenticator).attestation : undefined;
  return isHardwareKey(attestation, allowedAaguids) ? [factor, 'hwk'] : [factor];
}

export function enrolmentOf(hasPassword: boolean, authenticators: readonly AuthenticatorRecord[], options: { disabled?: boolean; allowedAaguids?: readonly string[] } = {}): Enrolment {
  const factors = new Set<Factor>(hasPassword ? ['pwd'] : []);
  const coolingOff: CoolingOff[] = [];
  const authenticatorIds = new Set<string>();
  for (const authenticator of authenticators) {
    const proves = factorsOf(authenticator, options.allowedAaguids);
    if (proves.length === 0) continue;
    for (const factor of proves) {
      if (authenticator.coolOff) coolingOff.push({ authenticatorId: authenticator.id, factor, cap: authenticator.coolOff.cap, until: authenticator.coolOff.until });
      else factors.add(factor);
    }
    authenticatorIds.add(authenticator.id);
  }
  return { factors, coolingOff, authenticatorIds, disabled: options.disabled ?? false };
}

async function enrolment(snapshot: AccountSnapshot, accountId: string, allowedAaguids?: readonly string[]): Promise<Enrolment> {
  const [account, authenticators] = await Promise.all([snapshot.account(accountId), snapshot.authenticators(accountId)]);
  if (!account) return enrolmentOf(false, []);
  return enrolmentOf(Boolean(account.passwordHash), authenticators, { disabled: account.disabledAt !== undefined, allowedAaguids });
}

/** Rules beyond the policy file's scopeRules: the operators' registry's --min-acr resources (read through its cache). */
export type ExtraRules = () => Promise<readonly ScopeRule[]>;

export function createAssessor(stores: Stores, policy: StepUpPolicy, extraRules: ExtraRules = async () => []) {
  /** `snapshot`: the request's reads, shared by every assessment in it (a fresh one when not given). */
  return async function assess(input: AssessmentInput, snapshot: AccountSnapshot = accountSnapshot(stores)): Promise<Assessment> {
    const [stored, { factors: enrolled, coolingOff, authenticatorIds, disabled }, extra] = await Promise.all([
      input.sessionUid ? snapshot.sessionEvents(input.sessionUid, input.now) : [],
      input.accountId ? enrolment(snapshot, input.accountId, policy.attestation?.allowedAaguids) : enrolmentOf(false, []),
      extraRules(),
    ]);
    const rules = extra.length ? [...policy.scopeRules, ...extra] : policy.scopeRules;
    const events = [...new Map([...stored, ...(input.pending ?? [])].map((event) => [event.id, event])).values()].filter(
      (event) => event.authenticatorId === undefined || authenticatorIds.has(event.authenticatorId),
    );
    const recovery = input.accountId ? recoveryStanding(events, input.accountId, input.now, policy.recovery.window) : undefined;
    const request = input.sensitiveAction
      ? sensitiveActionRequest({ ladder: policy.ladder, enrolled, coolingOff, maxAge: input.sensitiveAction.maxAge, recovery: recovery !== undefined, now: input.now })
      : { ...parseAuthRequest(rawRequest(stepUpParams(input.params ?? {}))), operations: requirementsOf(operationOf(input.params ?? {}), policy.operations) };
    const decision = decide({
      ladder: policy.ladder,
      strict: policy.strict,
      request,
      client: input.client,
      rules,
      accountId: input.accountId,
      events,
      enrolled,
      coolingOff,
      now: input.now,
      interactionEvents: new Set((input.pending ?? []).map((event) => event.id)),
      freshAt: input.freshAt,
    });
    const storedIds = new Set(stored.map((event) => event.id));
    const newlyProven = new Set((input.pending ?? []).filter((event) => !storedIds.has(event.id)).map((event) => event.id));
    const earlier = events.filter((event) => !newlyProven.has(event.id) && event.accountId === input.accountId);
    const priorLevel = currentLevel(policy.ladder, earlier, input.now, eligibility(policy.ladder, coolingOff, input.now))?.level;
    return { request, rules, decision, enrolled, newlyProven, priorLevel, coolingOff, recovery, disabled };
  };
}

export type Assessor = ReturnType<typeof createAssessor>;
