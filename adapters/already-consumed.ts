// A one-time model (code, rotated refresh token, request_uri) consumed twice: the error oidc-provider answers, and what it revokes.
import { errors } from 'oidc-provider';

/**
 * The models oidc-provider revokes by grant when a code or token is replayed (lib/helpers/revoke.js), and the
 * Grant itself. An adapter whose consume() loses a race revokes these too, so a replay raced against the legitimate
 * request is treated like a replay that comes after it.
 */
export const GRANT_REVOKED_MODELS = [
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
] as const;

const LABELS: Record<string, string> = {
  AuthorizationCode: 'authorization code',
  RefreshToken: 'refresh token',
  DeviceCode: 'device code',
  BackchannelAuthenticationRequest: 'backchannel authentication request',
  PreAuthorizedCode: 'pre-authorized code',
};

/** Whether a consume() that finds the model already consumed (or gone) revokes the model's grant. */
export function revokesGrantOnReplay(model: string): boolean {
  return model in LABELS;
}

/**
 * The error for the consume() calls that lose: oidc-provider checks `consumed` after reading the model and then
 * consumes it, so two requests can both pass the check; the store decides atomically which one consumed it.
 */
export function alreadyConsumed(model: string): Error {
  if (model === 'PushedAuthorizationRequest') return new errors.InvalidRequestUri('request_uri is invalid, expired, or was already used');
  return new errors.InvalidGrant(`${LABELS[model] ?? model} already consumed`);
}
