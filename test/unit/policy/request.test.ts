// Table-driven tests of parseAuthRequest: the authorization request's step-up parameters.
import { describe, expect, it } from 'vitest';
import { PolicyError } from '../../../policy/errors.ts';
import { parseAuthRequest, parseMaxAge, type RawRequest } from '../../../policy/request.ts';
import type { AuthRequest } from '../../../policy/types.ts';

const DEFAULTS: AuthRequest = {
  acrValues: [],
  essential: false,
  maxAge: undefined,
  forceLogin: false,
  promptNone: false,
  scopes: [],
  resources: [],
};

const many = (n: number) => Array.from({ length: n }, (_, i) => `acr${i}`);
const acrClaim = (acr: unknown) => ({ id_token: { acr } });

describe('parseAuthRequest: accepted input', () => {
  it.each<[string, RawRequest, Partial<AuthRequest>]>([
    ['empty request → defaults', {}, {}],
    ['acr_values in preference order', { acr_values: 'aal2 aal1' }, { acrValues: ['aal2', 'aal1'] }],
    ['acr_values with extra spaces', { acr_values: '  aal2   aal1 ' }, { acrValues: ['aal2', 'aal1'] }],
    ['acr_values empty string → none', { acr_values: '' }, { acrValues: [] }],
    ['acr_values with 20 values (the limit)', { acr_values: many(20).join(' ') }, { acrValues: many(20) }],
    ['acr_values URIs kept verbatim', { acr_values: 'urn:example:acr:mfa' }, { acrValues: ['urn:example:acr:mfa'] }],
    ['max_age "0"', { max_age: '0' }, { maxAge: 0 }],
    ['max_age 0 (number)', { max_age: 0 }, { maxAge: 0 }],
    ['max_age "300"', { max_age: '300' }, { maxAge: 300 }],
    ['max_age 300 (number)', { max_age: 300 }, { maxAge: 300 }],
    ['max_age "" → not requested', { max_age: '' }, { maxAge: undefined }],
    ['prompt=login', { prompt: 'login' }, { forceLogin: true }],
    ['prompt=none', { prompt: 'none' }, { promptNone: true }],
    ['prompt="login consent"', { prompt: 'login consent' }, { forceLogin: true }],
    ['prompt=consent → neither flag', { prompt: 'consent' }, {}],
    ['scope words', { scope: 'openid payments' }, { scopes: ['openid', 'payments'] }],
    ['resource string', { resource: 'https://api.example.com/a' }, { resources: ['https://api.example.com/a'] }],
    ['resource array', { resource: ['https://api.example.com/a', 'https://api.example.com/b'] }, { resources: ['https://api.example.com/a', 'https://api.example.com/b'] }],
    ['essential claim values take precedence over acr_values', { acr_values: 'aal1', claims: acrClaim({ essential: true, values: ['phr', 'aal2'] }) }, { acrValues: ['phr', 'aal2'], essential: true }],
    ['essential claim with a single value', { claims: acrClaim({ essential: true, value: 'aal2' }) }, { acrValues: ['aal2'], essential: true }],
    ['non-essential claim values ignored when acr_values is present', { acr_values: 'aal1', claims: acrClaim({ values: ['aal2'] }) }, { acrValues: ['aal1'], essential: false }],
    ['non-essential claim values used when acr_values is absent', { claims: acrClaim({ values: ['aal2', 'aal1'] }) }, { acrValues: ['aal2', 'aal1'], essential: false }],
    ['essential: false is a voluntary claim', { claims: acrClaim({ essential: false, value: 'aal2' }) }, { acrValues: ['aal2'], essential: false }],
    ['claims without id_token.acr → ignored', { acr_values: 'aal1', claims: { id_token: {} } }, { acrValues: ['aal1'] }],
    ['claims.userinfo.acr is not an id_token request', { claims: { userinfo: { acr: { essential: true, values: ['phr'] } } } }, { acrValues: [], essential: false }],
  ])('%s', (_name, raw, expected) => {
    expect(parseAuthRequest(raw)).toEqual({ ...DEFAULTS, ...expected });
  });
});

describe('parseAuthRequest: rejected input → PolicyError invalid_request', () => {
  it.each<[string, RawRequest]>([
    ['max_age "-1"', { max_age: '-1' }],
    ['max_age -1 (number)', { max_age: -1 }],
    ['max_age 1.5 (number)', { max_age: 1.5 }],
    ['max_age "1.5"', { max_age: '1.5' }],
    ['max_age "abc"', { max_age: 'abc' }],
    ['max_age "10s"', { max_age: '10s' }],
    ['max_age NaN', { max_age: Number.NaN }],
    ['max_age Infinity', { max_age: Number.POSITIVE_INFINITY }],
    ['max_age true', { max_age: true }],
    ['max_age object', { max_age: { seconds: 5 } }],
    ['acr_values with 21 values', { acr_values: many(21).join(' ') }],
    ['claims.id_token.acr.values not an array', { claims: acrClaim({ essential: true, values: 'aal2' }) }],
    ['claims.id_token.acr.values with an empty string', { claims: acrClaim({ essential: true, values: [''] }) }],
    ['claims.id_token.acr.values with a number', { claims: acrClaim({ essential: true, values: [2] }) }],
    ['claims.id_token.acr.values with 21 values', { claims: acrClaim({ essential: true, values: many(21) }) }],
    ['claims.id_token.acr.value empty', { claims: acrClaim({ essential: true, value: '' }) }],
    ['claims.id_token.acr.essential "true" (string)', { claims: acrClaim({ essential: 'true', value: 'aal2' }) }],
    ['claims.id_token.acr.essential 1', { claims: acrClaim({ essential: 1, value: 'aal2' }) }],
    ['claims.id_token.acr not an object', { claims: acrClaim('aal2') }],
  ])('%s', (_name, raw) => {
    let thrown: unknown;
    try {
      parseAuthRequest(raw);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(PolicyError);
    expect((thrown as PolicyError).code).toBe('invalid_request');
  });
});

describe('parseMaxAge', () => {
  it.each<[unknown, number | undefined]>([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['0', 0],
    [0, 0],
    ['86400', 86400],
    [86400, 86400],
  ])('%j → %j', (raw, expected) => {
    expect(parseMaxAge(raw)).toBe(expected);
  });
});
