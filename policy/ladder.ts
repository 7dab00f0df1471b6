// Ladder semantics: which level an acr names, and what the session's events prove now.
import type { AuthEvent, Factor, Ladder, Level } from './types.ts';

export function levelFor(ladder: Ladder, acr: string): Level | undefined {
  return ladder.find((level) => level.acr === acr || level.aliases.includes(acr));
}

export function lowestLevel(ladder: Ladder): Level {
  return ladder[0]!;
}

/** Every level at or above `level`, lowest first: each of them satisfies `level`. */
export function levelsSatisfying(ladder: Ladder, level: Level): Level[] {
  return ladder.filter((candidate) => candidate.rank >= level.rank);
}

/** The events that back a level now, and when that level was reached. */
export interface Backing {
  level: Level;
  events: AuthEvent[];
  /** When the level was reached: the time of the latest backing event. */
  authTime: number;
}

/** No event outlives the longest-lived level: past that the session proves nothing. */
export function eventLifetime(ladder: Ladder): number {
  return Math.max(...ladder.map((level) => level.maxAge));
}

/**
 * Whether an event may back `level` for this decision: recent enough for the request (max_age, prompt=login), and
 * from an authenticator whose cool-off lets it back that level (policy/cool-off.ts).
 */
export type Freshness = (event: AuthEvent, level: Level) => boolean;

const ANY_AGE: Freshness = () => true;

/** Latest usable event per factor for `level`: not expired, not from the future, fresh enough, eligible. */
function latestByFactor(ladder: Ladder, level: Level, events: readonly AuthEvent[], now: number, fresh: Freshness): Map<Factor, AuthEvent> {
  const oldest = now - eventLifetime(ladder);
  const latest = new Map<Factor, AuthEvent>();
  for (const event of events) {
    if (event.at < oldest || event.at > now || !fresh(event, level)) continue;
    const current = latest.get(event.factor);
    if (!current || event.at > current.at) latest.set(event.factor, event);
  }
  return latest;
}

/**
 * The freshest backing of `level`: a combination whose factors all have usable,
 * fresh events, completed no longer than the level's maxAge ago.
 */
function backingOf(ladder: Ladder, level: Level, events: readonly AuthEvent[], now: number, fresh: Freshness): Backing | undefined {
  const latest = latestByFactor(ladder, level, events, now, fresh);
  let best: Backing | undefined;
  for (const combination of level.combinations) {
    const chosen = combination.map((factor) => latest.get(factor));
    if (chosen.some((event) => event === undefined)) continue;
    const backing = chosen as AuthEvent[];
    const authTime = Math.max(...backing.map((event) => event.at));
    if (now - authTime > level.maxAge) continue;
    if (!best || authTime > best.authTime) best = { level, events: backing, authTime };
  }
  return best;
}

/** How `level` is satisfied now, by itself or any valid higher level: the freshest such backing. */
export function satisfactionOf(ladder: Ladder, level: Level, events: readonly AuthEvent[], now: number, fresh: Freshness): Backing | undefined {
  let best: Backing | undefined;
  for (const candidate of levelsSatisfying(ladder, level)) {
    const backing = backingOf(ladder, candidate, events, now, fresh);
    if (backing && (!best || backing.authTime > best.authTime)) best = backing;
  }
  return best;
}

/** The highest level the events prove now, if any (`eligible`: the cool-off standing of their authenticators). */
export function currentLevel(ladder: Ladder, events: readonly AuthEvent[], now: number, eligible: Freshness = ANY_AGE): Backing | undefined {
  for (const level of [...ladder].reverse()) {
    const backing = backingOf(ladder, level, events, now, eligible);
    if (backing) return backing;
  }
  return undefined;
}

/**
 * The factors of `combination` (one of `level`'s) to ask for: those without a usable event; when all
 * have one but the level has decayed, those not backing the current lower level
 * (so a valid password is not asked again), or else all of them.
 */
export function missingFactors(ladder: Ladder, level: Level, combination: readonly Factor[], events: readonly AuthEvent[], now: number, fresh: Freshness, eligible: Freshness = ANY_AGE): Factor[] {
  const latest = latestByFactor(ladder, level, events, now, fresh);
  const absent = combination.filter((factor) => !latest.has(factor));
  if (absent.length > 0) return absent;
  const current = currentLevel(ladder, events, now, eligible);
  const held = new Set(current?.events.map((event) => event.factor));
  const renew = combination.filter((factor) => !held.has(factor));
  return renew.length > 0 ? renew : [...combination];
}

/** The highest level the account's enrolled factors can reach, if any. */
export function highestReachable(ladder: Ladder, enrolled: ReadonlySet<Factor>): Level | undefined {
  return [...ladder].reverse().find((level) => level.combinations.some((combination) => combination.every((factor) => enrolled.has(factor))));
}

/** RFC 8176 amr for a set of backing events: their methods, plus `mfa` when factors differ. */
export function amrOf(events: readonly AuthEvent[]): string[] {
  const amr = new Set(events.flatMap((event) => event.amr));
  if (new Set(events.map((event) => event.factor)).size > 1) amr.add('mfa');
  return [...amr];
}
