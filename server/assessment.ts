// Gathers what the policy needs (request, events, enrolled factors, client policy) and asks it for a decision.
import { decide } from '../policy/decide.ts';
import { parseAuthRequest, type RawRequest } from '../policy/request.ts';
import { sensitiveActionRequest } from '../policy/sensitive-action.ts';
import type { AuthEvent, AuthRequest, ClientPolicy, Decision, Factor } from '../policy/types.ts';
import type { StepUpPolicy } from '../config/policy-schema.ts';
import type { Stores } from '../adapters/types.ts';

export interface AssessmentInput {
  /** The authorization request's parameters (acr_values, max_age, prompt, scope, resource, claims)... */
  params?: Record<string, unknown>;
  /** ...or a change of authenticators, which needs the account's highest level within `maxAge` seconds. */
  sensitiveAction?: { maxAge: number };
  client: ClientPolicy;
  accountId?: string;
  /** The session whose stored events count; undefined before the first login. */
  sessionUid?: string;
  /** Events proven in the current interaction (fresh by definition), not yet stored with the session. */
  pending?: readonly AuthEvent[];
  now: number;
}

export interface Assessment {
  request: AuthRequest;
  decision: Decision;
  enrolled: Set<Factor>;
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

export async function enrolledFactors(stores: Stores, accountId: string): Promise<Set<Factor>> {
  const enrolled = new Set<Factor>();
  const account = await stores.accounts.findById(accountId);
  if (!account) return enrolled;
  if (account.passwordHash) enrolled.add('pwd');
  for (const authenticator of await stores.authenticators.listByAccount(accountId)) {
    enrolled.add(authenticator.kind === 'totp' ? 'otp' : 'passkey');
  }
  return enrolled;
}

export function createAssessor(stores: Stores, policy: StepUpPolicy) {
  return async function assess(input: AssessmentInput): Promise<Assessment> {
    const stored = input.sessionUid ? await stores.events.listBySession(input.sessionUid, input.now) : [];
    const enrolled = input.accountId ? await enrolledFactors(stores, input.accountId) : new Set<Factor>();
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
      events: [...new Map([...stored, ...(input.pending ?? [])].map((event) => [event.id, event])).values()],
      enrolled,
      now: input.now,
      interactionEvents: new Set((input.pending ?? []).map((event) => event.id)),
    });
    return { request, decision, enrolled };
  };
}

export type Assessor = ReturnType<typeof createAssessor>;
