// One-time models (codes, rotated refresh tokens, request_uri) are consumed once: the error for the losers, and what a replay revokes.
import { StoreError } from './types.ts';

/**
 * The models oidc-provider revokes by grant when a code or token is replayed (lib/helpers/revoke.js); the Grant
 * itself goes too. A consume() that loses a race revokes these, so a replay raced against the legitimate request
 * ends like a replay that comes after it.
 */
export const GRANT_REVOKED_MODELS = ['AccessToken', 'RefreshToken', 'AuthorizationCode', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'] as const;

/** The models whose replay revokes their grant: the sources of a token grant. */
const GRANT_SOURCES = new Set(['AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode']);

export function revokesGrantOnReplay(model: string): boolean {
  return GRANT_SOURCES.has(model);
}

/**
 * oidc-provider reads a model, checks `consumed`, then consumes it: two requests can both pass the check. The store
 * decides atomically; every consume() but the first fails with this conflict (server/ maps it to invalid_grant).
 */
export function alreadyConsumed(model: string, id: string): StoreError {
  return new StoreError('conflict', `${model} ${id} was already consumed (or no longer exists)`);
}
