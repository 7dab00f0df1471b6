// Builds `WWW-Authenticate: Bearer ...` and `DPoP ...` values (RFC 6750 §3, RFC 9470 §3, RFC 9449 §7.1) with correct quoting.
import { GuardConfigError, type BearerError } from './errors.ts';

export interface ChallengeParams {
  realm?: string;
  error?: BearerError;
  errorDescription?: string;
  /** RFC 6750 §3: the scopes the resource needs. */
  scope?: readonly string[];
  /** RFC 9470 §3: the acr values the resource accepts, in order of preference. */
  acrValues?: readonly string[];
  /** RFC 9470 §3: the allowable elapsed time in seconds since the last active authentication. */
  maxAge?: number;
  /** RFC 9449 §7.1 (DPoP challenges only): the JWS algorithms accepted for DPoP proofs. */
  algs?: readonly string[];
}

/** RFC 6750 §3: error_description is limited to %x20-21 / %x23-5B / %x5D-7E (no `"`, no `\`, no controls). */
const DESCRIPTION_CHAR = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g;
/** RFC 6750 §3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ). */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Printable ASCII without space: what an acr value or realm may hold (quotes and backslashes are escaped). */
const VISIBLE = /^[\x21-\x7E]+$/;
const MAX_DESCRIPTION = 200;

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

export function isVisibleToken(value: string): boolean {
  return VISIBLE.test(value);
}

/** An RFC 9110 quoted-string: `"` and `\` become quoted-pairs; control characters cannot be carried at all. */
export function quotedString(value: string): string {
  if (/[^\x20-\x7E]/.test(value)) throw new GuardConfigError(`cannot put ${JSON.stringify(value)} in a header: only printable ASCII is allowed`);
  return `"${value.replace(/["\\]/g, (char) => `\\${char}`)}"`;
}

/** Makes any text a valid error_description: disallowed characters are replaced, the length is capped. */
export function descriptionText(text: string): string {
  const clean = text.replace(/"/g, "'").replace(DESCRIPTION_CHAR, '?');
  return clean.length > MAX_DESCRIPTION ? `${clean.slice(0, MAX_DESCRIPTION - 3)}...` : clean;
}

/** The parameters that apply, in a fixed order: realm, error, error_description, scope, acr_values, max_age, algs. */
function challenge(scheme: 'Bearer' | 'DPoP', params: ChallengeParams): string {
  const parts: string[] = [];
  if (params.realm !== undefined) parts.push(`realm=${quotedString(params.realm)}`);
  if (params.error !== undefined) parts.push(`error="${params.error}"`);
  if (params.errorDescription !== undefined) parts.push(`error_description="${descriptionText(params.errorDescription)}"`);
  if (params.scope?.length) {
    const bad = params.scope.find((scope) => !isScopeToken(scope));
    if (bad !== undefined) throw new GuardConfigError(`scope ${JSON.stringify(bad)} is not a valid scope-token (RFC 6750 §3)`);
    parts.push(`scope="${params.scope.join(' ')}"`);
  }
  if (params.acrValues?.length) {
    const bad = params.acrValues.find((acr) => !isVisibleToken(acr));
    if (bad !== undefined) throw new GuardConfigError(`acr value ${JSON.stringify(bad)} cannot be listed in acr_values`);
    parts.push(`acr_values=${quotedString(params.acrValues.join(' '))}`);
  }
  if (params.maxAge !== undefined) {
    if (!Number.isSafeInteger(params.maxAge) || params.maxAge < 0) throw new GuardConfigError(`max_age must be a non-negative integer, got ${params.maxAge}`);
    // Quoted, as in RFC 9470 §3's own example (max_age="5"): some client parsers read only quoted values.
    parts.push(`max_age="${params.maxAge}"`);
  }
  if (params.algs?.length) {
    const bad = params.algs.find((alg) => !isVisibleToken(alg));
    if (bad !== undefined) throw new GuardConfigError(`algorithm ${JSON.stringify(bad)} cannot be listed in algs`);
    parts.push(`algs=${quotedString(params.algs.join(' '))}`);
  }
  if (parts.length === 0) throw new GuardConfigError(`a ${scheme} challenge needs at least one parameter (RFC 6750 §3): give the guard a realm`);
  return `${scheme} ${parts.join(', ')}`;
}

/** `Bearer` and its parameters. RFC 6750 §3 requires at least one auth-param, so a challenge with nothing else to say must carry a realm. */
export function bearerChallenge(params: ChallengeParams): string {
  return challenge('Bearer', { ...params, algs: undefined });
}

/** `DPoP` and its parameters (RFC 9449 §7.1): the same error codes as Bearer, plus `invalid_dpop_proof`, and `algs`. */
export function dpopChallenge(params: ChallengeParams): string {
  return challenge('DPoP', params);
}
