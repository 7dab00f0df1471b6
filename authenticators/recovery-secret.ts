// Recovery secrets (NIST SP 800-63B look-up secrets): recovery codes and operators' recovery links, generated from the
// CSPRNG, shown once, stored only as keyed hashes (HMAC-SHA-256 under a key derived from the secret-box keyring).
import { createHmac, hkdfSync, randomBytes, randomInt } from 'node:crypto';
import type { RecoverySecretKind } from '../adapters/types.ts';
import type { SecretKeyring } from './secret-box.ts';

/** Crockford's base32 in lower case: no i, l, o or u to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
/** 13 characters of 5 bits: 65 bits per code, above the 64 NIST asks of look-up secrets that are rate-limited. */
const RECOVERY_CODE_CHARS = 13;
/** Recovery links carry 256 bits: nothing to guess, so they need no guessing limit. */
const LINK_BYTES = 32;

/** A new recovery code, grouped for reading: `xxxx-xxxx-xxxx-x`. */
export function generateRecoveryCode(): string {
  const chars = Array.from({ length: RECOVERY_CODE_CHARS }, () => ALPHABET[randomInt(ALPHABET.length)]!);
  return (chars.join('').match(/.{1,4}/g) ?? []).join('-');
}

export function generateRecoveryLinkToken(): string {
  return randomBytes(LINK_BYTES).toString('base64url');
}

/**
 * A typed code in its canonical form: case, spaces and dashes ignored, and the letters Crockford's base32 reads as
 * digits (i, l → 1; o → 0) mapped; undefined when it cannot be a recovery code.
 */
export function normalizeRecoveryCode(typed: string): string | undefined {
  if (typeof typed !== 'string' || typed.length > 64) return undefined;
  const code = typed.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (code.length !== RECOVERY_CODE_CHARS || [...code].some((char) => !ALPHABET.includes(char))) return undefined;
  return code;
}

/** A link token as it may arrive: base64url of the right length, else undefined. */
export function normalizeLinkToken(token: unknown): string | undefined {
  return typeof token === 'string' && /^[A-Za-z0-9_-]{43}$/.test(token) ? token : undefined;
}

function hashKey(keyring: SecretKeyring, kid: string): Buffer {
  const key = keyring.keys[kid];
  if (!key) throw new Error(`no secret-box key with kid "${kid}"`);
  return Buffer.from(hkdfSync('sha256', key, new Uint8Array(0), 'stepup recovery secret hash v1', 32));
}

/** The stored form of a secret: `<kid>.<HMAC>`, so a key rotation keeps old secrets usable while their kid is kept. */
export function recoverySecretHash(secret: string, kind: RecoverySecretKind, keyring: SecretKeyring, kid = keyring.currentKid): string {
  const mac = createHmac('sha256', hashKey(keyring, kid)).update(`${kind}:${secret}`).digest('base64url');
  return `${kid}.${mac}`;
}

/** Every stored form the secret may have under the keyring's keys, current key first. */
export function recoverySecretHashes(secret: string, kind: RecoverySecretKind, keyring: SecretKeyring): string[] {
  const kids = [keyring.currentKid, ...Object.keys(keyring.keys).filter((kid) => kid !== keyring.currentKid)];
  return kids.map((kid) => recoverySecretHash(secret, kind, keyring, kid));
}
