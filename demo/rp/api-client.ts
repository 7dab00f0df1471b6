// Calls the demo API with the access token held and a DPoP proof; a 401/403 challenge comes back parsed, whatever route asked for it.
import * as oidc from 'openid-client';
import type { ApiAction, ApiResult, Challenge } from './types.ts';

/**
 * Reads the challenge's parameters (parsed by openid-client, RFC 9110 §11.6.1): `DPoP` (RFC 9449 §7.1, what the API
 * answers a DPoP request with) or `Bearer` (RFC 6750 §3); RFC 9470's `acr_values` and `max_age` are the same in both.
 */
export function readChallenge(status: number, header: string, challenges: readonly oidc.WWWAuthenticateChallenge[]): Challenge | undefined {
  const challenge = challenges.find((candidate) => candidate.scheme === 'dpop') ?? challenges.find((candidate) => candidate.scheme === 'bearer');
  if (!challenge) return undefined;
  const { error, error_description: errorDescription, acr_values: acrValues, max_age: maxAge, scope } = challenge.parameters;
  const list = (value: string | undefined) => (value ? value.split(' ').filter(Boolean) : undefined);
  const age = maxAge !== undefined && /^\d+$/.test(maxAge) ? Number(maxAge) : undefined;
  return { status, header, error, errorDescription, acrValues: list(acrValues), maxAge: age, scope: list(scope) };
}

/** `dpop`: the session's DPoP handle; the token is bound to its key, so every call carries a fresh proof made with it. */
export async function callApi(configuration: oidc.Configuration, apiUrl: string, accessToken: string, action: ApiAction, dpop?: oidc.DPoPHandle): Promise<ApiResult> {
  const headers = new Headers({ accept: 'application/json' });
  let body: string | undefined;
  if (action.body) {
    headers.set('content-type', 'application/json');
    body = JSON.stringify(action.body);
  }
  try {
    const response = await oidc.fetchProtectedResource(configuration, accessToken, new URL(action.path, `${apiUrl}/`), action.method, body, headers, dpop ? { DPoP: dpop } : undefined);
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON: shown as text
    }
    return { kind: 'answered', status: response.status, body: parsed };
  } catch (error) {
    if (error instanceof oidc.WWWAuthenticateChallengeError) {
      const challenge = readChallenge(error.status, error.response.headers.get('www-authenticate') ?? '', error.cause);
      if (challenge) return { kind: 'challenged', challenge };
      return { kind: 'answered', status: error.status, body: await error.response.text().catch(() => '') };
    }
    return { kind: 'unreachable', message: (error as Error).message };
  }
}
