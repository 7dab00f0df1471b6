// Encrypts small secrets at rest as compact JWE (`dir`, A256GCM) carrying the key's kid, so keys can rotate.
import { CompactEncrypt, compactDecrypt, type CompactJWEHeaderParameters } from 'jose';
import { SecretBoxError } from './errors.ts';

/** Keys by kid; new secrets are encrypted with `currentKid`, old ones open with whichever kid they carry. */
export interface SecretKeyring {
  currentKid: string;
  keys: Readonly<Record<string, Uint8Array>>;
}

const KEY_BYTES = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function encryptSecret(plaintext: string, keyring: SecretKeyring): Promise<string> {
  const key = keyFor(keyring, keyring.currentKid);
  return new CompactEncrypt(encoder.encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM', kid: keyring.currentKid }).encrypt(key);
}

/** Opens a secret sealed by encryptSecret; a JWE without kid opens with the current key. */
export async function decryptSecret(jwe: string, keyring: SecretKeyring): Promise<string> {
  if (typeof jwe !== 'string') throw new SecretBoxError('undecryptable', 'sealed secret is not a string');
  const resolveKey = (header: CompactJWEHeaderParameters): Uint8Array => keyFor(keyring, header.kid ?? keyring.currentKid);
  try {
    const { plaintext } = await compactDecrypt(jwe, resolveKey, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
    });
    return decoder.decode(plaintext);
  } catch (err) {
    if (err instanceof SecretBoxError) throw err;
    throw new SecretBoxError('undecryptable', 'sealed secret cannot be decrypted', { cause: err });
  }
}

function keyFor(keyring: SecretKeyring, kid: string): Uint8Array {
  const key = Object.hasOwn(keyring.keys, kid) ? keyring.keys[kid] : undefined;
  if (!key) throw new SecretBoxError('unknown_key', `no secret-box key with kid "${kid}"`);
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new SecretBoxError('invalid_key', `secret-box key "${kid}" must be ${KEY_BYTES} bytes`);
  }
  return key;
}
