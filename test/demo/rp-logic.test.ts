// The demo's pure parts as tables: what the RP does with a challenge, what it infers the provider asked, and the ledger's rules.
import { describe, expect, it } from 'vitest';
import { nextStep } from '../../demo/rp/next-step.ts';
import { normalizeAmount, paymentDetails, tenfold, transferFromForm } from '../../demo/rp/payment.ts';
import { readChallenge } from '../../demo/rp/api-client.ts';
import { describeMethods, provenDuringStepUp } from '../../demo/rp/story.ts';
import type { Challenge, TokenFacts } from '../../demo/rp/types.ts';
import { formatCents, Ledger, parseAmount } from '../../demo/api/ledger.ts';

const challenge = (fields: Partial<Challenge>): Challenge => ({ status: 401, header: 'Bearer', ...fields });

describe('nextStep: what the RP does with a challenge it did not expect', () => {
  it.each<[string, Challenge, number, ReturnType<typeof nextStep>['kind'], Record<string, string> | undefined]>([
    [
      'step-up with acr_values and max_age',
      challenge({ error: 'insufficient_user_authentication', acrValues: ['aal2', 'phr'], maxAge: 300 }),
      0,
      'authorize',
      { acr_values: 'aal2 phr', max_age: '300' },
    ],
    ['step-up with max_age only', challenge({ error: 'insufficient_user_authentication', maxAge: 0 }), 0, 'authorize', { max_age: '0' }],
    ['step-up with acr_values only', challenge({ error: 'insufficient_user_authentication', acrValues: ['phr'] }), 0, 'authorize', { acr_values: 'phr' }],
    ['more scope', challenge({ status: 403, error: 'insufficient_scope', scope: ['api:write'] }), 0, 'authorize', { scope: 'api:write' }],
    ['an expired token', challenge({ error: 'invalid_token' }), 0, 'authorize', {}],
    ['no token at all', challenge({}), 0, 'authorize', {}],
    ['a malformed request', challenge({ status: 400, error: 'invalid_request' }), 0, 'stop', undefined],
    ['a second challenge after a round trip', challenge({ error: 'insufficient_user_authentication', acrValues: ['aal2'] }), 1, 'stop', undefined],
    // RFC 9396: no sign-in turns a token approved for one operation into another; the refusal is shown, not followed.
    ['a token that does not approve the operation', challenge({ status: 403, error: 'insufficient_authorization_details' }), 0, 'stop', undefined],
    ['a bad DPoP proof', challenge({ error: 'invalid_dpop_proof' }), 0, 'stop', undefined],
  ])('%s', (_name, given, rounds, kind, params) => {
    const step = nextStep(given, rounds);
    expect(step.kind).toBe(kind);
    if (step.kind === 'authorize') expect(step.params).toEqual(params);
  });

  it('shows, never follows, any refusal of a call made on purpose with a used operation token', () => {
    for (const error of ['invalid_token', 'insufficient_user_authentication', undefined]) {
      expect(nextStep(challenge({ error, errorDescription: 'the access token was already used' }), 0, true).kind).toBe('stop');
    }
    expect(nextStep(challenge({ error: 'invalid_token', errorDescription: 'the access token was already used' }), 0, true).why).toMatch(
      /^The API refused the token \(invalid_token: the access token was already used\)/,
    );
  });
});

describe('readChallenge: the DPoP or Bearer parameters as openid-client parsed them', () => {
  it('reads lists, an integer max_age, and ignores other schemes', () => {
    const parsed = readChallenge(401, 'h', [
      { scheme: 'basic', parameters: { error: 'x' } },
      { scheme: 'bearer', parameters: { error: 'insufficient_user_authentication', acr_values: 'aal2  phr', max_age: '300' } },
    ]);
    expect(parsed).toEqual({ status: 401, header: 'h', error: 'insufficient_user_authentication', errorDescription: undefined, acrValues: ['aal2', 'phr'], maxAge: 300, scope: undefined });
  });

  it('reads the DPoP scheme (RFC 9449 §7.1) the same way, and prefers it: the API answers a DPoP request with it', () => {
    const parsed = readChallenge(403, 'h', [
      { scheme: 'bearer', parameters: { error: 'invalid_token' } },
      { scheme: 'dpop', parameters: { error: 'insufficient_authorization_details', error_description: 'not the approved payment', algs: 'ES256' } },
    ]);
    expect(parsed).toMatchObject({ status: 403, error: 'insufficient_authorization_details', errorDescription: 'not the approved payment' });
    expect(readChallenge(401, 'h', [{ scheme: 'dpop', parameters: { error: 'insufficient_user_authentication', acr_values: 'phr', max_age: '300' } }])).toMatchObject({
      acrValues: ['phr'],
      maxAge: 300,
    });
  });

  it('drops a max_age that is not a whole number rather than guessing', () => {
    expect(readChallenge(401, 'h', [{ scheme: 'bearer', parameters: { max_age: '5m' } }])?.maxAge).toBeUndefined();
    expect(readChallenge(401, 'h', [{ scheme: 'basic', parameters: {} }])).toBeUndefined();
  });
});

