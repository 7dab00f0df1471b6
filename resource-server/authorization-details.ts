// RFC 9396 authorization details: read them from a token, and decide whether the request is an operation they approve.
import { isDeepStrictEqual } from 'node:util';
import { GuardConfigError, GuardError } from './errors.ts';
import type { AuthorizationDetail, GuardRequest, OperationRequirement } from './types.ts';

/** RFC 9396 §2: an array of JSON objects, each with a string `type`; anything else makes the token invalid. */
export function authorizationDetails(value: unknown): AuthorizationDetail[] | undefined {
  if (value === undefined) return undefined;
  const valid = Array.isArray(value) && value.every((detail) => typeof detail === 'object' && detail !== null && !Array.isArray(detail) && typeof detail.type === 'string' && detail.type !== '');
  if (!valid) throw new GuardError('token_claims_invalid', "the token's authorization_details claim is not an array of objects with a type");
  return value as AuthorizationDetail[];
}

/** Validates a route's operation once, when the route is declared. */
export function checkOperation(operation: OperationRequirement): OperationRequirement {
  if (typeof operation !== 'object' || operation === null) throw new GuardConfigError('requirement operation must be an object with a type');
  if (typeof operation.type !== 'string' || operation.type === '') throw new GuardConfigError('requirement operation needs the authorization details type it performs');
  for (const name of ['match', 'fields'] as const) {
    if (operation[name] !== undefined && typeof operation[name] !== 'function') throw new GuardConfigError(`requirement operation.${name} must be a function`);
  }
  return operation;
}

/**
 * Every value in `expected` is in `detail` at the same place: objects are compared member by member (the detail may
 * have more), anything else (strings, numbers, arrays) must be deeply and strictly equal: "500.00" is not "500" nor
 * 500. An `undefined` expected value never matches: a request that lacks a value cannot prove it was approved.
 */
/** Whether a detail's `locations`, when it has them, name this API (trailing slashes aside). */
function atThisApi(detail: AuthorizationDetail, here: readonly string[]): boolean {
  const locations = (detail as { locations?: unknown }).locations;
  if (!Array.isArray(locations)) return true;
  const names = new Set(here.map(withoutTrailingSlash));
  return locations.some((location) => typeof location === 'string' && names.has(withoutTrailingSlash(location)));
}

function withoutTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

function contains(detail: unknown, expected: unknown): boolean {
  if (expected === undefined) return false;
  if (typeof expected === 'object' && expected !== null && !Array.isArray(expected)) {
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) return false;
    const entries = Object.entries(expected);
    return entries.length > 0 && entries.every(([name, value]) => Object.hasOwn(detail, name) && contains((detail as Record<string, unknown>)[name], value));
  }
  return isDeepStrictEqual(detail, expected);
}

/**
 * The detail of the route's type that approves this request: the first one for which `fields` (if given) are all
 * contained and `match` (if given) answers true. A matcher that throws is a refusal, with the exception as the cause.
 */
export function approvedOperation(details: readonly AuthorizationDetail[] | undefined, operation: OperationRequirement, request: GuardRequest, here: readonly string[] = []): AuthorizationDetail {
  // RFC 9396 §2.2: a detail that names its `locations` approves the operation there only (this API's audience or origin).
  const ofType = (details ?? []).filter((detail) => detail.type === operation.type);
  if (ofType.length === 0) throw new GuardError('operation_missing', `the token does not approve any ${operation.type} operation (authorization_details)`);
  const candidates = ofType.filter((detail) => atThisApi(detail, here));
  if (candidates.length === 0) throw new GuardError('operation_mismatch', `the token approves the ${operation.type} operation at other locations than this API`);
  try {
    const expected = operation.fields?.(request);
    const found = candidates.find((detail) => (operation.fields === undefined || contains(detail, expected)) && (operation.match === undefined || operation.match(detail, request) === true));
    if (found) return found;
  } catch (cause) {
    throw new GuardError('operation_mismatch', `the request could not be compared with the approved ${operation.type} operation`, { cause });
  }
  throw new GuardError('operation_mismatch', `the request is not the ${operation.type} operation the token approves (authorization_details)`);
}
