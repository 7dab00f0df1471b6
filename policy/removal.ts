// What removing an authenticator costs: the highest level the account can reach now, before and after.
import { ceilingOf } from './cool-off.ts';
import type { CoolingOff, Factor, Ladder, Level } from './types.ts';

export interface RemovalImpact {
  before?: Level;
  after?: Level;
  /** True when the account can no longer reach the level it reaches now: the user must confirm. */
  lowers: boolean;
}

/** An account's factors in full standing and its authenticators in cool-off. */
export interface Standing {
  enrolled: ReadonlySet<Factor>;
  coolingOff?: readonly CoolingOff[];
}

export function removalImpact(ladder: Ladder, before: Standing, after: Standing, now: number): RemovalImpact {
  const from = ceilingOf(ladder, before.enrolled, before.coolingOff, now);
  const to = ceilingOf(ladder, after.enrolled, after.coolingOff, now);
  return { before: from, after: to, lowers: (to?.rank ?? 0) < (from?.rank ?? 0) };
}
