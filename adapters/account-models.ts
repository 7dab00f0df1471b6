// The oidc-provider models that belong to an account: each adapter indexes the account id on every write to find them.
import type { AdapterPayload } from 'oidc-provider';

/**
 * The models whose payload names an account: an Interaction under `session.accountId`, or, before its browser has a
 * session, under the account its pages proved factors for (`result.stepup`, `result.login`), so a credential change
 * also ends sign-ins still in flight; the others under `accountId`.
 */
export const ACCOUNT_MODELS = ['Session', 'Interaction', 'Grant', 'AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'] as const;

/** What a revocation counts as tokens: every model of the account but its sessions, grants and interactions. */
export const ACCOUNT_TOKEN_MODELS = ACCOUNT_MODELS.filter((model) => model !== 'Session' && model !== 'Interaction' && model !== 'Grant');

export function accountOf(payload: AdapterPayload): string | undefined {
  const result = payload.result as { login?: { accountId?: unknown }; stepup?: { accountId?: unknown } } | undefined;
  const accountId = payload.accountId ?? payload.session?.accountId ?? result?.login?.accountId ?? result?.stepup?.accountId;
  return typeof accountId === 'string' ? accountId : undefined;
}
