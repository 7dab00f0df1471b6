// Validates a route's requirement once, when the route is declared, so a typo fails at start-up, not per request.
import { checkOperation } from './authorization-details.ts';
import { GuardConfigError } from './errors.ts';
import type { OperationRequirement, Requirement } from './types.ts';
import { isScopeToken, isVisibleToken } from './www-authenticate.ts';

/** A requirement in the shape the check uses. */
export interface RouteRequirement {
  acr?: string;
  maxAge?: number;
  scopes: string[];
  operation?: OperationRequirement;
  singleUse: boolean;
  dpop: boolean;
}

export function routeRequirement(requirement: Requirement = {}): RouteRequirement {
  const { acr, maxAge, scope, singleUse = false, dpop = false } = requirement;
  if (acr !== undefined && (typeof acr !== 'string' || !isVisibleToken(acr))) {
    throw new GuardConfigError(`requirement acr must be one acr value, got ${JSON.stringify(acr)}`);
  }
  if (maxAge !== undefined && (!Number.isSafeInteger(maxAge) || maxAge < 0)) {
    throw new GuardConfigError(`requirement maxAge must be a non-negative whole number of seconds, got ${maxAge}`);
  }
  const scopes = typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [...(scope ?? [])];
  const bad = scopes.find((value) => !isScopeToken(value));
  if (bad !== undefined) throw new GuardConfigError(`requirement scope ${JSON.stringify(bad)} is not a valid scope-token`);
  for (const [name, value] of [
    ['singleUse', singleUse],
    ['dpop', dpop],
  ] as const) {
    if (typeof value !== 'boolean') throw new GuardConfigError(`requirement ${name} must be true or false, got ${JSON.stringify(value)}`);
  }
  const operation = requirement.operation === undefined ? undefined : checkOperation(requirement.operation);
  return { acr, maxAge, scopes, operation, singleUse, dpop };
}
