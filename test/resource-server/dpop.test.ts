// DPoP at the guard (RFC 9449 §4.3, §7): real proofs made with jose, each check broken one field at a time.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, exportJWK, generateSecret, SignJWT } from 'jose';
import { createGuard, type Guard, type GuardRequest, type GuardResult, type Requirement } from '../../resource-server/index.ts';
import { accessToken, AUDIENCE, dpopKey, dpopProof, fakeProvider, testKey, type DpopKey, type FakeProvider, type ProofSpec, type TestKey } from './fixtures.ts';

const NOW = 1_700_000_000;
const URL_ = 'https://api.example/transfer';
let provider: FakeProvider;
let key: TestKey;
let client: DpopKey;
let guard: Guard;

beforeAll(async () => {
  key = await testKey('key-1');
  client = await dpopKey();
  provider = await fakeProvider([key]);
  guard = createGuard({ issuer: provider.issuer, audience: AUDIENCE, ladder: ['aal1', 'aal2', 'phr'], now: () => NOW });
});
afterAll(async () => provider?.close());

/** A token bound to the client's key, as the provider issues it after a DPoP token request. */
function boundToken(claims: Record<string, unknown> = {}) {
  return accessToken({ key, issuer: provider.issuer, now: NOW, claims: { cnf: { jkt: client.jkt }, ...claims } });
}

function proof(token: string, spec: Partial<ProofSpec> = {}) {
  return dpopProof({ key: client, htm: 'POST', htu: URL_, accessToken: token, iat: NOW, ...spec });
}

async function call(request: GuardRequest, requirement?: Requirement, on: Guard = guard): Promise<GuardResult> {
  return on.check({ method: 'POST', url: URL_, ...request }, requirement);
}

function refused(result: GuardResult) {
  if (result.ok) throw new Error('expected a refusal, the request passed');
  return result;
}

describe('a DPoP-bound token with a valid proof', () => {
  it('passes, and the result names the key the token is bound to', async () => {
    const token = await boundToken();
    const result = await call({ authorization: `DPoP ${token}`, dpop: await proof(token) });
    expect(result.ok && result.token.jkt).toBe(client.jkt);
  });

  it.each(['ES384', 'EdDSA', 'PS256'])('accepts a proof signed with %s', async (alg) => {
    const other = await dpopKey(alg);
    const token = await accessToken({ key, issuer: provider.issuer, now: NOW, claims: { cnf: { jkt: other.jkt } } });
    const result = await call({ authorization: `DPoP ${token}`, dpop: await dpopProof({ key: other, htm: 'POST', htu: URL_, accessToken: token, iat: NOW }) });
    expect(result.ok).toBe(true);
  });

  it.each([
    ['the scheme name in another case', 'dpop'],
    ['the scheme name in upper case', 'DPOP'],
  ])('accepts %s (RFC 9110 §11.1: case-insensitive)', async (_name, scheme) => {
    const token = await boundToken();
    expect((await call({ authorization: `${scheme} ${token}`, dpop: await proof(token) })).ok).toBe(true);
  });

  it.each([
    ['the host in another case', 'https://API.Example/transfer'],
    ['the default port written out', 'https://api.example:443/transfer'],
    ['a dot segment', 'https://api.example/x/../transfer'],
    ['a query and a fragment (RFC 9449 §4.3: ignored)', 'https://api.example/transfer?amount=1#top'],
  ])('accepts an htu with %s: URLs are compared after RFC 3986 normalisation', async (_name, htu) => {
    const token = await boundToken();
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { htu }) })).ok).toBe(true);
  });

  it('ignores the request query too: a proof covers the path, not the query', async () => {
    const token = await boundToken();
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token), url: `${URL_}?page=2` })).ok).toBe(true);
  });

  it('accepts iat at the window edges: 60 s old and 5 s ahead', async () => {
    const token = await boundToken();
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { iat: NOW - 60 }) })).ok).toBe(true);
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { iat: NOW + 5 }) })).ok).toBe(true);
  });
});

