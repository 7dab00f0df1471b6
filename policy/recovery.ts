// Recovery sessions: a recovery secret proven with the password opens a short window for repairing the account's factors.
import type { AuthEvent } from './types.ts';

/**
 * When new recovery codes may be made: a cool-off after the last recovery (by a code or an operator's link), so that
 * whoever recovered with one stolen code cannot replace the owner's other codes, even after lowering the account's
 * level by removing its factors. Undefined: now.
 */
export function codesRenewableAt(lastRecoveries: ReadonlyArray<number | undefined>, coolOff: number, now: number): number | undefined {
  const last = Math.max(-Infinity, ...lastRecoveries.filter((at): at is number => at !== undefined));
  return Number.isFinite(last) && now < last + coolOff ? last + coolOff : undefined;
}

export interface RecoveryStanding {
  /** Epoch seconds: when the recovery secret was proven, and when the window closes. */
  since: number;
  until: number;
}

/**
 * The recovery window of a session: open for `window` seconds after the account's latest recovery event. It grants
 * no level (no combination of the ladder contains `recovery`); it only lets the account pages enrol and remove factors.
 */
export function recoveryStanding(events: readonly AuthEvent[], accountId: string, now: number, window: number): RecoveryStanding | undefined {
  const since = Math.max(-Infinity, ...events.filter((event) => event.factor === 'recovery' && event.accountId === accountId && event.at <= now).map((event) => event.at));
  if (!Number.isFinite(since) || now >= since + window) return undefined;
  return { since, until: since + window };
}
