// Challenge formatting against the RFC 6750 §3 and RFC 9470 §3 examples, and quoting that a standard parser reads back.
import { describe, expect, it } from 'vitest';
import { customFetch, protectedResourceRequest, WWWAuthenticateChallengeError, type WWWAuthenticateChallenge } from 'oauth4webapi';
import { bearerChallenge, descriptionText, dpopChallenge, GuardConfigError, type ChallengeParams } from '../../resource-server/index.ts';

/** What an RP reads: oauth4webapi's RFC 9110 §11.6.1 parser (the one openid-client uses), fed a canned response. */
async function parse(value: string): Promise<WWWAuthenticateChallenge> {
  const respond = async () => new Response(null, { status: 401, headers: { 'www-authenticate': value } });
  const error = await protectedResourceRequest('token', 'GET', new URL('https://api.example/'), new Headers(), null, { [customFetch]: respond }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof WWWAuthenticateChallengeError) || error.cause.length !== 1) throw new Error(`not one challenge: ${value}`);
  return error.cause[0]!;
}

describe('the RFC examples', () => {
  it.each<[string, ChallengeParams, string]>([
    ['RFC 6750 §3, no credentials', { realm: 'example' }, 'Bearer realm="example"'],
    [
      'RFC 6750 §3, expired token',
      { realm: 'example', error: 'invalid_token', errorDescription: 'The access token expired' },
      'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
    ],
    [
      'RFC 9470 §3 figure 2, acr_values',
      { error: 'insufficient_user_authentication', errorDescription: 'A different authentication level is required', acrValues: ['myACR'] },
      'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR"',
    ],
    [
      'issue 4, phr within 300 s',
      { error: 'insufficient_user_authentication', errorDescription: '...', acrValues: ['phr'], maxAge: 300 },
      'Bearer error="insufficient_user_authentication", error_description="...", acr_values="phr", max_age="300"',
    ],
    [
      'RFC 9470 §3 figure 3, max_age quoted as the RFC writes it',
      { error: 'insufficient_user_authentication', errorDescription: 'More recent authentication is required', maxAge: 5 },
      'Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"',
    ],
  ])('%s', (_name, params, expected) => {
    expect(bearerChallenge(params)).toBe(expected);
  });

  it('max_age reads back as the number of seconds with a standard parser', async () => {
    const value = bearerChallenge({ error: 'insufficient_user_authentication', acrValues: ['aal2', 'phr'], maxAge: 300 });
    expect((await parse(value)).parameters).toMatchObject({ acr_values: 'aal2 phr', max_age: '300' });
  });

  it('lists several acr values space-separated in one quoted value, scopes likewise', async () => {
    const value = bearerChallenge({ error: 'insufficient_scope', scope: ['api:read', 'api:write'], acrValues: ['aal2', 'phr'] });
    expect((await parse(value)).parameters).toMatchObject({ scope: 'api:read api:write', acr_values: 'aal2 phr' });
  });
});

describe('the DPoP scheme (RFC 9449 §7.1)', () => {
  it.each<[string, ChallengeParams, string]>([
    ['figure 13, no token', { algs: ['ES256', 'PS256'] }, 'DPoP algs="ES256 PS256"'],
    [
      "a key that is not the token's",
      { error: 'invalid_token', errorDescription: 'Invalid DPoP key binding', algs: ['ES256'] },
      'DPoP error="invalid_token", error_description="Invalid DPoP key binding", algs="ES256"',
    ],
    [
      'a step-up for a DPoP-bound token',
      { error: 'insufficient_user_authentication', errorDescription: '...', acrValues: ['phr'], maxAge: 300, algs: ['ES256'] },
      'DPoP error="insufficient_user_authentication", error_description="...", acr_values="phr", max_age="300", algs="ES256"',
    ],
  ])('%s', (_name, params, expected) => {
    expect(dpopChallenge(params)).toBe(expected);
  });

  it('is read back by a standard parser as a dpop challenge with its parameters', async () => {
    const parsed = await parse(dpopChallenge({ error: 'invalid_dpop_proof', errorDescription: 'the DPoP proof is for another URL', algs: ['ES256', 'EdDSA'] }));
    expect(parsed.scheme).toBe('dpop');
    expect(parsed.parameters).toMatchObject({ error: 'invalid_dpop_proof', algs: 'ES256 EdDSA' });
  });

  it('never puts algs in a Bearer challenge', () => {
    expect(bearerChallenge({ realm: 'api', algs: ['ES256'] })).toBe('Bearer realm="api"');
  });
});

describe('quoting and escaping', () => {
  it('escapes " and \\ in quoted-string values (realm, acr_values) so they read back unchanged', async () => {
    const realm = 'the "demo" realm \\ v1';
    const acr = 'urn:example:"odd"\\acr';
    const value = bearerChallenge({ realm, error: 'insufficient_user_authentication', acrValues: [acr] });
    expect(value).toBe('Bearer realm="the \\"demo\\" realm \\\\ v1", error="insufficient_user_authentication", acr_values="urn:example:\\"odd\\"\\\\acr"');
    expect((await parse(value)).parameters).toMatchObject({ realm, acr_values: acr });
  });

  it('keeps error_description inside %x20-21 / %x23-5B / %x5D-7E (RFC 6750 §3), whatever text it is given', async () => {
    const text = 'acr "x\\y"\r\nSet-Cookie: a=b\u0000 é ☃';
    const clean = descriptionText(text);
    expect(clean).toMatch(/^[\x20\x21\x23-\x5B\x5D-\x7E]*$/);
    expect(clean).toBe("acr 'x?y'??Set-Cookie: a=b? ? ?");
    const value = bearerChallenge({ error: 'invalid_token', errorDescription: text });
    expect((await parse(value)).parameters.error_description).toBe(clean);
  });

  it('caps error_description at 200 characters', () => {
    expect(descriptionText('x'.repeat(500))).toHaveLength(200);
  });

  it.each<[string, ChallengeParams]>([
    ['a control character in the realm', { realm: 'a\nb' }],
    ['a scope with a quote', { error: 'insufficient_scope', scope: ['a"b'] }],
    ['a scope with a backslash', { error: 'insufficient_scope', scope: ['a\\b'] }],
    ['an acr value with a space', { error: 'insufficient_user_authentication', acrValues: ['a b'] }],
    ['a non-integer max_age', { error: 'insufficient_user_authentication', maxAge: 1.5 }],
    ['no parameter at all', {}],
  ])('refuses to build a header from %s', (_name, params) => {
    expect(() => bearerChallenge(params)).toThrow(GuardConfigError);
  });
});
