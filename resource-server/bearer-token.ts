// Reads the access token from an `Authorization: Bearer` header (RFC 6750 §2.1); other ways are not accepted.
import { GuardError } from './errors.ts';

/** RFC 6750 §2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

export function bearerToken(authorization: string | undefined): string {
  const header = authorization?.trim();
  if (!header) throw new GuardError('token_missing', 'a bearer access token is required');
  const space = header.indexOf(' ');
  const scheme = space === -1 ? header : header.slice(0, space);
  // Another scheme (Basic, DPoP, ...) carries no bearer token: treat it as no credentials.
  if (scheme.toLowerCase() !== 'bearer') throw new GuardError('token_missing', 'a bearer access token is required');
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (!B64TOKEN.test(token)) throw new GuardError('request_malformed', 'the Authorization header must be: Bearer <token>');
  if (token.length > MAX_TOKEN_LENGTH) throw new GuardError('token_malformed', 'the access token is too long');
  return token;
}
