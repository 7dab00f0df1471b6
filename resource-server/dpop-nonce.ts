// Resource-server-provided DPoP nonces (RFC 9449 §9): stateless, so every API instance with the same secret agrees.
// A nonce is the HMAC of the current minute; it stays acceptable for NONCE_STEPS minutes, so a client that fetched one
// keeps using it and a proof can no longer be made ahead of time beyond that (§11.1).
import { createHmac, timingSafeEqual } from 'node:crypto';
import { GuardConfigError } from './errors.ts';

const STEP = 60;
/** The current minute and the four before it: a nonce lives 4 to 5 minutes. */
const NONCE_STEPS = 5;
const MIN_SECRET_BYTES = 32;

export function nonceSecret(secret: string | Uint8Array): Buffer {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : Buffer.from(secret);
  if (bytes.length < MIN_SECRET_BYTES) throw new GuardConfigError(`dpop.nonceSecret must be at least ${MIN_SECRET_BYTES} bytes (e.g. 32 random bytes, base64-encoded)`);
  return bytes;
}

export function dpopNonces(secret: Buffer) {
  const nonceAt = (step: number) => createHmac('sha256', secret).update(`dpop-nonce:${step}`).digest('base64url');

  return {
    /** The nonce to hand out now (`DPoP-Nonce`). */
    current(now: number): string {
      return nonceAt(Math.floor(now / STEP));
    },
    /** Whether a proof's nonce is one this API handed out within the last few minutes. */
    accepts(nonce: unknown, now: number): boolean {
      if (typeof nonce !== 'string' || nonce.length !== 43) return false;
      const given = Buffer.from(nonce);
      const step = Math.floor(now / STEP);
      let matched = false;
      for (let back = 0; back < NONCE_STEPS; back += 1) matched = timingSafeEqual(given, Buffer.from(nonceAt(step - back))) || matched;
      return matched;
    },
  };
}
