// RFC 9470 §4's acr_values and max_age for OAuth-only requests (no openid scope), which oidc-provider refuses: they
// travel under our own names (server/oauth-step-up-params.ts moves them) and the policy reads either spelling.

export const OAUTH_STEP_UP_PARAMS = { acr_values: 'stepup_acr_values', max_age: 'stepup_max_age' } as const;

/** The step-up parameters of an authorization request, from either spelling (the OAuth-only one when openid is absent). */
export function stepUpParams(params: Record<string, unknown>): Record<string, unknown> {
  const openid = typeof params.scope === 'string' && params.scope.split(' ').includes('openid');
  if (openid) return params;
  return {
    ...params,
    acr_values: params.acr_values ?? params[OAUTH_STEP_UP_PARAMS.acr_values],
    max_age: params.max_age ?? params[OAUTH_STEP_UP_PARAMS.max_age],
  };
}
