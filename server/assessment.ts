// Gathers what the policy needs (request, events, enrolled factors, client policy) and asks it for a decision.
import { decide } from '../policy/decide.ts';
import { parseAuthRequest, type RawRequest } from '../policy/request.ts';
import { sensitiveActionRequest } from '../policy/sensitive-action.ts';
import { currentLevel } from '../policy/ladder.ts';
import type { AuthEvent, AuthRequest, ClientPolicy, Decision, Factor, Level } from '../policy/types.ts';
import type { StepUpPolicy } from '../config/policy-schema.ts';
import type { AuthenticatorKind, AuthenticatorRecord, Stores } from '../adapters/types.ts';

export interface AssessmentInput {
  /** The authorization request's parameters (acr_values, max_age, prompt, scope, resource, claims)... */
  params?: Record<string, unknown>;
  /** ...or a change of authenticators, which needs the account's highest level within `maxAge` seconds. */
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
  decision: Decision;
  enrolled: Set<Factor>;
  /** Ids of the pending events the session did not have yet: proven in this sign-in, counted once. */
  newlyProven: Set<string>;
  /** The level the session's earlier events proved before this sign-in, if any. */
  priorLevel?: Level;
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
const FACTOR_OF: Partial<Record<AuthenticatorKind, Factor>> = { totp: 'otp', passkey: 'passkey' };

interface Enrolment {
  factors: Set<Factor>;
  /** Authenticators the account still has: events of removed ones no longer count. */
  authenticatorIds: Set<string>;
}

/** The factors an account has: its password, and each authenticator this server can verify. */
export function enrolmentOf(hasPassword: boolean, authenticators: readonly AuthenticatorRecord[]): Enrolment {
  const factors = new Set<Factor>(hasPassword ? ['pwd'] : []);
  const authenticatorIds = new Set<string>();
  for (const authenticator of authenticators) {
    const factor = FACTOR_OF[authenticator.kind];
    if (!factor) continue;
    factors.add(factor);
    authenticatorIds.add(authenticator.id);
  }
  return { factors, authenticatorIds };
}

export async function enrolment(stores: Stores, accountId: string): Promise<Enrolment> {
  const account = await stores.accounts.findById(accountId);
  if (!account) return enrolmentOf(false, []);
  return enrolmentOf(Boolean(account.passwordHash), await stores.authenticators.listByAccount(accountId));
}

export function createAssessor(stores: Stores, policy: StepUpPolicy) {
  return async function assess(input: AssessmentInput): Promise<Assessment> {
    const stored = input.sessionUid ? await stores.events.listBySession(input.sessionUid, input.now) : [];
    const { factors: enrolled, authenticatorIds } = input.accountId
      ? await enrolment(stores, input.accountId)
      : { factors: new Set<Factor>(), authenticatorIds: new Set<string>() };
    const events = [...new Map([...stored, ...(input.pending ?? [])].map((event) => [event.id, event])).values()].filter(
      (event) => event.authenticatorId === undefined || authenticatorIds.has(event.authenticatorId),
    );
    const request = input.sensitiveAction
      ? sensitiveActionRequest(policy.ladder, enrolled, input.sensitiveAction.maxAge)
      : parseAuthRequest(rawRequest(input.params ?? {}));
    const decision = decide({
      ladder: policy.ladder,
      strict: policy.strict,
      request,
      client: input.client,
      rules: policy.scopeRules,
      accountId: input.accountId,
      events,
      enrolled,
      now: input.now,
      interactionEvents: new Set((input.pending ?? []).map((event) => event.id)),
      freshAt: input.freshAt,
    });
    const storedIds = new Set(stored.map((event) => event.id));
    const newlyProven = new Set((input.pending ?? []).filter((event) => !storedIds.has(event.id)).map((event) => event.id));
    const earlier = events.filter((event) => !newlyProven.has(event.id) && event.accountId === input.accountId);
    return { request, decision, enrolled, newlyProven, priorLevel: currentLevel(policy.ladder, earlier, input.now)?.level };
  };
}

export type Assessor = ReturnType<typeof createAssessor>;
