// The operation rules as a table: thresholds in their currency, other currencies held to every threshold, and the
// decision treating an operation's level as a floor the request's acr_values cannot lower.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER, DEFAULT_OPERATIONS } from '../../../config/ladder.ts';
import { policySchema } from '../../../config/policy-schema.ts';
import { decide } from '../../../policy/decide.ts';
import { compareDecimal, operationRequirements, requirementsOfAll, sumDecimal } from '../../../policy/operations.ts';
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

describe('several payments in one request', () => {
  it.each([
    [['99.99', '0.01'], '100.00'],
    [['1', '0.5', '0.25'], '1.75'],
    [['0.0001', '0.9999'], '1.0000'],
    [['999999999999999', '1'], '1000000000000000'],
  ])('sumDecimal(%j) is %s', (values, total) => expect(sumDecimal(values)).toBe(total));

  it('are held to the threshold by their total per currency (ten of 99.99 EUR need phr)', () => {
    const acrs = (details: ReturnType<typeof pay>[]) => new Set(requirementsOfAll(details, DEFAULT_OPERATIONS).map((requirement) => requirement.acr));
    expect(acrs([pay('99.99')])).toEqual(new Set(['aal2']));
    expect(acrs(Array.from({ length: 10 }, () => pay('99.99')))).toEqual(new Set(['aal2', 'phr']));
    expect(acrs([pay('50.00'), pay('50.00')])).toEqual(new Set(['aal2']));
    expect(acrs([pay('50.00'), pay('50.01')])).toEqual(new Set(['aal2', 'phr']));
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
    const fresh = decide({ ...base, interactionEvents: new Set(['o']), request: request(['aal2'], [{ type: 'payment', acr: 'aal2', maxAge: 300 }], 99999) });
    expect(fresh).toMatchObject({ outcome: 'satisfied', acr: 'aal2' });
  });

  describe('dynamic linking: each operation is approved by a proof made for it', () => {
    const aal2Payment = [{ type: 'payment', acr: 'aal2', maxAge: 300 }];
    it('a session at aal2 a minute ago is asked for the code again (the password still counts)', () => {
      expect(decide({ ...base, request: request([], aal2Payment) })).toMatchObject({ outcome: 'step_up', acr: 'aal2', factors: ['otp'] });
    });
    it('the code proven in this interaction approves it', () => {
      expect(decide({ ...base, interactionEvents: new Set(['o']), request: request([], aal2Payment) })).toMatchObject({ outcome: 'satisfied', acr: 'aal2' });
    });
    it('a passkey the session proved for another operation does not approve this one: it asks for the passkey again', () => {
      const withPasskey = [...events, { id: 'k', accountId: 'a', factor: 'passkey' as const, amr: ['pop', 'user'], at: at - 30 }];
      expect(decide({ ...base, events: withPasskey, request: request([], [{ type: 'payment', acr: 'phr', maxAge: 300 }]) })).toMatchObject({ outcome: 'step_up', acr: 'phr', factors: ['passkey'] });
      expect(decide({ ...base, events: withPasskey, interactionEvents: new Set(['k']), request: request([], [{ type: 'payment', acr: 'phr', maxAge: 300 }]) })).toMatchObject({
        outcome: 'satisfied',
        acr: 'phr',
      });
    });
    it('a level the password alone reaches needs the password again', () => {
      expect(decide({ ...base, request: request([], [{ type: 'consent', acr: 'aal1' }]) })).toMatchObject({ outcome: 'step_up', factors: ['pwd'] });
    });
    it("without an operation the session's factors count as before", () => {
      expect(decide({ ...base, request: request(['aal2'], []) })).toMatchObject({ outcome: 'satisfied', acr: 'aal2' });
    });
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
