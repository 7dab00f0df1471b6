// Scope and resource rules at a refresh grant: what the refresh token's sign-in still backs, measured against the clock.
import { levelFor } from './ladder.ts';
import type { Ladder, ScopeRule } from './types.ts';

export interface RefreshInput {
  ladder: Ladder;
  /** The policy's scope rules and the registry's min-acr resources. */
  rules: readonly ScopeRule[];
  /** What the refresh token carries from its sign-in (a refresh never raises acr nor moves auth_time). */
  acr?: string;
  /** Epoch seconds. */
  authTime?: number;
  /** The scopes the new access token would carry. */
  scopes: readonly string[];
  /** The resource the new access token would be for, if any. */
  resource?: string;
  /** Epoch seconds. */
  now: number;
}

export interface RefreshOutcome {
  /** Scopes no lapsed rule governs: the new token may carry them. */
  kept: string[];
  /** Scopes whose rule the sign-in no longer meets, each with why. */
  dropped: Array<{ scope: string; reason: string }>;
  /** Set when the resource's own rule lapsed: no token for it at all. */
  resourceLapsed?: string;
}

/**
 * Why the sign-in behind the refresh token no longer meets `rule`: its level ranks below the rule's, or it is older
 * than the rule's maxAge (or, without one, the required level's). Undefined while it still meets it. A rule naming an
 * acr the ladder does not know, or a token without acr or auth_time, is never met (fail closed).
 */
function lapse(input: RefreshInput, rule: ScopeRule): string | undefined {
  const required = levelFor(input.ladder, rule.acr);
  if (!required) return `${rule.acr} is not on the ladder`;
  const held = input.acr === undefined ? undefined : levelFor(input.ladder, input.acr);
  if (!held || held.rank < required.rank) return `the sign-in reached ${input.acr ?? 'no level'}, below ${rule.acr}`;
  const maxAge = rule.maxAge ?? required.maxAge;
  if (input.authTime === undefined || input.now - input.authTime > maxAge) return `the sign-in is older than the ${maxAge} s ${rule.acr} allows`;
  return undefined;
}

export function refreshScopes(input: RefreshInput): RefreshOutcome {
  const outcome: RefreshOutcome = { kept: [], dropped: [] };
  for (const rule of input.rules) {
    if (rule.resource === undefined || rule.resource !== input.resource) continue;
    const reason = lapse(input, rule);
    if (reason) outcome.resourceLapsed = `${rule.resource}: ${reason}`;
  }
  for (const scope of input.scopes) {
    const reasons = input.rules.filter((rule) => rule.scope === scope).map((rule) => lapse(input, rule));
    const reason = reasons.find((found) => found !== undefined);
    if (reason) outcome.dropped.push({ scope, reason });
    else outcome.kept.push(scope);
  }
  return outcome;
}
