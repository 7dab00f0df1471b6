// Scope and resource rules at a refresh, as a table against the clock: level, rule maxAge or the level's, fail closed.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER } from '../../config/ladder.ts';
import { refreshScopes, type RefreshInput } from '../../policy/refresh-rules.ts';
import type { ScopeRule } from '../../policy/types.ts';

const T = 1_700_000_000;
const API = 'https://api.example';
const rules: ScopeRule[] = [
  { scope: 'payments', acr: 'phr', maxAge: 300 },
  { scope: 'admin', acr: 'aal2' },
  { resource: API, acr: 'aal2' },
];
const base: RefreshInput = { ladder: DEFAULT_LADDER, rules, acr: 'phr', authTime: T, scopes: ['openid', 'read', 'payments'], now: T };

describe('refreshScopes', () => {
  it.each<[string, Partial<RefreshInput>, string[], string[], boolean]>([
    ['within the rule: everything kept', { now: T + 300 }, ['openid', 'read', 'payments'], [], false],
    ['past the rule maxAge: the governed scope dropped', { now: T + 301 }, ['openid', 'read'], ['payments'], false],
    ['a lower level than the rule: dropped at once', { acr: 'aal2' }, ['openid', 'read'], ['payments'], false],
    ['an unknown acr on the token: dropped (fail closed)', { acr: 'legacy' }, ['openid', 'read'], ['payments'], false],
    ['no acr on the token: dropped', { acr: undefined }, ['openid', 'read'], ['payments'], false],
    ['no auth_time on the token: dropped', { authTime: undefined }, ['openid', 'read'], ['payments'], false],
    ['ungoverned scopes never lapse', { scopes: ['openid', 'read'], now: T + 10 * 86400 }, ['openid', 'read'], [], false],
    ["without a rule maxAge, the level's (aal2: 12 h) holds", { acr: 'aal2', scopes: ['admin'], now: T + 12 * 3600 }, ['admin'], [], false],
    ["without a rule maxAge, the level's (aal2: 12 h) lapses", { acr: 'aal2', scopes: ['admin'], now: T + 12 * 3600 + 1 }, [], ['admin'], false],
    ['a higher level meets a lower rule', { acr: 'phr', scopes: ['admin'], now: T + 60 }, ['admin'], [], false],
    ["a resource rule within the level's maxAge", { acr: 'aal2', resource: API, scopes: ['read'], now: T + 3600 }, ['read'], [], false],
    ["a resource rule past the level's maxAge", { acr: 'aal2', resource: API, scopes: ['read'], now: T + 12 * 3600 + 1 }, ['read'], [], true],
    ['a resource rule below its level', { acr: 'aal1', resource: API, scopes: ['read'] }, ['read'], [], true],
    ['another resource is not governed', { acr: 'aal1', resource: 'https://other.example', scopes: ['read'] }, ['read'], [], false],
  ])('%s', (_name, change, kept, dropped, resourceLapsed) => {
    const outcome = refreshScopes({ ...base, ...change });
    expect(outcome.kept).toEqual(kept);
    expect(outcome.dropped.map((drop) => drop.scope)).toEqual(dropped);
    expect(outcome.resourceLapsed !== undefined).toBe(resourceLapsed);
  });

  it('says why, with the numbers an operator can check', () => {
    expect(refreshScopes({ ...base, now: T + 301 }).dropped).toEqual([{ scope: 'payments', reason: 'the sign-in is older than the 300 s phr allows' }]);
    expect(refreshScopes({ ...base, acr: 'aal1' }).dropped).toEqual([{ scope: 'payments', reason: 'the sign-in reached aal1, below phr' }]);
    expect(refreshScopes({ ...base, rules: [{ scope: 'payments', acr: 'gone' }] }).dropped).toEqual([{ scope: 'payments', reason: 'gone is not on the ladder' }]);
  });
});
