// The per-route decision, pure: does a verified token carry the scope, the level and the freshness a route needs?
import { GuardConfigError, GuardError } from './errors.ts';
import { levelOf, type RankedLadder } from './ladder.ts';
import type { RouteRequirement } from './requirement.ts';
import type { VerifiedToken } from './types.ts';

export interface CheckContext {
  ladder: RankedLadder;
  /** Epoch seconds. */
  now: number;
  /** Seconds of clock skew tolerated on auth_time. */
  tolerance: number;
}

/** Undefined when the token satisfies the route; otherwise why not. Scope first, then level, then freshness. */
export function checkRequirement(token: VerifiedToken, route: RouteRequirement, { ladder, now, tolerance }: CheckContext): GuardError | undefined {
  const missing = route.scopes.filter((scope) => !token.scopes.includes(scope));
  if (missing.length) return new GuardError('scope_insufficient', `the token lacks the scope ${missing.join(' ')}`);

  if (route.acr !== undefined) {
    const needed = levelOf(ladder, route.acr);
    if (!needed) throw new GuardConfigError(`the route requires acr ${route.acr}, which is not on the ladder (${ladder.map((level) => level.acr).join(' ')})`);
    if (token.acr === undefined) return new GuardError('acr_missing', `${route.acr} is required and the token carries no acr`);
    const held = levelOf(ladder, token.acr);
    if (!held) return new GuardError('acr_unknown', `${route.acr} is required and the token's acr is not one this API knows`);
    if (held.rank < needed.rank) return new GuardError('acr_too_low', `${route.acr} is required and the token is at ${held.acr}`);
  }

  if (route.maxAge !== undefined) {
    if (token.authTime === undefined) return new GuardError('auth_time_missing', `an authentication within ${route.maxAge} seconds is required and the token carries no auth_time`);
    const age = now - token.authTime;
    if (age > route.maxAge + tolerance) return new GuardError('auth_time_too_old', `an authentication within ${route.maxAge} seconds is required and this one is ${age} seconds old`);
  }
  return undefined;
}
