// The assurance ladder as the resource server sees it: acr values and their ranks, nothing else.
import { GuardConfigError } from './errors.ts';
import { isVisibleToken } from './www-authenticate.ts';

/** A rung of the ladder: the provider's configured levels (`config/ladder.ts`) fit as they are. */
export interface RankedLevel {
  /** The acr value tokens carry and challenges name. */
  acr: string;
  /** Other acr values that name the same level. */
  aliases: readonly string[];
  /** Higher rank = higher assurance; a level satisfies every lower-ranked one. */
  rank: number;
}

export type RankedLadder = readonly RankedLevel[];

/**
 * A ladder from acr values in ascending order, e.g. discovery's `acr_values_supported`
 * (this provider lists them by rank). Aliases cannot be told apart there: pass a ladder for those.
 */
export function ladderFromAcrValues(values: readonly string[]): RankedLadder {
  return checkLadder(values.map((acr, index) => ({ acr, aliases: [], rank: index + 1 })));
}

export function checkLadder(ladder: RankedLadder): RankedLadder {
  if (ladder.length === 0) throw new GuardConfigError('the ladder has no levels');
  const seen = new Set<string>();
  for (const level of ladder) {
    for (const acr of [level.acr, ...level.aliases]) {
      if (!isVisibleToken(acr)) throw new GuardConfigError(`acr value ${JSON.stringify(acr)} must be printable ASCII without spaces`);
      if (seen.has(acr)) throw new GuardConfigError(`acr value ${acr} appears twice on the ladder`);
      seen.add(acr);
    }
    if (!Number.isFinite(level.rank)) throw new GuardConfigError(`level ${level.acr} has no numeric rank`);
  }
  return [...ladder].sort((a, b) => a.rank - b.rank);
}

export function levelOf(ladder: RankedLadder, acr: string): RankedLevel | undefined {
  return ladder.find((level) => level.acr === acr || level.aliases.includes(acr));
}

/** The acr values that satisfy `level`: it and every higher level, lowest (least friction) first. */
export function acceptedAcrValues(ladder: RankedLadder, level: RankedLevel): string[] {
  return ladder.filter((candidate) => candidate.rank >= level.rank).map((candidate) => candidate.acr);
}