describe('a DPoP-bound token whose proof is missing or wrong', () => {
  const privateJwk = async () => ({ ...(await exportJWK(client.privateKey)) });
  const cases: Array<[string, (token: string) => Promise<string | string[] | undefined>, string]> = [
    ['no DPoP header', async () => undefined, 'dpop_proof_missing'],
    ['an empty DPoP header', async () => '', 'dpop_proof_missing'],
    ['two DPoP headers', async (token) => [await proof(token), await proof(token)], 'dpop_proof_invalid'],
    ['two proofs joined in one header', async (token) => `${await proof(token)}, ${await proof(token)}`, 'dpop_proof_invalid'],
    ['not a JWS', async () => 'not-a-jws', 'dpop_proof_invalid'],
    ['typ JWT', (token) => proof(token, { header: { typ: 'JWT' } }), 'dpop_proof_invalid'],
    ['typ at+jwt (an access token as proof)', (token) => proof(token, { header: { typ: 'at+jwt' } }), 'dpop_proof_invalid'],
    ['alg none', async (token) => unsigned(token), 'dpop_proof_invalid'],
    ['HS256 with a symmetric jwk', async (token) => hmacProof(token), 'dpop_proof_invalid'],
    ['an algorithm the guard does not accept (ES512)', async (token) => dpopProof({ key: await dpopKey('ES512'), htm: 'POST', htu: URL_, accessToken: token, iat: NOW }), 'dpop_proof_invalid'],
    ['the private key in jwk', async (token) => proof(token, { header: { jwk: await privateJwk() } }), 'dpop_proof_invalid'],
    ['no jwk', async (token) => proof(token, { header: { jwk: undefined } }), 'dpop_proof_invalid'],
    ['a jwk that is not the signing key', async (token) => proof(token, { header: { jwk: (await dpopKey()).jwk } }), 'dpop_proof_invalid'],
    ['a valid proof by a key the token is not bound to', async (token) => dpopProof({ key: await dpopKey(), htm: 'POST', htu: URL_, accessToken: token, iat: NOW }), 'dpop_key_mismatch'],
    ['htm GET for a POST', (token) => proof(token, { htm: 'GET' }), 'dpop_proof_invalid'],
    ['htm in lower case', (token) => proof(token, { htm: 'post' }), 'dpop_proof_invalid'],
    ['htu for another path', (token) => proof(token, { htu: 'https://api.example/balance' }), 'dpop_proof_invalid'],
    ['htu with a trailing slash', (token) => proof(token, { htu: `${URL_}/` }), 'dpop_proof_invalid'],
    ['htu with the path in another case', (token) => proof(token, { htu: 'https://api.example/Transfer' }), 'dpop_proof_invalid'],
    ['htu for another host', (token) => proof(token, { htu: 'https://evil.example/transfer' }), 'dpop_proof_invalid'],
    ['htu over http', (token) => proof(token, { htu: 'http://api.example/transfer' }), 'dpop_proof_invalid'],
    ['htu with another port', (token) => proof(token, { htu: 'https://api.example:8443/transfer' }), 'dpop_proof_invalid'],
    ['htu with userinfo', (token) => proof(token, { htu: 'https://user@api.example/transfer' }), 'dpop_proof_invalid'],
    ['htu naming the right URL only in its query', (token) => proof(token, { htu: `https://api.example/other?${URL_}` }), 'dpop_proof_invalid'],
    ['htu relative', (token) => proof(token, { htu: '/transfer' }), 'dpop_proof_invalid'],
    ['htu not a string', (token) => proof(token, { claims: { htu: [URL_] } }), 'dpop_proof_invalid'],
    ['iat 61 s old', (token) => proof(token, { iat: NOW - 61 }), 'dpop_proof_invalid'],
    ['iat 6 s in the future', (token) => proof(token, { iat: NOW + 6 }), 'dpop_proof_invalid'],
    ['no iat', (token) => proof(token, { omit: ['iat'] }), 'dpop_proof_invalid'],
    ['no jti', (token) => proof(token, { omit: ['jti'] }), 'dpop_proof_invalid'],
    ['no ath', (token) => proof(token, { omit: ['ath'] }), 'dpop_proof_invalid'],
    ['ath of another token', async (token) => proof(token, { accessToken: await boundToken() }), 'dpop_proof_invalid'],
    ['ath not base64url of the SHA-256', (token) => proof(token, { claims: { ath: base64url.encode(token) } }), 'dpop_proof_invalid'],
  ];

  /** Everything right but the signature scheme: only the algorithm can make these fail. */
  const ath = (token: string) => createHash('sha256').update(token).digest('base64url');

  async function unsigned(token: string) {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'dpop+jwt', jwk: client.jwk }));
    const payload = base64url.encode(JSON.stringify({ jti: 'none', htm: 'POST', htu: URL_, iat: NOW, ath: ath(token) }));
    return `${header}.${payload}.`;
  }

  async function hmacProof(token: string) {
    const secret = await generateSecret('HS256', { extractable: true });
    return new SignJWT({ jti: 'hs', htm: 'POST', htu: URL_, iat: NOW, ath: ath(token) }).setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: await exportJWK(secret) }).sign(secret);
  }

  it.each(cases)('answers 401 with a DPoP challenge: %s', async (_name, make, code) => {
    const token = await boundToken();
    const result = refused(await call({ authorization: `DPoP ${token}`, dpop: await make(token) }));
    expect(result.status).toBe(401);
    expect(result.error.code).toBe(code);
    const error = code === 'dpop_key_mismatch' ? 'invalid_token' : 'invalid_dpop_proof';
    expect(result.headers['WWW-Authenticate']).toMatch(new RegExp(`^DPoP error="${error}", error_description="[^"\\\\]+", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"$`));
    expect(result.body).toEqual({ error, error_description: result.error.message });
  });

  it('refuses a proof used a second time (jti replay), and the first one took effect', async () => {
    const token = await boundToken();
    const once = await proof(token);
    expect((await call({ authorization: `DPoP ${token}`, dpop: once })).ok).toBe(true);
    const again = refused(await call({ authorization: `DPoP ${token}`, dpop: once }));
    expect(again.error.code).toBe('dpop_proof_replayed');
    expect(again.headers['WWW-Authenticate']).toBe('DPoP error="invalid_dpop_proof", error_description="the DPoP proof was already used (jti)", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"');
  });

  it('lets exactly one of two concurrent requests with the same proof through', async () => {
    const token = await boundToken();
    const once = await proof(token);
    const results = await Promise.all(Array.from({ length: 5 }, () => call({ authorization: `DPoP ${token}`, dpop: once })));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(results.filter((result) => !result.ok).map((result) => !result.ok && result.error.code)).toEqual(Array(4).fill('dpop_proof_replayed'));
  });

  it('does not use up the jti of a proof that was refused for another reason', async () => {
    const token = await boundToken();
    const jti = 'same-jti-twice';
    expect(refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { htm: 'GET', claims: { jti } }) })).error.code).toBe('dpop_proof_invalid');
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { claims: { jti } }) })).ok).toBe(true);
  });

  it('refuses a DPoP-bound token sent as a bearer token, even with a valid proof (RFC 9449 §7.1)', async () => {
    const token = await boundToken();
    const result = refused(await call({ authorization: `Bearer ${token}`, dpop: await proof(token) }));
    expect(result.status).toBe(401);
    expect(result.error.code).toBe('token_dpop_bound');
    expect(result.headers['WWW-Authenticate']).toBe(
      'DPoP error="invalid_token", error_description="the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"',
    );
  });

  it('refuses a proof when the request URL is not known (a check given only the Authorization header)', async () => {
    const token = await boundToken();
    const result = refused(await guard.check(`DPoP ${token}`));
    expect(result.error.code).toBe('dpop_proof_missing');
  });
});

