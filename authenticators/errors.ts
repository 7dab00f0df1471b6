// Errors of the authenticators; each code maps to a login-page message or an OAuth / OIDC error at the edge.
import { CodedError } from '../errors/coded-error.ts';

export type AuthErrorCode = 'invalid_credentials' | 'throttled' | 'locked' | 'replayed' | 'cloned' | 'not_enrolled' | 'disabled' | 'invalid_input';

export class AuthError extends CodedError<AuthErrorCode> {
  /** Seconds to wait before the next guess; set for 'throttled'. */
  readonly retryAfter?: number;
  /** For 'throttled' and 'locked': whose limit was reached, the account's or the client address's. */
  readonly limit?: 'account' | 'address';
  constructor(code: AuthErrorCode, message: string, retryAfter?: number, limit?: 'account' | 'address') {
    super(code, message);
    if (retryAfter !== undefined) this.retryAfter = retryAfter;
    if (limit !== undefined) this.limit = limit;
  }
}

/** A stored secret cannot be opened: a server-side key or data problem, never the user's fault. */
export type SecretBoxErrorCode = 'invalid_key' | 'unknown_key' | 'undecryptable';

export class SecretBoxError extends CodedError<SecretBoxErrorCode> {}
