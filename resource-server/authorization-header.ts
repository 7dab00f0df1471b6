// Reads the access token from an `Authorization: Bearer` (RFC 6750 §2.1) or `Authorization: DPoP` (RFC 9449 §7.1) header.
import { GuardError } from './errors.ts';

/** RFC 6750 §2.1 b64token, RFC 9110 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=". */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
const MAX_TOKEN_LENGTH = 8192;

export interface Credentials {
  scheme: 'Bearer' | 'DPoP';
  token: string;
}

export function credentials(authorization: string | undefined): Credentials {
  const header = authorization?.trim();
  if (!header) throw new GuardError('token_missing', 'an access token is required');
  const space = header.indexOf(' ');
  const name = (space === -1 ? header : header.slice(0, space)).toLowerCase();
  // Another scheme (Basic, ...) carries no access token: treat it as no credentials. Scheme names are case-insensitive.
  if (name !== 'bearer' && name !== 'dpop') throw new GuardError('token_missing', 'an access token is required');
  const scheme = name === 'bearer' ? 'Bearer' : 'DPoP';
  const token = space === -1 ? '' : header.slice(space + 1).trim();
  if (!B64TOKEN.test(token)) throw new GuardError('request_malformed', `the Authorization header must be: ${scheme} <token>`);
  if (token.length > MAX_TOKEN_LENGTH) throw new GuardError('token_malformed', 'the access token is too long');
  return { scheme, token };
}
