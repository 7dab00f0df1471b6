// Password hashing: encoding, verification, rehash detection, the dummy path and input limits.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PASSWORD_PARAMS, dummyVerify, hashPassword, needsRehash, verifyPasswordHash } from '../../../authenticators/password.ts';
import { FAST_PARAMS, authError } from './helpers.ts';

describe('hashPassword', () => {
  it('encodes scrypt$N$r$p$salt$hash', async () => {
    const hash = await hashPassword('correct horse', FAST_PARAMS);
    expect(hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  });

  it('salts every hash', async () => {
    expect(await hashPassword('same', FAST_PARAMS)).not.toBe(await hashPassword('same', FAST_PARAMS));
  });

  it('works with the default parameters (N = 2^15)', async () => {
    const hash = await hashPassword('correct horse');
    expect(hash.startsWith('scrypt$32768$8$1$')).toBe(true);
    expect(await verifyPasswordHash('correct horse', hash)).toBe(true);
  });

  it('refuses parameters out of range', async () => {
    await expect(hashPassword('x', { ...FAST_PARAMS, N: 1000 })).rejects.toThrow(RangeError);
    await expect(hashPassword('x', { ...FAST_PARAMS, keylen: 8 })).rejects.toThrow(RangeError);
  });
});

describe('verifyPasswordHash', () => {
  it('accepts the right password and refuses a wrong one', async () => {
    const hash = await hashPassword('correct horse', FAST_PARAMS);
    expect(await verifyPasswordHash('correct horse', hash)).toBe(true);
    expect(await verifyPasswordHash('correct horsf', hash)).toBe(false);
    expect(await verifyPasswordHash('Correct horse', hash)).toBe(false);
  });

  it('normalizes Unicode (NFKC) so equivalent spellings match', async () => {
    const hash = await hashPassword('caf\u00e9', FAST_PARAMS);
    expect(await verifyPasswordHash('cafe\u0301', hash)).toBe(true);
  });

  it('uses the parameters stored in the hash, not the current ones', async () => {
    const hash = await hashPassword('pw', { ...FAST_PARAMS, N: 2 ** 11, r: 4 });
    expect(await verifyPasswordHash('pw', hash)).toBe(true);
  });

  it.each(['', 'bcrypt$x', 'scrypt$1024$8$1$c2FsdA$', 'scrypt$1000$8$1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA', 'scrypt$1024$8$1$!!$??'])('never matches a malformed hash %j', async (encoded) => {
    expect(await verifyPasswordHash('pw', encoded)).toBe(false);
  });

  it('refuses an empty password as invalid_input', async () => {
    const hash = await hashPassword('pw', FAST_PARAMS);
    expect((await authError(verifyPasswordHash('', hash))).code).toBe('invalid_input');
  });

  it('refuses a password longer than 1024 characters as invalid_input, and accepts 1024', async () => {
    const hash = await hashPassword('a'.repeat(1024), FAST_PARAMS);
    expect(await verifyPasswordHash('a'.repeat(1024), hash)).toBe(true);
    expect((await authError(verifyPasswordHash('a'.repeat(1025), hash))).code).toBe('invalid_input');
    expect((await authError(hashPassword('a'.repeat(1025), FAST_PARAMS))).code).toBe('invalid_input');
  });
});

describe('needsRehash', () => {
  it('is false for the current parameters and true when any of them changed', async () => {
    const hash = await hashPassword('pw', FAST_PARAMS);
    expect(needsRehash(hash, FAST_PARAMS)).toBe(false);
    expect(needsRehash(hash, { ...FAST_PARAMS, N: 2 ** 11 })).toBe(true);
    expect(needsRehash(hash, { ...FAST_PARAMS, r: 16 })).toBe(true);
    expect(needsRehash(hash, { ...FAST_PARAMS, p: 2 })).toBe(true);
    expect(needsRehash(hash, { ...FAST_PARAMS, keylen: 64 })).toBe(true);
    expect(needsRehash(hash, DEFAULT_PASSWORD_PARAMS)).toBe(true);
  });

  it('is true for a malformed hash', () => {
    expect(needsRehash('plaintext', FAST_PARAMS)).toBe(true);
  });
});

describe('dummyVerify', () => {
  it('always answers false, for any password', async () => {
    expect(await dummyVerify('anything', FAST_PARAMS)).toBe(false);
    expect(await dummyVerify('anything', FAST_PARAMS)).toBe(false);
  });

  it('validates input like a real verification', async () => {
    expect((await authError(dummyVerify('', FAST_PARAMS))).code).toBe('invalid_input');
    expect((await authError(dummyVerify('a'.repeat(1025), FAST_PARAMS))).code).toBe('invalid_input');
  });
});
