// The access token's constraints as a table: base lifetime × level × resource × operations → lifetime and DPoP.
import { describe, expect, it } from 'vitest';
import { policySchema } from '../../config/policy-schema.ts';
import { tokenConstraints, type TokenRule } from '../../policy/token-constraints.ts';

const level = (accessTokenTTL?: number, dpop?: boolean): TokenRule => ({ source: 'level phr', accessTokenTTL, dpop });
const resource = (dpop?: boolean): TokenRule => ({ source: 'resource https://api.example', dpop });
const operation = (type: string, accessTokenTTL?: number, dpop?: boolean): TokenRule => ({ source: `operation ${type}`, accessTokenTTL, dpop });

describe('tokenConstraints', () => {
  it.each<[string, number, TokenRule[], number, string[]]>([
    ['no rule: the base lifetime, bearer', 600, [], 600, []],
    ['a level without constraints changes nothing', 600, [level()], 600, []],
    ['a shorter level lifetime wins', 600, [level(120)], 120, []],
    ['a longer level lifetime never extends the base', 90, [level(120)], 90, []],
    ['the shortest of level and operations wins', 600, [level(300), operation('payment', 120), operation('delete', 240)], 120, []],
    ['a level requiring DPoP', 600, [level(undefined, true)], 600, ['level phr']],
    ['a resource requiring DPoP', 600, [level(), resource(true)], 600, ['resource https://api.example']],
    ['one operation requiring DPoP is enough', 600, [operation('read', undefined, false), operation('payment', 120, true)], 120, ['operation payment']],
    ['dpop: false never lifts another requirement', 600, [level(undefined, false), resource(true), operation('payment', undefined, false)], 600, ['resource https://api.example']],
    ['every source that requires DPoP is named', 600, [level(60, true), resource(true), operation('payment', 30, true)], 30, ['level phr', 'resource https://api.example', 'operation payment']],
  ])('%s', (_name, base, rules, ttl, dpop) => {
    expect(tokenConstraints(base, rules)).toEqual({ accessTokenTTL: ttl, dpopRequiredBy: dpop });
  });
});

describe("the policy file's level constraints", () => {
  const ladder = (extra: Record<string, unknown>) => [{ acr: 'aal1', rank: 1, combinations: [['pwd']], maxAge: 3600, ...extra }];

  it('accepts accessTokenTTL and dpop on a level, and leaves them unset by default', () => {
    expect(policySchema.parse({ ladder: ladder({ accessTokenTTL: 120, dpop: true }) }).ladder[0]).toMatchObject({ accessTokenTTL: 120, dpop: true });
    const plain = policySchema.parse({ ladder: ladder({}) }).ladder[0]!;
    expect(plain.accessTokenTTL).toBeUndefined();
    expect(plain.dpop).toBeUndefined();
  });

  it.each([
    ['a zero lifetime', { accessTokenTTL: 0 }],
    ['a fractional lifetime', { accessTokenTTL: 1.5 }],
    ['a lifetime as text', { accessTokenTTL: '120' }],
    ['dpop as text', { dpop: 'yes' }],
  ])('refuses %s', (_name, extra) => {
    expect(policySchema.safeParse({ ladder: ladder(extra) }).success).toBe(false);
  });
});
