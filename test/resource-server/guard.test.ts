// The guard, branch by branch: each kind of bad token, each requirement shortfall, and the challenge each one gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, UnsecuredJWT, base64url } from 'jose';
import { DEFAULT_LADDER } from '../../config/ladder.ts';
import { createGuard, GuardConfigError, type Guard, type GuardResult, type Requirement } from '../../resource-server/index.ts';
import { accessToken, AUDIENCE, fakeProvider, testKey, type FakeProvider, type TestKey, type TokenSpec } from './fixtures.ts';

const NOW = 1_700_000_000;
let provider: FakeProvider;
let key: TestKey;
let stranger: TestKey;
let guard: Guard;

beforeAll(async () => {
  key = await testKey('key-1');
  // Same kid as the real key, different key pair: a forgery.
  stranger = await testKey('key-1');
  provider = await fakeProvider([key]);
  guard = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW });
});
afterAll(async () => provider?.close());

function token(spec: Partial<TokenSpec> = {}) {
  return accessToken({ key, issuer: provider.issuer, now: NOW, ...spec });
}

async function check(authorization: string | undefined, requirement?: Requirement): Promise<GuardResult> {
  return guard.check(authorization, requirement);
}

function refused(result: GuardResult) {
  if (result.ok) throw new Error(`expected a refusal, the token passed: ${JSON.stringify(result.token.claims)}`);
  return result;
}

describe('when the request carries no usable token', () => {
  it.each([
    ['no Authorization header', undefined],
    ['an empty header', ''],
    ['another scheme', 'Basic ZGVtbzpkZW1v'],
  ])('answers 401 with a bare challenge and no error code (RFC 6750 §3.1): %s', async (_name, header) => {
    const result = refused(await check(header));
    expect(result.status).toBe(401);
    expect(result.error.code).toBe('token_missing');
    expect(result.headers['WWW-Authenticate']).toBe(`Bearer realm="${AUDIENCE}"`);
    expect(result.body).not.toHaveProperty('error');
  });

  it.each([
    ['Bearer without a token', 'Bearer'],
    ['two tokens', 'Bearer abc def'],
    ['characters outside b64token', 'Bearer abc"def'],
  ])('answers 400 invalid_request for a malformed header: %s', async (_name, header) => {
    const result = refused(await check(header));
    expect(result.status).toBe(400);
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_request", error_description="[^"]+"$/);
  });
});

