// The operation rules as a table: thresholds in their currency, other currencies held to every threshold, and the
// decision treating an operation's level as a floor the request's acr_values cannot lower.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, DEFAULT_OPERATIONS } from '../../../config/ladder.ts';
import { policySchema } from '../../../config/policy-schema.ts';
import { decide } from '../../../policy/decide.ts';
import { compareDecimal, operationRequirements } from '../../../policy/operations.ts';
import type { AuthEvent, AuthRequest } from '../../../policy/types.ts';

const payment = DEFAULT_OPERATIONS.payment!;
const pay = (amount: string, currency = 'EUR') => ({ type: 'payment', instructedAmount: { currency, amount }, creditorName: 'ACME', creditorAccount: { iban: 'DE89370400440532013000' } });

describe('compareDecimal', () => {
  it.each([
    ['100.00', '100', 0],
    ['100.01', '100.00', 1],
    ['99.999', '100', -1],
    ['0.1', '0.10', 0],
    ['1000000000000.0001', '1000000000000', 1],
    ['9', '10', -1],
  ])('%s vs %s is %i', (a, b, expected) => expect(compareDecimal(a, b)).toBe(expected));
});

describe('operationRequirements (the default payment type)', () => {
  it.each([
    ['0.01 EUR', pay('0.01'), ['aal2']],
    ['100.00 EUR, the threshold itself', pay('100.00'), ['aal2']],
    ['100.01 EUR', pay('100.01'), ['aal2', 'phr']],
    ['5000 EUR', pay('5000'), ['aal2', 'phr']],
    ['1.00 USD, a currency no threshold names', pay('1.00', 'USD'), ['aal2', 'phr']],
  ])('%s needs %j', (_name, detail, acrs) => {
    expect(operationRequirements('payment', detail, payment).map((requirement) => requirement.acr)).toEqual(acrs);
  });

  it('keeps each requirement maxAge', () => {
    expect(operationRequirements('payment', pay('500.00'), payment)).toEqual([
      { type: 'payment', acr: 'aal2', maxAge: 300 },
      { type: 'payment', acr: 'phr', maxAge: 300 },
    ]);
  });

  it('a currency with its own threshold is measured against that one only', () => {
    const policy = {
      acr: 'aal1',
      rules: [
        { amount: { field: 'instructedAmount', currency: 'EUR', above: '100' }, acr: 'phr' },
        { amount: { field: 'instructedAmount', currency: 'JPY', above: '20000' }, acr: 'aal2' },
      ],
    };
    expect(operationRequirements('payment', pay('15000', 'JPY'), policy).map((r) => r.acr)).toEqual(['aal1']);
    expect(operationRequirements('payment', pay('25000', 'JPY'), policy).map((r) => r.acr)).toEqual(['aal1', 'aal2']);
    expect(operationRequirements('payment', pay('1', 'GBP'), policy).map((r) => r.acr)).toEqual(['aal1', 'phr', 'aal2']);
  });
});

describe('the decision with an operation', () => {
  const at = 1_000_000;
  const request = (acrValues: string[], operations: AuthRequest['operations'], maxAge?: number): AuthRequest => ({
    acrValues,
    essential: false,
    maxAge,
    forceLogin: false,
    promptNone: false,
    scopes: ['openid'],
    resources: [],
    operations,
  });
  const events: AuthEvent[] = [
    { id: 'p', accountId: 'a', factor: 'pwd', amr: ['pwd'], at: at - 60 },
    { id: 'o', accountId: 'a', factor: 'otp', amr: ['otp'], at: at - 60 },
  ];
  const base = { ladder: DEFAULT_LADDER, strict: true, client: { clientId: 'rp' }, rules: [], accountId: 'a', events, enrolled: new Set(['pwd', 'otp', 'passkey'] as const), now: at };

  it.each([
    ['no acr_values', []],
    ['acr_values=aal1', ['aal1']],
    ['acr_values=aal2', ['aal2']],
  ])('an operation needing phr asks for the passkey whatever the request says (%s)', (_name, acrValues) => {
    const decision = decide({ ...base, request: request(acrValues, [{ type: 'payment', acr: 'phr', maxAge: 300 }]) });
    expect(decision).toMatchObject({ outcome: 'step_up', acr: 'phr', factors: ['passkey'] });
  });

  it("an operation's max_age binds even when the request's is longer", () => {
    const old = decide({ ...base, events: events.map((event) => ({ ...event, at: at - 400 })), request: request(['aal2'], [{ type: 'payment', acr: 'aal2', maxAge: 300 }], 99999) });
    expect(old.outcome).toBe('step_up');
    const fresh = decide({ ...base, request: request(['aal2'], [{ type: 'payment', acr: 'aal2', maxAge: 300 }], 99999) });
    expect(fresh).toMatchObject({ outcome: 'satisfied', acr: 'aal2' });
  });
});

describe('operation types in the policy file', () => {
  const withOperations = (operations: unknown) => policySchema.safeParse({ ladder: DEFAULT_LADDER, operations });
  const message = (result: ReturnType<typeof withOperations>) => (result.success ? '' : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));

  it('accepts the defaults', () => expect(withOperations(DEFAULT_OPERATIONS).success).toBe(true));
  it.each([
    ['a placeholder naming no field', { t: { summary: 'Pay {amount}', acr: 'aal2' } }, /placeholder \{amount\} names no declared field/],
    ['an unknown level', { t: { summary: 'Do it', acr: 'aal9' } }, /unknown acr "aal9"/],
    [
      'a threshold on a field that is not an amount',
      { t: { summary: 'x', fields: { n: { type: 'string' } }, acr: 'aal1', rules: [{ amount: { field: 'n', currency: 'EUR', above: '1' }, acr: 'phr' }] } },
      /"n" is not an amount field/,
    ],
    ['a threshold written as a number', { t: { summary: 'x', fields: { a: { type: 'amount' } }, acr: 'aal1', rules: [{ amount: { field: 'a', currency: 'EUR', above: 100 }, acr: 'phr' }] } }, /above/],
    ['an unknown field type', { t: { summary: 'x', fields: { a: { type: 'money' } }, acr: 'aal1' } }, /fields\.a/],
    ['an unknown setting', { t: { summary: 'x', acr: 'aal1', maxage: 3 } }, /maxage|Unrecognized/],
  ])('refuses %s, naming it', (_name, operations, expected) => {
    const result = withOperations(operations);
    expect(result.success).toBe(false);
    expect(message(result)).toMatch(expected);
  });
});
