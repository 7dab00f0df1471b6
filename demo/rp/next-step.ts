// What to do about a challenge, knowing nothing of the route: send the user to the provider with what it asked, or stop.
import type { Challenge } from './types.ts';

export type NextStep = { kind: 'authorize'; params: Record<string, string>; why: string } | { kind: 'stop'; why: string };

/** Why the API refused a token it will not accept however the user signs in: the words the result page shows. */
function refusalReason(challenge: Challenge): string {
  const said = challenge.errorDescription ? `: ${challenge.errorDescription}` : '';
  switch (challenge.error) {
    case 'insufficient_authorization_details':
      return `The API refused the call (insufficient_authorization_details${said}). The token approves one operation, and this call is another one: a payment the user did not approve needs its own approval, which this app does not ask for here.`;
    case 'invalid_token':
      return `The API refused the token (invalid_token${said}). A payment's token is accepted once, by the API, for two minutes; to pay again, the user approves again.`;
    default:
      return `The API refused the request (${challenge.error ?? 'no error code'}${said}).`;
  }
}

/**
 * One authorization round trip per challenged action: a second challenge means the provider could not give what the API
 * wants. `reuse`: the call was made with a used operation token on purpose (the demo of refusals): its refusal is shown.
 */
export function nextStep(challenge: Challenge, roundsSoFar: number, reuse = false): NextStep {
  // RFC 9396: a token approves the operations the user saw; no sign-in, however strong, turns it into another one.
  if (reuse || challenge.error === 'insufficient_authorization_details') return { kind: 'stop', why: refusalReason(challenge) };
  if (roundsSoFar >= 1) return { kind: 'stop', why: 'The API still refuses the token the provider just issued, so we stop here instead of looping.' };
  switch (challenge.error) {
    case 'insufficient_user_authentication': {
      // RFC 9470 §4: the client passes acr_values and max_age on to the authorization request.
      const params: Record<string, string> = {};
      if (challenge.acrValues?.length) params.acr_values = challenge.acrValues.join(' ');
      if (challenge.maxAge !== undefined) params.max_age = String(challenge.maxAge);
      return { kind: 'authorize', params, why: 'The API asks for a stronger or more recent sign-in.' };
    }
    case 'insufficient_scope':
      return { kind: 'authorize', params: challenge.scope?.length ? { scope: challenge.scope.join(' ') } : {}, why: 'The API asks for more scope.' };
    case 'invalid_token':
    case undefined:
      return { kind: 'authorize', params: {}, why: 'The API does not accept the token (it may have expired): signing in again.' };
    default:
      return { kind: 'stop', why: refusalReason(challenge) };
  }
}