describe('when the token is not a valid access token for this API', () => {
  const cases: Array<[string, () => Promise<string>, string]> = [
    ['signed by another key under the same kid', () => accessToken({ key: stranger, issuer: provider.issuer, now: NOW }), 'token_signature_invalid'],
    ['typed JWT (e.g. an ID token)', () => token({ header: { typ: 'JWT' } }), 'token_type_invalid'],
    ['without typ', () => token({ header: { typ: undefined } }), 'token_type_invalid'],
    ['for another audience', () => token({ claims: { aud: 'https://other.example' } }), 'token_audience_invalid'],
    ['from another issuer', () => token({ claims: { iss: 'https://evil.example' } }), 'token_issuer_invalid'],
    ['expired', () => token({ claims: { exp: NOW - 60 } }), 'token_expired'],
    ['not valid yet', () => token({ claims: { nbf: NOW + 60 } }), 'token_not_yet_valid'],
    ['without client_id', () => token({ omit: ['client_id'] }), 'token_claims_invalid'],
    ['without sub', () => token({ omit: ['sub'] }), 'token_claims_invalid'],
    ['with amr that is not an array', () => token({ claims: { amr: 'pwd' } }), 'token_claims_invalid'],
    ['authenticated in the future', () => token({ claims: { auth_time: NOW + 3600 } }), 'token_claims_invalid'],
    [
      'bound to a TLS client certificate (cnf x5t#S256), which this API cannot check',
      () => token({ claims: { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } } }),
      'token_sender_constrained',
    ],
    ['with a cnf.jkt that is not a thumbprint', () => token({ claims: { cnf: { jkt: 'abc' } } }), 'token_claims_invalid'],
    ['with authorization_details that is not an array of typed objects', () => token({ claims: { authorization_details: [{ amount: 5 }] } }), 'token_claims_invalid'],
    ['with authorization_details that is an object', () => token({ claims: { authorization_details: { type: 'payment' } } }), 'token_claims_invalid'],
    ['signed with a kid the provider does not publish', async () => accessToken({ key: await testKey('unknown-kid'), issuer: provider.issuer, now: NOW }), 'token_key_unknown'],
    ['signed with an algorithm not allowed', async () => accessToken({ key: await testKey('key-1', 'PS256'), issuer: provider.issuer, now: NOW }), 'token_algorithm_invalid'],
    ['unsigned (alg none)', async () => new UnsecuredJWT({ iss: provider.issuer, aud: AUDIENCE, sub: 'x', exp: NOW + 60 }).encode(), 'token_algorithm_invalid'],
    ['an opaque string (no introspection configured)', async () => 'c29tZS1vcGFxdWUtdG9rZW4', 'token_malformed'],
    ['three segments of garbage', async () => 'aaa.bbb.ccc', 'token_malformed'],
  ];

  it.each(cases)('answers 401 invalid_token: %s', async (_name, make, code) => {
    const result = refused(await check(`Bearer ${await make()}`, { acr: 'aal1' }));
    expect(result.status).toBe(401);
    expect(result.error.code).toBe(code);
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token", error_description="[^"\\]+"$/);
    expect(result.body).toEqual({ error: 'invalid_token', error_description: result.error.message });
  });

  it('accepts an expiry within the clock tolerance (5 s) and refuses one just past it', async () => {
    expect((await check(`Bearer ${await token({ claims: { exp: NOW - 4 } })}`)).ok).toBe(true);
    expect(refused(await check(`Bearer ${await token({ claims: { exp: NOW - 5 } })}`)).error.code).toBe('token_expired');
  });

  it('never throws nor answers 5xx for arbitrary bytes in the token', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: 'key-1' }));
    const samples = [
      `${header}.${base64url.encode('not json')}.sig`,
      `${header}.${base64url.encode('[]')}.${base64url.encode('x')}`,
      `${base64url.encode('{"alg":"ES256","crit":["exp"],"exp":1}')}.e30.AA`,
      `${base64url.encode('{"alg":"ES256","kid":{"x":1}}')}.e30.AA`,
      `${base64url.encode('{}')}.e30.`,
      `${base64url.encode('null')}.e30.AA`,
      'a'.repeat(9000),
      `${header}.${'A'.repeat(4000)}.${'B'.repeat(100)}`,
    ];
    for (let index = 0; index < 200; index += 1) {
      const length = 1 + Math.floor(Math.random() * 120);
      const chars = 'ABCabc012-_.~+/=';
      samples.push(Array.from({ length }, () => chars[Math.floor(Math.random() * chars.length)]).join(''));
    }
    for (const sample of samples) {
      const result = await check(`Bearer ${sample}`, { acr: 'aal2', maxAge: 300 });
      expect(result.ok, sample).toBe(false);
      expect([400, 401], sample).toContain((result as { status: number }).status);
    }
  });
});

