// Opaque tokens through RFC 7662 introspection: the checks on the answer, client authentication, and the bounded cache.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGuard, type Guard, type GuardResult } from '../../resource-server/index.ts';
import { AUDIENCE, fakeProvider, testKey, type FakeProvider } from './fixtures.ts';

let now = 1_700_000_000;
let provider: FakeProvider;
let answers: Map<string, Record<string, unknown>>;
let authorizations: string[];

function active(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    active: true,
    token_type: 'Bearer',
    iss: provider.issuer,
    sub: 'account-1',
    client_id: 'demo-rp',
    scope: 'openid api:read',
    exp: now + 600,
    iat: now,
    acr: 'aal2',
    amr: ['pwd', 'otp', 'mfa'],
    auth_time: now - 20,
    ...overrides,
  };
}

function guardWith(options: { cacheTtl?: number; cacheSize?: number; requireAudience?: boolean } = {}): Guard {
  return createGuard({
    issuer: provider.issuer,
    audience: AUDIENCE,
    now: () => now,
    introspection: { clientId: 'api', clientSecret: 'api secret: 0123456789', ...options },
  });
}

function refused(result: GuardResult) {
  if (result.ok) throw new Error('expected a refusal');
  return result;
}

beforeAll(async () => {
  provider = await fakeProvider([await testKey('k')]);
  provider.introspection = (token, request) => {
    authorizations.push(request.headers.authorization ?? '');
    const answer = answers.get(token);
    return { body: answer ?? { active: false } };
  };
});
afterAll(async () => provider?.close());
beforeEach(() => {
  answers = new Map();
  authorizations = [];
  provider.hits = {};
});

describe('an opaque token', () => {
  it('exposes the authorization_details and the DPoP binding (token_type DPoP, cnf.jkt) of the answer (RFC 9396 §9.2, RFC 9449 §6.2)', async () => {
    const payment = { type: 'payment', instructedAmount: { currency: 'EUR', amount: '500.00' }, creditorName: 'ACME Ltd' };
    const jkt = '0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I';
    answers.set('opaque-rar', active({ token_type: 'DPoP', cnf: { jkt }, authorization_details: [payment] }));
    const result = await guardWith().check('Bearer opaque-rar');
    // Bound to a key: sent as Bearer it is refused, and the answer was read all the same.
    expect(refused(result).error.code).toBe('token_dpop_bound');
    answers.set('opaque-rar-2', active({ authorization_details: [payment] }));
    const plain = await guardWith().check('Bearer opaque-rar-2', { operation: { type: 'payment', fields: () => ({ creditorName: 'ACME Ltd' }) } });
    expect(plain.ok && plain.token.authorizationDetails).toEqual([payment]);
    expect(plain.ok && plain.token.operation).toEqual(payment);
  });

  it('refuses an answer of token_type DPoP without cnf.jkt', async () => {
    answers.set('opaque-dpop', active({ token_type: 'DPoP' }));
    expect(refused(await guardWith().check('DPoP opaque-dpop')).error.code).toBe('token_claims_invalid');
  });

  it('passes when the provider says it is an active bearer token, with acr, amr and auth_time from the answer', async () => {
    answers.set('opaque-1', active());
    const result = await guardWith().check('Bearer opaque-1', { acr: 'aal2', maxAge: 300, scope: 'api:read' });
    expect(result).toMatchObject({ ok: true, token: { format: 'introspected', sub: 'account-1', acr: 'aal2', authTime: now - 20, scopes: ['openid', 'api:read'] } });
    // client_secret_basic with form-encoded id and secret (RFC 6749 §2.3.1): the space becomes "+".
    expect(authorizations).toEqual([`Basic ${Buffer.from('api:api+secret%3A+0123456789').toString('base64')}`]);
  });

  it.each<[string, Record<string, unknown> | undefined, string]>([
    ['inactive', undefined, 'token_inactive'],
    ['a refresh token (no token_type)', { token_type: undefined }, 'token_type_invalid'],
    ['DPoP-bound with a cnf.jkt that is not a thumbprint', { token_type: 'DPoP', cnf: { jkt: 'x' } }, 'token_claims_invalid'],
    ['bound to a TLS client certificate', { cnf: { 'x5t#S256': 'bwcK0esc3ACC3DB2Y5_lESsXE8o9ltc05O89jdN-dg2' } }, 'token_sender_constrained'],
    ['from another issuer', { iss: 'https://other.example' }, 'token_issuer_invalid'],
    ['for another audience', { aud: 'https://other.example' }, 'token_audience_invalid'],
    ['expired (a stale answer)', { exp: now - 60 }, 'token_expired'],
    ['without a subject', { sub: undefined }, 'token_claims_invalid'],
  ])('is refused as invalid_token when %s', async (_name, overrides, code) => {
    if (overrides) answers.set('opaque-2', active(overrides));
    const result = refused(await guardWith().check('Bearer opaque-2'));
    expect(result.status).toBe(401);
    expect(result.error.code).toBe(code);
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer error="invalid_token"/);
  });

  it('is checked against the route like a JWT: a low acr gets the step-up challenge', async () => {
    answers.set('opaque-3', active({ acr: 'aal1' }));
    const result = refused(await guardWith().check('Bearer opaque-3', { acr: 'aal2', maxAge: 300 }));
    expect(result.headers['WWW-Authenticate']).toMatch(/error="insufficient_user_authentication", .*acr_values="aal2 phr", max_age="300"$/);
  });

  it('accepts a matching aud, and with requireAudience refuses an answer without one', async () => {
    answers.set('with-aud', active({ aud: [AUDIENCE, 'https://other.example'] }));
    answers.set('without-aud', active());
    expect((await guardWith({ requireAudience: true }).check('Bearer with-aud')).ok).toBe(true);
    expect(refused(await guardWith({ requireAudience: true }).check('Bearer without-aud')).error.code).toBe('token_audience_invalid');
  });

  it('answers 503 when the introspection endpoint fails, and 401 never', async () => {
    provider.introspection = () => ({ status: 401, body: { error: 'invalid_client' } });
    try {
      const result = refused(await guardWith().check('Bearer opaque-4'));
      expect(result).toMatchObject({ status: 503, body: { error: 'temporarily_unavailable' } });
    } finally {
      provider.introspection = (token, request) => {
        authorizations.push(request.headers.authorization ?? '');
        return { body: answers.get(token) ?? { active: false } };
      };
    }
  });
});

