// How the step-up service refuses a request: one standard OAuth / OIDC error per cause, the same from the authorization
// endpoint's check (stepup/check.ts) and from the sign-in pages (stepup/flow.ts).
import { PolicyError } from '../policy/errors.ts';

export interface Refusal {
  error: 'invalid_request' | 'access_denied' | 'login_required' | 'unmet_authentication_requirements';
  description: string;
}

/** The account cannot reach the requested level (not enrolled, or only after a cool-off). */
export const UNMET: Refusal = { error: 'unmet_authentication_requirements', description: 'the requested authentication level cannot be met for this account' };

/** Back from our pages and still short: an error, never another round. */
export const NOT_REACHED: Refusal = { error: 'unmet_authentication_requirements', description: 'the requested authentication level was not reached' };

export const DISABLED: Refusal = { error: 'access_denied', description: 'this account is disabled' };

export const OTHER_SUBJECT: Refusal = { error: 'login_required', description: 'the requested user is not the signed-in user' };

/** A request the policy cannot read (bad acr_values, max_age, claims): invalid_request; anything else is rethrown. */
export function policyRefusal(error: unknown): Refusal {
  if (error instanceof PolicyError) return { error: 'invalid_request', description: error.message };
  throw error;
}
