// Parses the authorization request's step-up parameters into an AuthRequest, rejecting bad input.
import { PolicyError } from './errors.ts';
import type { AuthRequest } from './types.ts';

export interface RawRequest {
  acr_values?: unknown;
  max_age?: unknown;
  prompt?: unknown;
  scope?: unknown;
  resource?: unknown;
  /** The parsed `claims` parameter. */
  claims?: unknown;
}

const MAX_VALUES = 20;
const MAX_VALUE_LENGTH = 256;

function words(value: unknown, name: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (typeof value !== 'string') throw new PolicyError('invalid_request', `${name} must be a string`);
  return value.split(' ').filter(Boolean);
}

function acrList(values: unknown[], name: string): string[] {
  if (values.length > MAX_VALUES) throw new PolicyError('invalid_request', `${name} has too many values`);
  for (const value of values) {
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_VALUE_LENGTH || /\p{Cs}/u.test(value)) {
      throw new PolicyError('invalid_request', `${name} values must be non-empty strings`);
    }
  }
  return values as string[];
}

export function parseMaxAge(value: unknown): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text)) {
    throw new PolicyError('invalid_request', 'max_age must be a non-negative integer number of seconds');
  }
  return Number(text);
}

/** The `acr` member of `claims.id_token`, when present. */
function claimedAcr(claims: unknown): { values: string[]; essential: boolean } | undefined {
  if (claims === undefined || claims === null) return undefined;
  if (typeof claims !== 'object') throw new PolicyError('invalid_request', 'claims must be an object');
  const idToken = (claims as Record<string, unknown>).id_token;
  if (idToken === undefined || idToken === null) return undefined;
  if (typeof idToken !== 'object') throw new PolicyError('invalid_request', 'claims.id_token must be an object');
  const acr = (idToken as Record<string, unknown>).acr;
  if (acr === undefined || acr === null) return undefined;
  if (typeof acr !== 'object') throw new PolicyError('invalid_request', 'claims.id_token.acr must be an object');
  const { essential, value, values } = acr as Record<string, unknown>;
  if (essential !== undefined && typeof essential !== 'boolean') {
    throw new PolicyError('invalid_request', 'claims.id_token.acr.essential must be a boolean');
  }
  let list: string[] = [];
  if (values !== undefined) {
    if (!Array.isArray(values)) throw new PolicyError('invalid_request', 'claims.id_token.acr.values must be an array');
    list = acrList(values, 'claims.id_token.acr.values');
  } else if (value !== undefined) {
    list = acrList([value], 'claims.id_token.acr.value');
  }
  return { values: list, essential: essential === true };
}

export function parseAuthRequest(raw: RawRequest): AuthRequest {
  const prompts = new Set(words(raw.prompt, 'prompt'));
  const acrValues = acrList(words(raw.acr_values, 'acr_values'), 'acr_values');
  const claimed = claimedAcr(raw.claims);
  const resources = Array.isArray(raw.resource) ? raw.resource : words(raw.resource, 'resource');
  const fromClaims = claimed && claimed.values.length > 0 && (claimed.essential || acrValues.length === 0);
  return {
    acrValues: fromClaims ? claimed.values : acrValues,
    essential: fromClaims ? claimed.essential : false,
    maxAge: parseMaxAge(raw.max_age),
    forceLogin: prompts.has('login'),
    promptNone: prompts.has('none'),
    scopes: words(raw.scope, 'scope'),
    resources: resources.filter((value): value is string => typeof value === 'string'),
  };
}
