// Turns verified JWT claims or an introspection answer into a VerifiedToken, refusing claims of the wrong type.
import { authorizationDetails } from './authorization-details.ts';
import { GuardError } from './errors.ts';
import type { VerifiedToken } from './types.ts';

function invalid(message: string): GuardError {
  return new GuardError('token_claims_invalid', message);
}

function optionalString(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') throw invalid(`the token's ${name} claim is not a string`);
  return value;
}

function requiredString(claims: Record<string, unknown>, name: string): string {
  const value = optionalString(claims, name);
  if (value === undefined) throw invalid(`the token has no ${name} claim`);
  return value;
}

function numericDate(claims: Record<string, unknown>, name: string): number | undefined {
  const value = claims[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw invalid(`the token's ${name} claim is not a NumericDate`);
  return value;
}

/** RFC 9449 §6: `cnf.jkt` binds the token to a DPoP key. Any other confirmation (mTLS `x5t#S256`, ...) needs a proof this guard cannot check. */
function dpopThumbprint(cnf: unknown): string | undefined {
  if (cnf === undefined) return undefined;
  if (typeof cnf !== 'object' || cnf === null || Array.isArray(cnf)) throw invalid("the token's cnf claim is not an object");
  const { jkt, ...others } = cnf as Record<string, unknown>;
  if (Object.keys(others).length > 0 || jkt === undefined) {
    throw new GuardError('token_sender_constrained', `the access token is bound by ${Object.keys(others).join(' ') || 'cnf'}, a proof this API cannot check`);
  }
  if (typeof jkt !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(jkt)) throw invalid("the token's cnf.jkt is not a SHA-256 JWK thumbprint");
  return jkt;
}

/**
 * The claims every access token must carry here (RFC 9068 §2.2: sub, client_id, exp), the
 * authentication claims (acr, amr, auth_time) in the types OpenID Connect Core §2 gives them,
 * the approved operations (RFC 9396 §9: authorization_details) and the DPoP binding (RFC 9449 §6: cnf.jkt).
 */
export function verifiedToken(format: VerifiedToken['format'], claims: Record<string, unknown>, now: number, tolerance: number): VerifiedToken {
  const jkt = dpopThumbprint(claims.cnf);
  const exp = numericDate(claims, 'exp');
  if (exp === undefined) throw invalid('the token has no exp claim');
  const authTime = numericDate(claims, 'auth_time');
  if (authTime !== undefined && authTime > now + tolerance) throw invalid('the token says the user authenticated in the future');
  const amr = claims.amr;
  if (amr !== undefined && !(Array.isArray(amr) && amr.every((value) => typeof value === 'string'))) throw invalid("the token's amr claim is not an array of strings");
  const scope = optionalString(claims, 'scope');
  return {
    format,
    sub: requiredString(claims, 'sub'),
    clientId: requiredString(claims, 'client_id'),
    scopes: scope ? scope.split(' ').filter(Boolean) : [],
    acr: optionalString(claims, 'acr'),
    amr: amr as string[] | undefined,
    authTime,
    exp,
    authorizationDetails: authorizationDetails(claims.authorization_details),
    jkt,
    claims,
  };
}
