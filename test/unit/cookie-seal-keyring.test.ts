// The account pages' sealed cookies and the TOTP secrets at rest use separate keys: neither keyring opens the other's.
import { randomBytes } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { describe, expect, it } from 'vitest';
import { decryptSecret, encryptSecret } from '../../authenticators/secret-box.ts';
import { cookieSealKeyring, generateKeyMaterial, totpKeyring } from '../../config/keys.ts';

describe('the cookie-sealing keyring', () => {
  it('is derived from the cookie keys: 32-byte keys, none of them a cookie key or a TOTP key', async () => {
    const material = await generateKeyMaterial();
    const sealing = cookieSealKeyring(material);
    const keys = Object.values(sealing.keys);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toHaveLength(32);
    expect(Buffer.from(keys[0]!).equals(Buffer.from(material.totpKeys[0]!.key))).toBe(false);
    expect(Buffer.from(keys[0]!).toString('base64url')).not.toBe(material.cookieKeys[0]);
    expect(sealing.currentKid).not.toBe(material.totpKeys[0]!.kid);
  });

  it('is the same on every instance given the same cookie keys', async () => {
    const material = await generateKeyMaterial();
    expect(cookieSealKeyring({ cookieKeys: [...material.cookieKeys] })).toEqual(cookieSealKeyring(material));
  });

  it('seals what the TOTP keyring cannot open, and opens nothing the TOTP keyring sealed', async () => {
    const material = await generateKeyMaterial();
    const sealed = await encryptSecret('candidate secret', cookieSealKeyring(material));
    await expect(decryptSecret(sealed, cookieSealKeyring(material))).resolves.toBe('candidate secret');
    await expect(decryptSecret(sealed, totpKeyring(material))).rejects.toMatchObject({ name: 'SecretBoxError', code: 'unknown_key' });

    const atRest = await encryptSecret('totp secret', totpKeyring(material));
    await expect(decryptSecret(atRest, cookieSealKeyring(material))).rejects.toMatchObject({ name: 'SecretBoxError', code: 'unknown_key' });
  });

  it('opens nothing the TOTP keyring sealed even when a kid is shared', async () => {
    const material = await generateKeyMaterial();
    const sealing = cookieSealKeyring(material);
    // The TOTP key under the sealing kid: the kid matches, the key does not.
    const impostor = { currentKid: sealing.currentKid, keys: { [sealing.currentKid]: material.totpKeys[0]!.key } };
    const sealed = await encryptSecret('candidate secret', sealing);
    await expect(decryptSecret(sealed, impostor)).rejects.toMatchObject({ code: 'undecryptable' });
  });

  describe('when a new cookie key is put first', () => {
    it('seals with the new key and still opens what the old one sealed', async () => {
      const old = [randomBytes(32).toString('base64url')];
      const rotated = [randomBytes(32).toString('base64url'), ...old];
      const before = await encryptSecret('in flight', cookieSealKeyring({ cookieKeys: old }));
      const after = cookieSealKeyring({ cookieKeys: rotated });
      await expect(decryptSecret(before, after)).resolves.toBe('in flight');
      expect(decodeProtectedHeader(await encryptSecret('new', after)).kid).toBe(after.currentKid);
      expect(after.currentKid).not.toBe(cookieSealKeyring({ cookieKeys: old }).currentKid);
      expect(Object.keys(after.keys)).toContain(cookieSealKeyring({ cookieKeys: old }).currentKid);
    });
  });
});