describe('when the token is valid but falls short of the route', () => {
  it('answers insufficient_user_authentication with the values the route accepts when acr is too low', async () => {
    const result = refused(await check(`Bearer ${await token({ claims: { acr: 'aal1' } })}`, { acr: 'aal2' }));
    expect(result.status).toBe(401);
    expect(result.error.code).toBe('acr_too_low');
    expect(result.headers['WWW-Authenticate']).toBe('Bearer error="insufficient_user_authentication", error_description="aal2 is required and the token is at aal1", acr_values="aal2 phr"');
  });

  it('answers exactly the issue\'s challenge for "phr within 300 s" and an aal1 token', async () => {
    const result = refused(await check(`Bearer ${await token()}`, { acr: 'phr', maxAge: 300 }));
    expect(result.headers['WWW-Authenticate']).toBe('Bearer error="insufficient_user_authentication", error_description="phr is required and the token is at aal1", acr_values="phr", max_age="300"');
  });

  it.each([
    ['carries no acr', { omit: ['acr'] }, 'acr_missing'],
    ['carries an acr the ladder does not know', { claims: { acr: 'urn:unknown:"level' } }, 'acr_unknown'],
  ] as const)('treats a token that %s as too low', async (_name, spec, code) => {
    const result = refused(await check(`Bearer ${await token(spec as Partial<TokenSpec>)}`, { acr: 'aal1' }));
    expect(result.error.code).toBe(code);
    expect(result.headers['WWW-Authenticate']).toMatch(/error="insufficient_user_authentication", error_description="[^"\\]+", acr_values="aal1 aal2 phr"$/);
  });

  it('asks for max_age when the route needs freshness and the token has no auth_time', async () => {
    const result = refused(await check(`Bearer ${await token({ omit: ['auth_time'] })}`, { maxAge: 300 }));
    expect(result.error.code).toBe('auth_time_missing');
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", max_age="300"$/);
  });

  it("asks for max_age (and the route's level) when the authentication is too old", async () => {
    const result = refused(await check(`Bearer ${await token({ claims: { acr: 'aal2', auth_time: NOW - 306 } })}`, { acr: 'aal2', maxAge: 300 }));
    expect(result.error.code).toBe('auth_time_too_old');
    expect(result.error.message).toBe('an authentication within 300 seconds is required and this one is 306 seconds old');
    // acr_values too: a re-authentication that only honoured max_age could come back at a lower level.
    expect(result.headers['WWW-Authenticate']).toMatch(/acr_values="aal2 phr", max_age="300"$/);
  });

  it('answers 403 insufficient_scope naming the scope the route needs', async () => {
    const result = refused(await check(`Bearer ${await token({ claims: { scope: 'api:read' } })}`, { scope: 'api:read api:write' }));
    expect(result.status).toBe(403);
    expect(result.headers['WWW-Authenticate']).toBe('Bearer error="insufficient_scope", error_description="the token lacks the scope api:write", scope="api:read api:write"');
  });
});

describe('when the token meets the route', () => {
  it.each([
    ['the same level', 'aal2', 'aal2'],
    ['a higher level (phr for aal2)', 'phr', 'aal2'],
    ['a higher level (aal2 for aal1)', 'aal2', 'aal1'],
  ])('passes with %s and reports the verified claims', async (_name, held, needed) => {
    const result = await check(`Bearer ${await token({ claims: { acr: held, amr: ['pwd', 'otp', 'mfa'] } })}`, { acr: needed, scope: 'api:write' });
    expect(result).toMatchObject({ ok: true, token: { format: 'jwt', sub: 'account-1', clientId: 'demo-rp', acr: held, amr: ['pwd', 'otp', 'mfa'], authTime: NOW - 10 } });
  });

  it('passes a fresh enough authentication, up to max_age plus the clock tolerance', async () => {
    for (const age of [0, 299, 300, 305]) {
      const result = await check(`Bearer ${await token({ claims: { auth_time: NOW - age } })}`, { maxAge: 300 });
      expect(result.ok, `auth_time ${age} s ago`).toBe(true);
    }
  });

  it('accepts any valid token for a route without requirements', async () => {
    expect((await check(`Bearer ${await token({ omit: ['acr', 'amr', 'auth_time', 'scope'] })}`)).ok).toBe(true);
  });

  it('reads the scheme case-insensitively', async () => {
    expect((await check(`bearer ${await token()}`)).ok).toBe(true);
  });
});

