// Operation-bound tokens (RFC 9396 authorization_details): the route's matcher, and single use (sequential and concurrent).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createGuard,
  GuardConfigError,
  memoryReplayStore,
  ReplayStoreFullError,
  type AuthorizationDetail,
  type Guard,
  type GuardRequest,
  type GuardResult,
  type OperationRequirement,
  type ReplayStore,
} from '../../resource-server/index.ts';
import { accessToken, AUDIENCE, fakeProvider, PAYMENT, testKey, type FakeProvider, type TestKey } from './fixtures.ts';

const NOW = 1_700_000_000;
let provider: FakeProvider;
let key: TestKey;
let guard: Guard;

beforeAll(async () => {
  key = await testKey('key-1');
  provider = await fakeProvider([key]);
  guard = createGuard({ issuer: provider.issuer, audience: AUDIENCE, ladder: ['aal1', 'aal2', 'phr'], now: () => NOW });
});
afterAll(async () => provider?.close());

interface TransferBody {
  amount: string;
  currency: string;
  iban: string;
}

/** The demo bank's transfer route, declaratively: the body's amount, currency and IBAN must be the approved ones. */
const PAY: OperationRequirement = {
  type: 'payment',
  fields: ({ body }) => {
    const { amount, currency, iban } = body as TransferBody;
    return { instructedAmount: { amount, currency }, creditorAccount: { iban } };
  },
};

const TRANSFER: TransferBody = { amount: '500.00', currency: 'EUR', iban: PAYMENT.creditorAccount.iban };

function token(details?: unknown, claims: Record<string, unknown> = {}) {
  return accessToken({ key, issuer: provider.issuer, now: NOW, claims: { acr: 'phr', authorization_details: details, ...claims } });
}

async function transfer(authorization: string, body: unknown, requirement: Parameters<Guard['check']>[1] = { operation: PAY }, on: Guard = guard): Promise<GuardResult> {
  const request: GuardRequest = { authorization: `Bearer ${authorization}`, method: 'POST', url: 'https://api.example/transfer', body };
  return on.check(request, requirement);
}

function refused(result: GuardResult) {
  if (result.ok) throw new Error('expected a refusal, the request passed');
  return result;
}

describe('the token exposes what it approves', () => {
  it('authorization_details, next to acr, amr and auth_time, on any route', async () => {
    const result = await transfer(await token([PAYMENT]), undefined, {});
    if (!result.ok) throw result.error;
    expect(result.token).toMatchObject({ acr: 'phr', amr: ['pwd'], authTime: NOW - 10, authorizationDetails: [PAYMENT] });
    expect(result.token.operation).toBeUndefined();
  });

  it('and, on a route with an operation, the detail that approved the request', async () => {
    const result = await transfer(await token([PAYMENT]), TRANSFER);
    expect(result.ok && result.token.operation).toEqual(PAYMENT);
  });
});

