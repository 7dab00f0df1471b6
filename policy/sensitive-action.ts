// Changing authenticators is itself risky: it needs a fresh proof of the highest level the account can reach.
import { highestReachable } from './ladder.ts';
import type { AuthRequest, Factor, Ladder } from './types.ts';

export function sensitiveActionRequest(ladder: Ladder, enrolled: ReadonlySet<Factor>, maxAge: number): AuthRequest {
  const level = highestReachable(ladder, enrolled);
  return {
    acrValues: level ? [level.acr] : [],
    essential: true,
    maxAge,
    forceLogin: false,
    promptNone: false,
    scopes: [],
    resources: [],
  };
}