describe('tokens that are not DPoP-bound', () => {
  const plain = () => accessToken({ key, issuer: provider.issuer, now: NOW });

  it('still pass as bearer tokens where the route does not require DPoP', async () => {
    expect((await call({ authorization: `Bearer ${await plain()}` })).ok).toBe(true);
  });

  it('are refused under the DPoP scheme, even with a proof of some key', async () => {
    const token = await plain();
    const result = refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token) }));
    expect(result.error.code).toBe('token_not_dpop_bound');
    expect(result.headers['WWW-Authenticate']).toMatch(/^DPoP error="invalid_token", /);
  });

  it('are refused where the route requires DPoP, with a DPoP challenge', async () => {
    const result = refused(await call({ authorization: `Bearer ${await plain()}` }, { dpop: true }));
    expect(result.error.code).toBe('dpop_required');
    expect(result.headers['WWW-Authenticate']).toBe(
      'DPoP error="invalid_token", error_description="this API accepts only DPoP-bound access tokens here", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"',
    );
  });

  it('are refused everywhere when the guard requires DPoP, and a request without a token gets a bare DPoP challenge', async () => {
    const strict = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, dpop: { required: true, algorithms: ['ES256'] } });
    expect(refused(await call({ authorization: `Bearer ${await plain()}` }, {}, strict)).error.code).toBe('dpop_required');
    expect(refused(await call({}, {}, strict)).headers['WWW-Authenticate']).toBe(`DPoP realm="${AUDIENCE}", algs="ES256"`);
  });
});

