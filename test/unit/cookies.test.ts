// Every cookie's attributes come from one function, which alone decides Secure: exactly with an https issuer.
import { describe, expect, it } from 'vitest';
import { cookieOptions, secureCookies } from '../../config/cookies.ts';

describe('cookieOptions', () => {
  it.each([
    ['https://id.example.com', true],
    ['http://localhost:3000', false],
    ['http://id.example.com', false],
  ])('with the issuer %s, Secure is %s', (issuer, secure) => {
    expect(secureCookies({ issuer })).toBe(secure);
    expect(cookieOptions({ issuer }).secure).toBe(secure);
  });

  it('is signed, HttpOnly and SameSite=Lax unless told otherwise', () => {
    expect(cookieOptions({ issuer: 'https://id.example.com' })).toEqual({ signed: true, httpOnly: true, sameSite: 'lax', secure: true });
  });

  it('takes a path, a lifetime and a stricter SameSite per cookie (Secure is no override)', () => {
    expect(cookieOptions({ issuer: 'http://localhost:3000' }, { sameSite: 'strict', path: '/account/totp', maxAge: 600_000 })).toEqual({
      signed: true,
      httpOnly: true,
      sameSite: 'strict',
      secure: false,
      path: '/account/totp',
      maxAge: 600_000,
    });
  });
});