describe('provenDuringStepUp: which factors the provider asked for, seen from the tokens', () => {
  const aal1: TokenFacts = { acr: 'aal1', amr: ['pwd'], authTime: 1000 };
  const aal2: TokenFacts = { acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], authTime: 1100 };
  it.each<[string, TokenFacts | undefined, TokenFacts, number | undefined, number, string[]]>([
    ['only the new factor when the password is still fresh', aal1, aal2, 300, 1090, ['otp']],
    ['every factor when the old sign-in was older than max_age', aal1, aal2, 300, 1400, ['pwd', 'otp']],
    ['every factor with max_age=0', aal1, aal2, 0, 1090, ['pwd', 'otp']],
    ['the new factor without max_age', aal1, aal2, undefined, 5000, ['otp']],
    ['nothing when auth_time did not move (the session already sufficed)', aal2, { ...aal2 }, 300, 1100, []],
    ["the new factor when the step-up finished within the sign-in's second (same auth_time)", aal1, { ...aal2, authTime: 1000 }, 300, 1000, ['otp']],
    ["the passkey when phr was reached within the sign-in's second", aal1, { acr: 'phr', amr: ['pop', 'user', 'mfa'], authTime: 1000 }, 300, 1000, ['pop', 'user']],
    ['what was re-proven when no method is new', aal1, { acr: 'aal1', amr: ['pwd'], authTime: 1200 }, undefined, 1150, ['pwd']],
    ['everything at the first sign-in', undefined, aal2, undefined, 1000, ['pwd', 'otp']],
  ])('%s', (_name, before, after, maxAge, sentAt, expected) => {
    expect(provenDuringStepUp(before, after, maxAge, sentAt)).toEqual(expected);
  });
});

describe('the demo ledger', () => {
  it.each<[unknown, number | undefined]>([
    ['25', 2500],
    ['25.5', 2550],
    ['25.50', 2550],
    [' 1.00 ', 100],
    [12, 1200],
    ['0', undefined],
    ['-5', undefined],
    ['1.234', undefined],
    ['1e3', undefined],
    ['', undefined],
    [null, undefined],
    ['99999999', undefined],
  ])('parses %j as %j cents', (value, cents) => {
    expect(parseAmount(value)).toBe(cents);
  });

  it('moves money only within the balance, in euros, to a sensible recipient', () => {
    const ledger = new Ledger();
    const bob = { creditorName: 'bob', iban: 'DE89370400440532013000' };
    expect(ledger.transfer('alice', bob, '999.99')).toMatchObject({ creditorName: 'bob', iban: 'DE89370400440532013000', cents: 99_999 });
    expect(ledger.transfer('alice', bob, '0.02')).toBe('insufficient_funds');
    expect(ledger.transfer('alice', { ...bob, creditorName: '<script>' }, '0.01')).toBe('invalid_recipient');
    expect(ledger.transfer('alice', { ...bob, iban: 'de89 3704' }, '0.01')).toBe('invalid_recipient');
    expect(ledger.transfer('alice', bob, '0.01', 'USD')).toBe('invalid_amount');
    expect(formatCents(ledger.balance('alice'))).toBe('0.01');
    expect(formatCents(ledger.balance('bob'))).toBe('1000.00');
  });
});

describe('the transfer form as a payment (RFC 9396)', () => {
  it.each<[string, string | undefined]>([
    ['25', '25.00'],
    ['25.5', '25.50'],
    [' 500.00 ', '500.00'],
    ['0.01', '0.01'],
    ['007', '7.00'],
    ['0', undefined],
    ['0.00', undefined],
    ['-1', undefined],
    ['1.234', undefined],
    ['1e3', undefined],
    ['12345678', undefined],
    ['', undefined],
  ])('normalizes the amount %j to %j: the one form the token carries and the API compares', (value, amount) => {
    expect(normalizeAmount(value)).toBe(amount);
  });

  it('makes the details the policy declares from the form (IBAN without spaces, upper case), or names the bad field', () => {
    const transfer = transferFromForm({ creditorName: ' ACME Ltd ', iban: 'de89 3704 0044 0532 0130 00', amount: '500' });
    expect(transfer).toEqual({ amount: '500.00', currency: 'EUR', creditorName: 'ACME Ltd', iban: 'DE89370400440532013000' });
    expect(paymentDetails(transfer as Exclude<typeof transfer, string>)).toEqual([
      { type: 'payment', instructedAmount: { currency: 'EUR', amount: '500.00' }, creditorName: 'ACME Ltd', creditorAccount: { iban: 'DE89370400440532013000' } },
    ]);
    expect(transferFromForm({ creditorName: 'ACME', iban: 'DE89370400440532013000', amount: 'lots' })).toBe('invalid_amount');
    expect(transferFromForm({ creditorName: '<img>', iban: 'DE89370400440532013000', amount: '1' })).toBe('invalid_creditor');
    expect(transferFromForm({ creditorName: 'ACME', iban: 'DE89', amount: '1' })).toBe('invalid_iban');
    expect(transferFromForm({})).toBe('invalid_amount');
  });

  it('tenfold is ten times the amount, to the cent', () => {
    const base = { currency: 'EUR', creditorName: 'ACME Ltd', iban: 'DE89370400440532013000' };
    expect(tenfold({ ...base, amount: '500.00' }).amount).toBe('5000.00');
    expect(tenfold({ ...base, amount: '0.05' }).amount).toBe('0.50');
    expect(tenfold({ ...base, amount: '25.55' }).amount).toBe('255.50');
  });
});

describe('describeMethods: amr for people', () => {
  it.each<[string[], string[]]>([
    [['otp'], ['one-time code (otp)']],
    [
      ['pwd', 'otp'],
      ['password (pwd)', 'one-time code (otp)'],
    ],
    [['pop', 'hwk', 'user'], ['passkey, device-bound (hwk)']],
    [['pop', 'swk', 'user'], ['passkey, synced (swk)']],
    [
      ['pop', 'user'],
      ['proof of possession of a key (pop)', 'user verification (user)'],
    ],
    [['urn:example:custom'], ['urn:example:custom']],
  ])('%j reads as %j', (methods, words) => {
    expect(describeMethods(methods)).toEqual(words);
  });
});