describe('step-up and scope refusals of a DPoP-bound token', () => {
  it('use the DPoP scheme, with the RFC 9470 parameters and algs', async () => {
    const token = await boundToken({ acr: 'aal1' });
    const result = refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token) }, { acr: 'phr', maxAge: 300 }));
    expect(result.headers['WWW-Authenticate']).toBe(
      'DPoP error="insufficient_user_authentication", error_description="phr is required and the token is at aal1", acr_values="phr", max_age="300", algs="ES256 ES384 EdDSA Ed25519 PS256 RS256"',
    );
  });
});

describe('the URL a proof must name', () => {
  it('is the request URL the framework saw, unless the guard is given its external origin', async () => {
    const behindProxy = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, origin: 'https://api.example' });
    const token = await boundToken();
    const internal = 'http://127.0.0.1:8080/transfer';
    // Without origin the proof for the public URL does not match what the server saw.
    expect(refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token), url: internal })).error.code).toBe('dpop_proof_invalid');
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token), url: internal }, {}, behindProxy)).ok).toBe(true);
  });

  it('keeps the origin when the request target looks like another host (//evil.example/transfer)', async () => {
    const behindProxy = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, origin: 'https://api.example' });
    const token = await boundToken();
    const evil = await proof(token, { htu: 'https://evil.example/transfer' });
    expect(refused(await call({ authorization: `DPoP ${token}`, dpop: evil, url: '//evil.example/transfer' }, {}, behindProxy)).error.code).toBe('dpop_proof_invalid');
  });

  it.each(['api.example', 'https://api.example/v1', 'ftp://api.example', 'https://api.example/?x=1'])('refuses %s as an origin when the guard is created', (origin) => {
    expect(() => createGuard({ issuer: provider.issuer, audience: AUDIENCE, origin })).toThrow(/origin must be an http\(s\) origin/);
  });
});

describe('DPoP options', () => {
  it.each([
    [{ algorithms: ['none'] }, /asymmetric/],
    [{ algorithms: ['HS256'] }, /asymmetric/],
    [{ algorithms: [] }, /at least one/],
    [{ maxAge: -1 }, /dpop.maxAge/],
    [{ futureSkew: 1.5 }, /dpop.futureSkew/],
  ])('refuses %j when the guard is created', (dpop, message) => {
    expect(() => createGuard({ issuer: provider.issuer, audience: AUDIENCE, dpop })).toThrow(message);
  });

  it('applies a configured window: maxAge 10 refuses a proof 11 s old', async () => {
    const tight = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, dpop: { maxAge: 10 } });
    const token = await boundToken();
    expect(refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { iat: NOW - 11 }) }, {}, tight)).error.code).toBe('dpop_proof_invalid');
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { iat: NOW - 10 }) }, {}, tight)).ok).toBe(true);
  });
});