describe('a route that performs a payment', () => {
  it.each<[string, unknown]>([
    ['a changed amount (5 000 EUR)', { ...TRANSFER, amount: '5000.00' }],
    ['the same amount written differently (500 for 500.00)', { ...TRANSFER, amount: '500' }],
    ['the amount as a number', { ...TRANSFER, amount: 500 }],
    ['another currency', { ...TRANSFER, currency: 'USD' }],
    ['another creditor', { ...TRANSFER, iban: 'GB33BUKB20201555555555' }],
    ['a body without the amount', { currency: 'EUR', iban: TRANSFER.iban }],
    ['no body at all', undefined],
    ['a body that is not an object', 'amount=500.00'],
  ])('refuses %s with 403 insufficient_authorization_details', async (_name, body) => {
    const result = refused(await transfer(await token([PAYMENT]), body));
    expect(result.status).toBe(403);
    expect(result.error.code).toBe('operation_mismatch');
    expect(result.headers['WWW-Authenticate']).toMatch(/^Bearer error="insufficient_authorization_details", error_description="[^"]+"$/);
    expect(result.body).toEqual({ error: 'insufficient_authorization_details', error_description: result.error.message });
  });

  it.each<[string, unknown]>([
    ['no authorization_details', undefined],
    ['an empty list', []],
    ['only another type', [{ ...PAYMENT, type: 'account_deletion' }]],
  ])('refuses a token with %s: it approves no payment', async (_name, details) => {
    const result = refused(await transfer(await token(details), TRANSFER));
    expect(result.status).toBe(403);
    expect(result.error.code).toBe('operation_missing');
    expect(result.error.message).toBe('the token does not approve any payment operation (authorization_details)');
  });

  it('lets the approved payment through, whatever else the detail holds (creditorName, remittance)', async () => {
    expect((await transfer(await token([{ ...PAYMENT, remittanceInformationUnstructured: 'invoice 42' }]), TRANSFER)).ok).toBe(true);
  });

  it('finds the matching detail among several, and refuses what none of them approves', async () => {
    const rent = { ...PAYMENT, instructedAmount: { currency: 'EUR', amount: '900.00' }, creditorAccount: { iban: 'FR1420041010050500013M02606' } };
    const details = [{ type: 'account_information', accounts: ['x'] }, PAYMENT, rent];
    const result = await transfer(await token(details), { amount: '900.00', currency: 'EUR', iban: rent.creditorAccount.iban });
    expect(result.ok && result.token.operation).toEqual(rent);
    // The amount of one and the creditor of the other: no single detail approves it.
    expect(refused(await transfer(await token(details), { amount: '900.00', currency: 'EUR', iban: PAYMENT.creditorAccount.iban })).error.code).toBe('operation_mismatch');
  });

  it('approves at the locations a detail names only (RFC 9396 §2.2): this API by its audience or origin, nowhere else', async () => {
    const at = (locations: string[]) => ({ ...PAYMENT, locations });
    expect((await transfer(await token([at([`${AUDIENCE}/`])]), TRANSFER)).ok).toBe(true);
    expect(refused(await transfer(await token([at(['https://other-bank.example/api'])]), TRANSFER)).error.code).toBe('operation_mismatch');
    const behindProxy = createGuard({ issuer: provider.issuer, audience: 'urn:example:payments', origin: 'https://pay.example', ladder: ['aal1', 'aal2', 'phr'], now: () => NOW });
    const onOrigin = await accessToken({ key, issuer: provider.issuer, now: NOW, claims: { aud: 'urn:example:payments', acr: 'phr', authorization_details: [at(['https://pay.example'])] } });
    expect((await transfer(onOrigin, TRANSFER, { operation: PAY }, behindProxy)).ok).toBe(true);
  });

  it('answers a token that is short of the level with the step-up challenge first', async () => {
    const result = refused(await transfer(await token([PAYMENT], { acr: 'aal1' }), TRANSFER, { acr: 'phr', operation: PAY }));
    expect(result.error.code).toBe('acr_too_low');
  });
});

describe('a route with a match function', () => {
  const atMost = (limit: number): OperationRequirement => ({
    type: 'payment',
    match: (detail, request) =>
      Number((detail.instructedAmount as { amount: string }).amount) >= Number((request.body as TransferBody).amount) && Number((request.body as TransferBody).amount) <= limit,
  });

  it('decides in code: a smaller amount than approved passes when the route says so', async () => {
    expect((await transfer(await token([PAYMENT]), { ...TRANSFER, amount: '120.00' }, { operation: atMost(1000) })).ok).toBe(true);
    expect(refused(await transfer(await token([PAYMENT]), { ...TRANSFER, amount: '501.00' }, { operation: atMost(1000) })).error.code).toBe('operation_mismatch');
  });

  it('with fields too, both must hold', async () => {
    const both: OperationRequirement = { ...PAY, match: () => false };
    expect(refused(await transfer(await token([PAYMENT]), TRANSFER, { operation: both })).error.code).toBe('operation_mismatch');
  });

  it('only a strict true approves (a truthy string does not)', async () => {
    const sloppy = { type: 'payment', match: () => 'yes' } as unknown as OperationRequirement;
    expect(refused(await transfer(await token([PAYMENT]), TRANSFER, { operation: sloppy })).error.code).toBe('operation_mismatch');
  });

  it('that throws refuses the request with 403, the exception kept as the cause, never a 500', async () => {
    const broken: OperationRequirement = {
      type: 'payment',
      match: (_detail: AuthorizationDetail, request) => (request.body as { a: { b: string } }).a.b === 'x',
    };
    const result = refused(await transfer(await token([PAYMENT]), {}, { operation: broken }));
    expect(result.status).toBe(403);
    expect(result.error.cause).toBeInstanceOf(TypeError);
  });
});

describe('an operation requirement is checked when the route is declared', () => {
  it.each<[string, unknown]>([
    ['no type', { fields: () => ({}) }],
    ['an empty type', { type: '' }],
    ['fields that is not a function', { type: 'payment', fields: { amount: '1' } }],
    ['match that is not a function', { type: 'payment', match: true }],
  ])('refuses %s', (_name, operation) => {
    expect(() => guard.protect({ operation: operation as OperationRequirement })).toThrow(GuardConfigError);
  });

  it('refuses a singleUse that is not a boolean', () => {
    expect(() => guard.protect({ singleUse: 'yes' as unknown as boolean })).toThrow(/singleUse must be true or false/);
  });
});