describe('the ladder', () => {
  it('comes from discovery once, in the order of acr_values_supported', async () => {
    const fresh = await fakeProvider([key]);
    try {
      fresh.acrValues = ['low', 'mid', 'high'];
      const discovered = createGuard({ issuer: fresh.issuer, audience: AUDIENCE, now: () => NOW });
      const jwt = await accessToken({ key, issuer: fresh.issuer, now: NOW, claims: { acr: 'mid' } });
      expect((await discovered.check(`Bearer ${jwt}`, { acr: 'low' })).ok).toBe(true);
      expect(refused(await discovered.check(`Bearer ${jwt}`, { acr: 'high' })).headers['WWW-Authenticate']).toMatch(/acr_values="high"$/);
      await Promise.all(Array.from({ length: 10 }, () => discovered.check(`Bearer ${jwt}`, { acr: 'mid' })));
      expect(fresh.hits['/.well-known/openid-configuration']).toBe(1);
      expect(fresh.hits['/jwks']).toBe(1);
    } finally {
      await fresh.close();
    }
  });

  it('can be passed in, with aliases, and then needs no discovery for it', async () => {
    const ladder = [
      { acr: 'aal1', aliases: ['urn:example:silver'], rank: 1 },
      { acr: 'aal2', aliases: ['urn:example:gold'], rank: 2 },
    ];
    const configured = createGuard({ issuer: provider.issuer, audience: AUDIENCE, ladder, jwksUri: `${provider.issuer}/jwks`, now: () => NOW });
    const before = provider.hits['/.well-known/openid-configuration'] ?? 0;
    expect((await configured.check(`Bearer ${await token({ claims: { acr: 'urn:example:gold' } })}`, { acr: 'aal2' })).ok).toBe(true);
    expect(refused(await configured.check(`Bearer ${await token({ claims: { acr: 'urn:example:silver' } })}`, { acr: 'urn:example:gold' })).headers['WWW-Authenticate']).toMatch(/acr_values="aal2"$/);
    expect(provider.hits['/.well-known/openid-configuration'] ?? 0).toBe(before);
  });

  it("takes the provider's own configured ladder as it is (the package has no copy of it)", async () => {
    const configured = createGuard({ issuer: provider.issuer, audience: AUDIENCE, ladder: DEFAULT_LADDER, jwksUri: `${provider.issuer}/jwks`, now: () => NOW });
    expect((await configured.check(`Bearer ${await token({ claims: { acr: 'phr' } })}`, { acr: 'aal2' })).ok).toBe(true);
    expect(refused(await configured.check(`Bearer ${await token({ claims: { acr: 'aal1' } })}`, { acr: 'aal2' })).headers['WWW-Authenticate']).toMatch(/acr_values="aal2 phr"$/);
  });
});

describe('when the provider cannot be reached', () => {
  it('answers 503 with Retry-After, not 401 and not 500', async () => {
    const outage = await fakeProvider([key]);
    const jwt = await accessToken({ key, issuer: outage.issuer, now: NOW });
    outage.down = true;
    try {
      const result = refused(await createGuard({ issuer: outage.issuer, audience: AUDIENCE, now: () => NOW }).check(`Bearer ${jwt}`, { acr: 'aal1' }));
      expect(result).toMatchObject({ status: 503, headers: { 'Retry-After': '5' }, body: { error: 'temporarily_unavailable' } });
      expect(result.error.code).toBe('provider_unavailable');
      // The same guard recovers as soon as the provider is back: a failure is not remembered.
      const guard = createGuard({ issuer: outage.issuer, audience: AUDIENCE, now: () => NOW });
      expect(refused(await guard.check(`Bearer ${jwt}`)).status).toBe(503);
      outage.down = false;
      expect((await guard.check(`Bearer ${jwt}`, { acr: 'aal1' })).ok).toBe(true);
    } finally {
      await outage.close();
    }
  });
});

describe('configuration mistakes fail when the route is declared', () => {
  const configured = () => createGuard({ issuer: 'https://op.example', audience: AUDIENCE, ladder: ['aal1', 'aal2'] });
  it.each<[string, () => unknown]>([
    ['an acr that is not on the ladder', () => configured().protect({ acr: 'aal3' })],
    ['a negative max age', () => configured().protect({ maxAge: -1 })],
    ['a fractional max age', () => configured().protect({ maxAge: 1.5 })],
    ['a scope with a quote', () => configured().protect({ scope: 'api"read' })],
    ['HMAC algorithms', () => createGuard({ issuer: 'https://op.example', audience: AUDIENCE, algorithms: ['HS256'] })],
    ['a realm with a line break', () => createGuard({ issuer: 'https://op.example', audience: AUDIENCE, realm: 'a\r\nb' })],
    ['a ladder with a duplicate value', () => createGuard({ issuer: 'https://op.example', audience: AUDIENCE, ladder: ['aal1', 'aal1'] })],
  ])('throws GuardConfigError for %s', (_name, declare) => {
    expect(declare).toThrow(GuardConfigError);
  });

  it('signs nothing with a secret: a token MACed with HS256 is refused', async () => {
    const hs = await new SignJWT({ iss: provider.issuer, aud: AUDIENCE, sub: 'x', client_id: 'c', jti: 'j', iat: NOW, exp: NOW + 60 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: 'key-1' })
      .sign(new TextEncoder().encode('0123456789abcdef0123456789abcdef'));
    expect(refused(await check(`Bearer ${hs}`)).error.code).toBe('token_algorithm_invalid');
  });
});