describe('server-provided nonces (RFC 9449 §9)', () => {
  const SECRET = 'a nonce secret of at least thirty-two bytes';
  let clock = NOW;
  const withNonces = (secret = SECRET) => createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => clock, dpop: { nonceSecret: secret } });

  it('asks for a nonce with 401 use_dpop_nonce and a DPoP-Nonce header, then accepts the proof that carries it', async () => {
    clock = NOW;
    const nonceGuard = withNonces();
    const token = await boundToken();
    const first = refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token) }, {}, nonceGuard));
    expect(first.status).toBe(401);
    expect(first.error.code).toBe('dpop_nonce_required');
    expect(first.headers['WWW-Authenticate']).toMatch(/^DPoP error="use_dpop_nonce", error_description="this API requires a nonce in DPoP proofs: use the DPoP-Nonce header", algs="/);
    const nonce = first.headers['DPoP-Nonce']!;
    expect(nonce).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const second = await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { claims: { nonce } }) }, {}, nonceGuard);
    expect(second.ok && second.headers).toEqual({ 'DPoP-Nonce': nonce });
  });

  it('accepts a nonce for four minutes, refuses it after five, and names the new one', async () => {
    clock = NOW;
    const nonceGuard = withNonces();
    const token = await boundToken();
    const nonce = refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token) }, {}, nonceGuard)).headers['DPoP-Nonce']!;
    clock = NOW + 240;
    const later = await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { iat: clock, claims: { nonce } }) }, {}, nonceGuard);
    expect(later.ok).toBe(true);
    expect(later.ok && later.headers['DPoP-Nonce']).not.toBe(nonce);
    clock = NOW + 300;
    const stale = refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { iat: clock, claims: { nonce } }) }, {}, nonceGuard));
    expect(stale.error.code).toBe('dpop_nonce_required');
    expect(stale.error.message).toBe('the DPoP proof nonce is stale or unknown: use the DPoP-Nonce header');
    expect(stale.headers['DPoP-Nonce']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    clock = NOW;
  });

  it('agrees across instances with the same secret, and refuses the nonce of another secret or a made-up one', async () => {
    clock = NOW;
    const token = await boundToken();
    const nonce = refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token) }, {}, withNonces())).headers['DPoP-Nonce']!;
    expect((await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { claims: { nonce } }) }, {}, withNonces())).ok).toBe(true);
    const other = withNonces('another secret, also thirty-two bytes or more');
    expect(refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { claims: { nonce } }) }, {}, other)).error.code).toBe('dpop_nonce_required');
    for (const forged of ['x', 'A'.repeat(43), 42]) {
      expect(refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { claims: { nonce: forged } }) }, {}, withNonces())).error.code).toBe('dpop_nonce_required');
    }
  });

  it('reports a broken proof as such before asking for a nonce, and does not hand out nonces to bearer requests', async () => {
    clock = NOW;
    const nonceGuard = withNonces();
    const token = await boundToken();
    expect(refused(await call({ authorization: `DPoP ${token}`, dpop: await proof(token, { htm: 'GET' }) }, {}, nonceGuard)).error.code).toBe('dpop_proof_invalid');
    const bearer = await call({ authorization: `Bearer ${await accessToken({ key, issuer: provider.issuer, now: NOW })}` }, {}, nonceGuard);
    expect(bearer.ok && bearer.headers).toEqual({});
  });

  it('refuses a secret shorter than 32 bytes when the guard is created', () => {
    expect(() => withNonces('short')).toThrow(/at least 32 bytes/);
  });
});
