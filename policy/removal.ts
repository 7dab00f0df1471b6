// What removing an authenticator costs: the highest level the account can reach before and after.
import { highestReachable } from './ladder.ts';
import type { Factor, Ladder, Level } from './types.ts';

export interface RemovalImpact {
  before?: Level;
  after?: Level;
  /** True when the account can no longer reach the level it reaches now: the user must confirm. */
  lowers: boolean;
}

export function removalImpact(ladder: Ladder, enrolledBefore: ReadonlySet<Factor>, enrolledAfter: ReadonlySet<Factor>): RemovalImpact {
  const before = highestReachable(ladder, enrolledBefore);
  const after = highestReachable(ladder, enrolledAfter);
  return { before, after, lowers: (after?.rank ?? 0) < (before?.rank ?? 0) };
}
