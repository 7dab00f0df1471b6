// The policy decision: request × session events × enrolled factors × clock → what to do.
import { currentLevel, levelFor, levelsSatisfying, lowestLevel, missingFactors, satisfactionOf, amrOf, type Backing, type Freshness } from './ladder.ts';
import { eligibility, enrolledFor, reachableAfterCoolOff } from './cool-off.ts';
import type { AuthEvent, Decision, DecisionInput, Factor, Level } from './types.ts';

interface Target {
  /** The value to report; undefined when the RP asked for no particular level. */
  acr?: string;
  level: Level;
}

interface Requirement {
  targets: Target[];
  /** A requirement the account must meet or get an error, never a lower level. */
  mustMeet: boolean;
  maxAge?: number;
  /** Lowest rank acceptable, from client policy and sensitive scopes. */
  floor?: Level;
}

type Resolved = { requirement: Requirement } | { unmet: string };

function higher(a: Level | undefined, b: Level | undefined): Level | undefined {
  if (!a) return b;
  if (!b) return a;
  return b.rank > a.rank ? b : a;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function resolveRequirement(input: DecisionInput): Resolved {
  const { ladder, request, client, rules } = input;
  let floor = client.minAcr ? levelFor(ladder, client.minAcr) : undefined;
  let maxAge = request.maxAge;
  for (const rule of rules) {
    const applies = (rule.scope !== undefined && request.scopes.includes(rule.scope)) || (rule.resource !== undefined && request.resources.includes(rule.resource));
    if (!applies) continue;
    floor = higher(floor, levelFor(ladder, rule.acr));
    maxAge = minDefined(maxAge, rule.maxAge);
  }
  // An operation's requirement binds like a sensitive scope's: the front channel cannot lower it.
  for (const operation of request.operations ?? []) {
    floor = higher(floor, levelFor(ladder, operation.acr));
    maxAge = minDefined(maxAge, operation.maxAge);
  }

  const requested: Target[] = [];
  for (const acr of request.acrValues) {
    const level = levelFor(ladder, acr);
    if (level) requested.push({ acr, level });
  }
  if (request.essential && requested.length === 0) {
    return { unmet: `none of the essential acr values is supported: ${request.acrValues.join(' ')}` };
  }

  const mustMeet = request.essential || (input.strict && requested.length > 0) || floor !== undefined;
  let targets = requested.filter((target) => !floor || target.level.rank >= floor.rank);
  if (targets.length === 0) targets = [{ level: floor ?? lowestLevel(ladder) }];
  return { requirement: { targets, mustMeet, maxAge, floor } };
}

/**
 * max_age asks for every backing event within that many seconds of the decision (or of
 * the moment the interaction finished, when resuming); prompt=login asks for events
 * proven in this interaction only; an operation, for its second factor proven in this interaction.
 */
function freshness(input: DecisionInput, maxAge: number | undefined): Freshness {
  const { request, interactionEvents } = input;
  const reference = Math.min(input.freshAt ?? input.now, input.now);
  const inInteraction = (event: AuthEvent) => interactionEvents?.has(event.id) ?? false;
  // max_age=0 is prompt=login (OIDC Core 3.1.2.1): a new proof, however long it takes.
  const bound = maxAge === 0 ? undefined : maxAge;
  const recent = (event: AuthEvent) => bound === undefined || event.at >= reference - bound;
  const eligible = eligibility(input.ladder, input.coolingOff, input.now);
  if (request.forceLogin || maxAge === 0) return (event, level) => inInteraction(event) && recent(event) && eligible(event, level);
  const base: Freshness = bound === undefined ? eligible : (event, level) => recent(event) && eligible(event, level);
  if (!request.operations?.length) return base;
  // An operation is approved by a proof made for it (dynamic linking): every factor but the password must be proven in
  // this interaction, on the pages that show the operation; the session's password still counts where the level has a
  // second factor, and a level the password alone reaches needs it again.
  return (event, level) => base(event, level) && (inInteraction(event) || (event.factor === 'pwd' && !level.combinations.some((combination) => combination.length === 1 && combination[0] === 'pwd')));
}

function satisfiedBy(acr: string, backing: Backing): Decision {
  const { level, events, authTime } = backing;
  return { outcome: 'satisfied', acr, level, amr: amrOf(events), authTime, events };
}

/** Without a requested value, report the highest level proven (at or above the floor). */
function highestProven(input: DecisionInput, events: DecisionInput['events'], floor: Level | undefined, after: Freshness): Backing | undefined {
  return [...input.ladder]
    .reverse()
    .filter((level) => !floor || level.rank >= floor.rank)
    .map((level) => satisfactionOf(input.ladder, level, events, input.now, after))
    .find((found) => found !== undefined);
}

/** The cheapest way to reach `target` with the enrolled factors (as they stand at `at`): fewest factors to ask. */
function stepUpPlan(input: DecisionInput, target: Target, after: Freshness, at = input.now): Factor[] | undefined {
  const usable = enrolledFor(input.ladder, input.enrolled, input.coolingOff, at);
  const eligible = eligibility(input.ladder, input.coolingOff, input.now);
  let best: Factor[] | undefined;
  for (const level of levelsSatisfying(input.ladder, target.level)) {
    for (const combination of level.combinations) {
      if (!combination.every((factor) => usable(factor, level))) continue;
      const missing = missingFactors(input.ladder, level, combination, input.events, input.now, after, eligible);
      if (!best || missing.length < best.length) best = missing;
    }
  }
  return best;
}

export function decide(input: DecisionInput): Decision {
  const resolved = resolveRequirement(input);
  if ('unmet' in resolved) return { outcome: 'unmet', reason: resolved.unmet };
  const { targets, mustMeet, maxAge, floor } = resolved.requirement;
  const { ladder, now } = input;

  if (input.accountId === undefined) {
    return { outcome: 'login_required', reason: 'no signed-in account' };
  }
  const events = input.events.filter((event) => event.accountId === input.accountId);
  const after = freshness(input, maxAge);

  const scoped = { ...input, events };
  const report = (target: Target, backing: Backing): Decision => {
    if (target.acr !== undefined) return satisfiedBy(target.acr, backing);
    const best = highestProven(input, events, floor, after) ?? backing;
    return satisfiedBy(best.level.acr, best);
  };
  const stepUp = (target: Target, factors: Factor[]): Decision => {
    const acr = target.acr ?? target.level.acr;
    const reason = stepUpReason(input, acr, maxAge, events, factors);
    if (input.request.promptNone) return { outcome: 'login_required', reason: `prompt=none but ${reason}` };
    return { outcome: 'step_up', acr, level: target.level, factors, maxAge, reason };
  };

  // In preference order: report a value already proven, or step up to the first one the account can reach.
  for (const [index, target] of targets.entries()) {
    const backing = satisfactionOf(ladder, target.level, events, now, after);
    if (backing) return report(target, backing);
    const factors = stepUpPlan(scoped, target, after);
    if (!factors) continue;
    if (input.request.promptNone) {
      // No page may be shown: a less preferred value already proven is still an answer.
      for (const later of targets.slice(index + 1)) {
        const proven = satisfactionOf(ladder, later.level, events, now, after);
        if (proven) return report(later, proven);
      }
    }
    return stepUp(target, factors);
  }

  if (!mustMeet) {
    // Lenient mode: nothing requested can be reached, so report what is proven (fresh enough), or sign in.
    const proven = highestProven(input, events, undefined, after);
    if (proven) return satisfiedBy(proven.level.acr, proven);
    const lowest = { level: lowestLevel(ladder) };
    const factors = stepUpPlan(scoped, lowest, after);
    if (factors) return stepUp(lowest, factors);
  }

  const wanted = targets.map((target) => target.acr ?? target.level.acr).join(' ');
  const coolOffUntil = reachableAfterCoolOff(input.coolingOff, now, (at) => targets.some((target) => stepUpPlan(scoped, target, after, at)));
  if (coolOffUntil !== undefined) {
    return { outcome: 'unmet', reason: `${wanted} cannot be reached yet: a new authenticator is in cool-off until ${new Date(coolOffUntil * 1000).toISOString()}`, coolOffUntil };
  }
  return { outcome: 'unmet', reason: `the account has no authenticator that reaches ${wanted}` };
}

function stepUpReason(input: DecisionInput, acr: string, maxAge: number | undefined, events: DecisionInput['events'], factors: Factor[]): string {
  const current = currentLevel(input.ladder, events, input.now, eligibility(input.ladder, input.coolingOff, input.now));
  const within = maxAge !== undefined ? ` within ${maxAge}s` : '';
  const login = input.request.forceLogin ? ' with prompt=login' : '';
  return `${acr} requested${within}${login}; session at ${current?.level.acr ?? 'no level'}; needs ${factors.join(' + ')}`;
}
