// What to do about a challenge, knowing nothing of the route: send the user to the provider with what it asked, or stop.
import type { Challenge } from './types.ts';

export type NextStep = { kind: 'authorize'; params: Record<string, string>; why: string } | { kind: 'stop'; why: string };

/** One authorization round trip per action: a second challenge means the provider could not give what the API wants. */
export function nextStep(challenge: Challenge, roundsSoFar: number): NextStep {
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
      return { kind: 'stop', why: `The API refused the request (${challenge.error}).` };
  }
}