describe('the introspection cache', () => {
  it('asks once per token while the answer is fresh, concurrent requests included, and again after the TTL', async () => {
    answers.set('cached', active());
    const guard = guardWith({ cacheTtl: 30 });
    await Promise.all(Array.from({ length: 10 }, () => guard.check('Bearer cached')));
    await guard.check('Bearer cached');
    expect(provider.hits['/token/introspection']).toBe(1);
    now += 31;
    await guard.check('Bearer cached');
    expect(provider.hits['/token/introspection']).toBe(2);
  });

  it("never keeps an active answer past the token's exp", async () => {
    answers.set('short-lived', active({ exp: now + 10 }));
    const guard = guardWith({ cacheTtl: 60 });
    expect((await guard.check('Bearer short-lived')).ok).toBe(true);
    now += 11;
    answers.delete('short-lived');
    expect(refused(await guard.check('Bearer short-lived')).error.code).toBe('token_inactive');
    expect(provider.hits['/token/introspection']).toBe(2);
  });

  it('caches a refusal briefly too, so retries of a bad token do not reach the provider each time', async () => {
    const guard = guardWith({ cacheTtl: 30 });
    for (let index = 0; index < 5; index += 1) await guard.check('Bearer unknown-token');
    expect(provider.hits['/token/introspection']).toBe(1);
  });

  it('holds at most cacheSize answers, dropping the least recently used', async () => {
    const guard = guardWith({ cacheSize: 3 });
    for (const name of ['t1', 't2', 't3']) {
      answers.set(name, active());
      await guard.check(`Bearer ${name}`);
    }
    await guard.check('Bearer t1'); // t1 is now the most recent; t2 the least
    answers.set('t4', active());
    await guard.check('Bearer t4'); // evicts t2
    expect(provider.hits['/token/introspection']).toBe(4);
    await guard.check('Bearer t1');
    await guard.check('Bearer t3');
    expect(provider.hits['/token/introspection']).toBe(4);
    await guard.check('Bearer t2');
    expect(provider.hits['/token/introspection']).toBe(5);
  });
});
