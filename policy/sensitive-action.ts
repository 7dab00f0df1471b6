// Changing authenticators is itself risky: it needs a fresh proof of the highest level the account can reach now.
import { ceilingOf } from './cool-off.ts';
import { lowestLevel } from './ladder.ts';
import type { AuthRequest, CoolingOff, Factor, Ladder } from './types.ts';

export interface SensitiveActionInput {
  ladder: Ladder;
  enrolled: ReadonlySet<Factor>;
  coolingOff?: readonly CoolingOff[];
  /** Seconds within which the proof must have been made. */
  maxAge: number;
  /** In a recovery session the lost factors cannot be asked: the lowest level (the password) is all it can prove. */
  recovery: boolean;
  now: number;
}

export function sensitiveActionRequest({ ladder, enrolled, coolingOff, maxAge, recovery, now }: SensitiveActionInput): AuthRequest {
  const level = recovery ? lowestLevel(ladder) : ceilingOf(ladder, enrolled, coolingOff, now);
  return {
    acrValues: level ? [level.acr] : [],
    essential: true,
    maxAge: recovery ? undefined : maxAge,
    forceLogin: false,
    promptNone: false,
    scopes: [],
    resources: [],
  };
}
