// Recovery sessions: a recovery secret proven with the password opens a short window for repairing the account's factors.
import type { AuthEvent } from './types.ts';

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
