// Coded errors of the resource-server guard: each code has one HTTP status and one RFC 6750 / RFC 9470 error.
import { CodedError } from './coded-error.ts';

/** Why a request was refused. A closed union: callers switch on it, never on messages. */
export type GuardErrorCode =
  | 'token_missing'
  | 'request_malformed'
  | 'token_malformed'
  | 'token_algorithm_invalid'
  | 'token_key_unknown'
  | 'token_signature_invalid'
  | 'token_type_invalid'
  | 'token_issuer_invalid'
  | 'token_audience_invalid'
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'token_claims_invalid'
  | 'token_inactive'
  | 'token_sender_constrained'
  | 'token_dpop_bound'
  | 'token_not_dpop_bound'
  | 'token_already_used'
  | 'dpop_required'
  | 'dpop_proof_missing'
  | 'dpop_proof_invalid'
  | 'dpop_proof_replayed'
  | 'dpop_nonce_required'
  | 'dpop_key_mismatch'
  | 'scope_insufficient'
  | 'operation_missing'
  | 'operation_mismatch'
  | 'acr_missing'
  | 'acr_unknown'
  | 'acr_too_low'
  | 'auth_time_missing'
  | 'auth_time_too_old'
  | 'provider_unavailable'
  | 'replay_store_unavailable';

/**
 * The `error` values of RFC 6750 §3.1, RFC 9470 §3, RFC 9449 §7.1 and §9 (`invalid_dpop_proof`, `use_dpop_nonce`), RFC 6749's for an unavailable
 * provider, and `insufficient_authorization_details` for a token whose RFC 9396 authorization details do not cover the
 * operation (RFC 9396 defines no resource-server error; the code is the one draft-zehavi-oauth-rar-metadata proposes).
 */
export type BearerError =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'insufficient_authorization_details'
  | 'invalid_dpop_proof'
  | 'use_dpop_nonce'
  | 'temporarily_unavailable';

/** Status and standard error per code; `undefined` error: RFC 6750 §3.1 says a request without credentials gets none. */
export const ERROR_TABLE: Readonly<Record<GuardErrorCode, { status: 400 | 401 | 403 | 503; error?: BearerError }>> = {
  token_missing: { status: 401 },
  request_malformed: { status: 400, error: 'invalid_request' },
  token_malformed: { status: 401, error: 'invalid_token' },
  token_algorithm_invalid: { status: 401, error: 'invalid_token' },
  token_key_unknown: { status: 401, error: 'invalid_token' },
  token_signature_invalid: { status: 401, error: 'invalid_token' },
  token_type_invalid: { status: 401, error: 'invalid_token' },
  token_issuer_invalid: { status: 401, error: 'invalid_token' },
  token_audience_invalid: { status: 401, error: 'invalid_token' },
  token_expired: { status: 401, error: 'invalid_token' },
  token_not_yet_valid: { status: 401, error: 'invalid_token' },
  token_claims_invalid: { status: 401, error: 'invalid_token' },
  token_inactive: { status: 401, error: 'invalid_token' },
  token_sender_constrained: { status: 401, error: 'invalid_token' },
  token_dpop_bound: { status: 401, error: 'invalid_token' },
  token_not_dpop_bound: { status: 401, error: 'invalid_token' },
  token_already_used: { status: 401, error: 'invalid_token' },
  dpop_required: { status: 401, error: 'invalid_token' },
  dpop_proof_missing: { status: 401, error: 'invalid_dpop_proof' },
  dpop_proof_invalid: { status: 401, error: 'invalid_dpop_proof' },
  dpop_proof_replayed: { status: 401, error: 'invalid_dpop_proof' },
  dpop_nonce_required: { status: 401, error: 'use_dpop_nonce' },
  dpop_key_mismatch: { status: 401, error: 'invalid_token' },
  scope_insufficient: { status: 403, error: 'insufficient_scope' },
  operation_missing: { status: 403, error: 'insufficient_authorization_details' },
  operation_mismatch: { status: 403, error: 'insufficient_authorization_details' },
  acr_missing: { status: 401, error: 'insufficient_user_authentication' },
  acr_unknown: { status: 401, error: 'insufficient_user_authentication' },
  acr_too_low: { status: 401, error: 'insufficient_user_authentication' },
  auth_time_missing: { status: 401, error: 'insufficient_user_authentication' },
  auth_time_too_old: { status: 401, error: 'insufficient_user_authentication' },
  provider_unavailable: { status: 503, error: 'temporarily_unavailable' },
  replay_store_unavailable: { status: 503, error: 'temporarily_unavailable' },
};

/** A request the guard refuses; `message` is safe to send to the client as error_description. */
export class GuardError extends CodedError<GuardErrorCode> {
  readonly status: 400 | 401 | 403 | 503;
  readonly error: BearerError | undefined;
  constructor(code: GuardErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = ERROR_TABLE[code].status;
    this.error = ERROR_TABLE[code].error;
  }
}

/** A mistake in the guard's own configuration or a route's requirement: a bug to fix, never the client's fault. */
export class GuardConfigError extends CodedError<'invalid_configuration'> {
  constructor(message: string) {
    super('invalid_configuration', message);
  }
}
