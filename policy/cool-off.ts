// Cool-off: an authenticator enrolled by a proof weaker than the level it would reach backs no higher level until it ends.
import { highestReachable, levelFor } from './ladder.ts';
import type { AuthEvent, CoolingOff, Factor, Ladder, Level } from './types.ts';

/** Whether a cool-off is still running at `now`: one ends exactly at its `until`. */
export function isCoolingOff<T extends { until: number }>(coolOff: T | undefined, now: number): coolOff is T {
  return coolOff !== undefined && now < coolOff.until;
}

/** The cool-offs still running at `now`. */
function activeCoolOffs(coolingOff: readonly CoolingOff[] | undefined, now: number): CoolingOff[] {
  return (coolingOff ?? []).filter((entry) => isCoolingOff(entry, now));
}

/** The rank an authenticator may back during its cool-off (0: none, for a cap no longer on the ladder). */
function capRank(ladder: Ladder, entry: CoolingOff): number {
  return levelFor(ladder, entry.cap)?.rank ?? 0;
}

/** Whether an event may back `level`: events of authenticators cooling off only up to their cap. */
export function eligibility(ladder: Ladder, coolingOff: readonly CoolingOff[] | undefined, now: number) {
  const active = new Map(activeCoolOffs(coolingOff, now).map((entry) => [entry.authenticatorId, capRank(ladder, entry)]));
  return (event: AuthEvent, level: Level): boolean => {
    const cap = event.authenticatorId === undefined ? undefined : active.get(event.authenticatorId);
    return cap === undefined || level.rank <= cap;
  };
}

/** Whether the account can prove `factor` for `level` now: an authenticator in full standing, or one whose cap allows it. */
export function enrolledFor(ladder: Ladder, enrolled: ReadonlySet<Factor>, coolingOff: readonly CoolingOff[] | undefined, now: number) {
  const entries = coolingOff ?? [];
  return (factor: Factor, level: Level): boolean => enrolled.has(factor) || entries.some((entry) => entry.factor === factor && (now >= entry.until || capRank(ladder, entry) >= level.rank));
}

/** The highest level the account can reach now, counting authenticators in cool-off only up to their caps. */
export function ceilingOf(ladder: Ladder, enrolled: ReadonlySet<Factor>, coolingOff: readonly CoolingOff[] | undefined, now: number): Level | undefined {
  const usable = enrolledFor(ladder, enrolled, coolingOff, now);
  return [...ladder].reverse().find((level) => level.combinations.some((combination) => combination.every((factor) => usable(factor, level))));
}

/**
 * The earliest moment a cool-off ends after which `reachable` holds (the level the decision wanted becomes
 * reachable), if waiting helps at all.
 */
export function reachableAfterCoolOff(coolingOff: readonly CoolingOff[] | undefined, now: number, reachable: (at: number) => boolean): number | undefined {
  const ends = [...new Set(activeCoolOffs(coolingOff, now).map((entry) => entry.until))].sort((a, b) => a - b);
  return ends.find((at) => reachable(at));
}

export interface EnrolmentInput {
  ladder: Ladder;
  /** The account's factors in full standing and its cool-offs, before the enrolment. */
  enrolled: ReadonlySet<Factor>;
  coolingOff?: readonly CoolingOff[];
  /** The factors the new authenticator proves (a passkey; with hwk when it is an attested hardware key). */
  factors: readonly Factor[];
  /** The level the enrolling session has proven (counting cool-offs); undefined for none. */
  proven?: Level;
  /** Seconds a cool-off lasts (the policy's recoveryCoolOff). */
  duration: number;
  now: number;
}

export interface EnrolmentStanding {
  /** Set when the new authenticator would reach above what the session proved: it counts only up to `cap` until `until`. */
  coolOff?: { cap: string; until: number };
  /** The account's ceiling before and once any cool-off has ended; `raises` when the enrolment lifts it (a security event). */
  before?: Level;
  after?: Level;
  raises: boolean;
}

/**
 * A new factor never outranks the proof that enrolled it: if the account with it could reach a level above the
 * session's proven one, it is capped at the proven level for `duration` seconds.
 */
export function enrolmentStanding(input: EnrolmentInput): EnrolmentStanding {
  const { ladder, enrolled, coolingOff, factors, proven, duration, now } = input;
  const before = ceilingOf(ladder, enrolled, coolingOff, now);
  const withNew = new Set([...enrolled, ...factors]);
  const after = ceilingOf(ladder, withNew, coolingOff, Number.POSITIVE_INFINITY);
  const reaches = highestReachable(ladder, withNew);
  const raises = (after?.rank ?? 0) > (before?.rank ?? 0);
  if (!reaches || reaches.rank <= (proven?.rank ?? 0)) return { before, after, raises };
  return { coolOff: { cap: proven?.acr ?? '', until: now + duration }, before, after, raises };
}
