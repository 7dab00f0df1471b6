// Single-use tokens: a route that asks for it accepts each access token once, until the token expires.
import { createHash } from 'node:crypto';
import { GuardError } from './errors.ts';
import type { ReplayStore } from './replay-store.ts';
import type { VerifiedToken } from './types.ts';

/** Records the token as used; a second use, even concurrent with the first, is refused (the store decides atomically). */
export async function consumeToken(store: ReplayStore, accessToken: string, token: VerifiedToken, tolerance: number): Promise<void> {
  // JWTs carry a jti (RFC 9068 §2.2); an introspected token without one is known by its hash.
  const id = typeof token.claims.jti === 'string' ? `jti:${token.claims.jti}` : `sha256:${createHash('sha256').update(accessToken).digest('base64url')}`;
  let fresh: boolean;
  try {
    // Kept as long as the guard would still accept the token (exp plus the clock tolerance).
    fresh = await store.consume(`at:${id}`, token.exp + tolerance + 1);
  } catch (cause) {
    throw new GuardError('replay_store_unavailable', 'the single-use check is unavailable', { cause });
  }
  if (!fresh) throw new GuardError('token_already_used', 'the access token was already used: it is valid for one request only');
}