describe('single use', () => {
  it('accepts the token once; the second use gets 401 invalid_token', async () => {
    const once = await token([PAYMENT]);
    const route = guard.protect({ operation: PAY, singleUse: true });
    const request = { authorization: `Bearer ${once}`, body: TRANSFER };
    expect((await route(request)).ok).toBe(true);
    const again = refused(await route(request));
    expect(again.status).toBe(401);
    expect(again.error.code).toBe('token_already_used');
    expect(again.headers['WWW-Authenticate']).toBe('Bearer error="invalid_token", error_description="the access token was already used: it is valid for one request only"');
  });

  it('lets exactly one of several simultaneous uses through', async () => {
    const once = await token([PAYMENT]);
    const route = guard.protect({ operation: PAY, singleUse: true });
    const results = await Promise.all(Array.from({ length: 8 }, () => route({ authorization: `Bearer ${once}`, body: TRANSFER })));
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(new Set(results.filter((result) => !result.ok).map((result) => !result.ok && result.error.code))).toEqual(new Set(['token_already_used']));
  });

  it('does not use the token up when the request is refused for another reason (a changed amount)', async () => {
    const once = await token([PAYMENT]);
    const route = guard.protect({ operation: PAY, singleUse: true });
    expect(refused(await route({ authorization: `Bearer ${once}`, body: { ...TRANSFER, amount: '5000.00' } })).error.code).toBe('operation_mismatch');
    expect((await route({ authorization: `Bearer ${once}`, body: TRANSFER })).ok).toBe(true);
  });

  it('counts uses across routes that ask for single use, and leaves other routes alone', async () => {
    const once = await token([PAYMENT]);
    expect((await guard.check(`Bearer ${once}`, { singleUse: true })).ok).toBe(true);
    expect((await guard.check(`Bearer ${once}`, {})).ok).toBe(true);
    expect(refused(await guard.check({ authorization: `Bearer ${once}`, body: TRANSFER }, { operation: PAY, singleUse: true })).error.code).toBe('token_already_used');
  });

  it('keeps a used token until it expires (plus the clock tolerance), in a shared store', async () => {
    const seen: Array<[string, number]> = [];
    const inner = memoryReplayStore({ now: () => NOW });
    const store: ReplayStore = { consume: (id, expiresAt) => (seen.push([id, expiresAt]), inner.consume(id, expiresAt)) };
    const first = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, replayStore: store });
    const second = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, replayStore: store });
    const once = await token([PAYMENT], { jti: 'payment-jti-1', exp: NOW + 120 });
    expect((await first.check(`Bearer ${once}`, { singleUse: true })).ok).toBe(true);
    // Another API instance sharing the store sees the use.
    expect(refused(await second.check(`Bearer ${once}`, { singleUse: true })).error.code).toBe('token_already_used');
    expect(seen[0]).toEqual(['at:jti:payment-jti-1', NOW + 120 + 5 + 1]);
  });

  it('answers 503 (never lets the token through) when the store cannot answer', async () => {
    const down: ReplayStore = { consume: async () => Promise.reject(new Error('redis: connection refused')) };
    const offline = createGuard({ issuer: provider.issuer, audience: AUDIENCE, now: () => NOW, replayStore: down });
    const result = refused(await offline.check(`Bearer ${await token([PAYMENT])}`, { singleUse: true }));
    expect(result.status).toBe(503);
    expect(result.error.code).toBe('replay_store_unavailable');
    expect(result.headers).toEqual({ 'Retry-After': '5' });
  });
});

describe('the in-memory replay store', () => {
  it('forgets an entry once it expires', async () => {
    let now = NOW;
    const store = memoryReplayStore({ now: () => now });
    expect(await store.consume('a', NOW + 10)).toBe(true);
    expect(await store.consume('a', NOW + 10)).toBe(false);
    now = NOW + 10;
    expect(await store.consume('a', NOW + 20)).toBe(true);
  });

  it('makes room by dropping expired entries, and refuses rather than forget an unexpired one', async () => {
    let now = NOW;
    const store = memoryReplayStore({ maxSize: 2, now: () => now });
    expect(await store.consume('a', NOW + 5)).toBe(true);
    expect(await store.consume('b', NOW + 100)).toBe(true);
    await expect(store.consume('c', NOW + 100)).rejects.toThrow(ReplayStoreFullError);
    // Still remembered: a full store never lets a replay through.
    expect(await store.consume('b', NOW + 100)).toBe(false);
    now = NOW + 5;
    expect(await store.consume('c', NOW + 100)).toBe(true);
    expect(store.size).toBe(2);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => memoryReplayStore({ maxSize: 0 })).toThrow(RangeError);
  });
});
