// The secret box: compact JWE dir/A256GCM round trip, wrong keys, tampering and key rotation by kid.
import { randomBytes } from 'node:crypto';
import { CompactEncrypt, decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { SecretBoxError } from '../../../authenticators/errors.ts';
import { decryptSecret, encryptSecret } from '../../../authenticators/secret-box.ts';
import { keyring } from './helpers.ts';

async function boxError(promise: Promise<unknown>): Promise<SecretBoxError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof SecretBoxError) return err;
    throw err;
  }
  throw new Error('expected a SecretBoxError');
}

describe('encryptSecret / decryptSecret', () => {
  it('round-trips and hides the plaintext', async () => {
    const ring = keyring();
    const jwe = await encryptSecret('JBSWY3DPEHPK3PXP', ring);
    expect(jwe.split('.')).toHaveLength(5);
    expect(jwe).not.toContain('JBSWY3DPEHPK3PXP');
    expect(await decryptSecret(jwe, ring)).toBe('JBSWY3DPEHPK3PXP');
  });

  it('uses dir + A256GCM and names the current key', async () => {
    const jwe = await encryptSecret('s', keyring('2025-01'));
    expect(decodeProtectedHeader(jwe)).toEqual({ alg: 'dir', enc: 'A256GCM', kid: '2025-01' });
  });

  it('produces a different ciphertext each time', async () => {
    const ring = keyring();
    expect(await encryptSecret('s', ring)).not.toBe(await encryptSecret('s', ring));
  });

  it('fails with undecryptable under a wrong key with the same kid', async () => {
    const jwe = await encryptSecret('s', keyring('k1'));
    expect((await boxError(decryptSecret(jwe, keyring('k1')))).code).toBe('undecryptable');
  });

  it('fails with unknown_key when the kid is not in the keyring', async () => {
    const jwe = await encryptSecret('s', keyring('old'));
    expect((await boxError(decryptSecret(jwe, keyring('new')))).code).toBe('unknown_key');
  });

  it('fails with undecryptable when the ciphertext is tampered with', async () => {
    const ring = keyring();
    const parts = (await encryptSecret('secret', ring)).split('.');
    const ct = Buffer.from(parts[3]!, 'base64url');
    ct[0] ^= 1;
    parts[3] = ct.toString('base64url');
    expect((await boxError(decryptSecret(parts.join('.'), ring))).code).toBe('undecryptable');
    expect((await boxError(decryptSecret('not a jwe', ring))).code).toBe('undecryptable');
  });

  it('refuses keys that are not 32 bytes', async () => {
    const ring = { currentKid: 'k', keys: { k: new Uint8Array(16) } };
    expect((await boxError(encryptSecret('s', ring))).code).toBe('invalid_key');
  });

  it('refuses other algorithms', async () => {
    const key = new Uint8Array(randomBytes(16));
    const jwe = await new CompactEncrypt(new TextEncoder().encode('s')).setProtectedHeader({ alg: 'dir', enc: 'A128GCM', kid: 'k' }).encrypt(key);
    expect((await boxError(decryptSecret(jwe, { currentKid: 'k', keys: { k: key } }))).code).toBe('undecryptable');
  });
});

describe('when keys rotate', () => {
  it('decrypts secrets sealed under an older kid and seals new ones under the current kid', async () => {
    const old = keyring('k1');
    const sealedEarlier = await encryptSecret('old secret', old);
    const rotated = { currentKid: 'k2', keys: { ...old.keys, k2: new Uint8Array(randomBytes(32)) } };
    expect(await decryptSecret(sealedEarlier, rotated)).toBe('old secret');
    const sealedNow = await encryptSecret('new secret', rotated);
    expect(decodeProtectedHeader(sealedNow).kid).toBe('k2');
    expect(await decryptSecret(sealedNow, rotated)).toBe('new secret');
  });

  it('opens a JWE without kid with the current key', async () => {
    const ring = keyring('k1');
    const jwe = await new CompactEncrypt(new TextEncoder().encode('legacy')).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(ring.keys.k1!);
    expect(await decryptSecret(jwe, ring)).toBe('legacy');
  });
});
