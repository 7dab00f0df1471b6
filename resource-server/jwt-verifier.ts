// Verifies RFC 9068 JWT access tokens with jose: the provider's JWKS (cached, refetched on a new kid), typ, iss, aud, exp.
import { createRemoteJWKSet, errors, jwtVerify, type JWTHeaderParameters, type FlattenedJWSInput } from 'jose';
import { GuardError } from './errors.ts';

export interface JwtVerifierOptions {
  issuer: string;
  audience: string;
  algorithms: readonly string[];
  /** Seconds. */
  clockTolerance: number;
  /** Resolved lazily: from the options or from discovery. */
  jwksUri: () => Promise<string>;
  /** Milliseconds. */
  timeout: number;
  /** Milliseconds. */
  jwksCooldown: number;
}

/** RFC 9068 §2.2: claims every JWT access token carries (iss and aud are checked by value). */
const REQUIRED_CLAIMS = ['exp', 'iat', 'sub', 'client_id', 'jti'];

/** jose errors that say the token names a key we do not have: the token's problem, not the provider's. */
const KEY_MISMATCH = new Set(['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWKS_MULTIPLE_MATCHING_KEYS']);

function claimError(error: errors.JWTClaimValidationFailed): GuardError {
  switch (error.claim) {
    case 'typ':
      return new GuardError('token_type_invalid', 'the token is not a JWT access token (typ at+jwt)');
    case 'iss':
      return new GuardError('token_issuer_invalid', 'the token was issued by another authorization server');
    case 'aud':
      return new GuardError('token_audience_invalid', 'the token is not meant for this API (aud)');
    case 'nbf':
      return new GuardError('token_not_yet_valid', 'the token is not valid yet (nbf)');
    default:
      return new GuardError('token_claims_invalid', error.reason === 'missing' ? `the token has no ${error.claim} claim` : `the token's ${error.claim} claim is invalid`);
  }
}

/** Every failure of jwtVerify as a GuardError: anything about the token is invalid_token, never a crash. */
function toGuardError(error: unknown): GuardError {
  if (error instanceof GuardError) return error;
  if (error instanceof errors.JWTExpired) return new GuardError('token_expired', 'the access token expired');
  if (error instanceof errors.JWTClaimValidationFailed) return claimError(error);
  if (error instanceof errors.JWSSignatureVerificationFailed) return new GuardError('token_signature_invalid', 'the token signature is invalid');
  if (error instanceof errors.JOSEAlgNotAllowed) return new GuardError('token_algorithm_invalid', 'the token is signed with an algorithm this API does not accept');
  if (error instanceof errors.JOSEError && KEY_MISMATCH.has(error.code)) return new GuardError('token_key_unknown', 'the token is signed with a key the authorization server does not publish');
  return new GuardError('token_malformed', 'the access token is malformed');
}

export function jwtVerifier(options: JwtVerifierOptions) {
  /** One remote key set for every request (created once the URI is known): its cache is what makes rotation cheap. */
  let keys: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  function keySet() {
    keys ??= options.jwksUri().then(
      (uri) => createRemoteJWKSet(new URL(uri), { timeoutDuration: options.timeout, cooldownDuration: options.jwksCooldown }),
      (error: unknown) => {
        keys = undefined;
        throw error;
      },
    );
    return keys;
  }

  /** The remote key set; fetching problems are the provider's (503), a missing kid is the token's (401). */
  async function key(header: JWTHeaderParameters, token: FlattenedJWSInput) {
    try {
      return await (
        await keySet()
      )(header, token);
    } catch (error) {
      if (error instanceof GuardError) throw error;
      if (error instanceof errors.JOSEError && KEY_MISMATCH.has(error.code)) throw error;
      throw new GuardError('provider_unavailable', "the authorization server's signing keys are unavailable", { cause: error });
    }
  }

  return async function verifyJwt(token: string, now: number): Promise<Record<string, unknown>> {
    try {
      const { payload } = await jwtVerify(token, key, {
        issuer: options.issuer,
        audience: options.audience,
        typ: 'at+jwt',
        algorithms: [...options.algorithms],
        clockTolerance: options.clockTolerance,
        currentDate: new Date(now * 1000),
        requiredClaims: REQUIRED_CLAIMS,
      });
      return payload as Record<string, unknown>;
    } catch (error) {
      throw toGuardError(error);
    }
  };
}

/** Three base64url segments: the JWS Compact Serialization. Anything else is an opaque token. */
export function looksLikeJwt(token: string): boolean {
  return /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}
