// What the provider had the user prove during a step-up, inferred from the tokens before and after (the RP sees no audit log).
import type { TokenFacts } from './types.ts';

/** RFC 8176 method names, for people. */
const METHOD_LABELS: Record<string, string> = {
  pwd: 'password',
  otp: 'one-time code',
  hwk: 'passkey, device-bound',
  swk: 'passkey, synced',
  user: 'user verification',
  pin: 'PIN',
  fpt: 'fingerprint',
  face: 'face recognition',
  sms: 'code by SMS',
  pop: 'proof of possession of a key',
};

/** How a passkey shows in amr (pop, hwk or swk, user): one phrase, not three. */
const PART_OF_A_KEY = new Set(['pop', 'user']);

/** People's words for a list of amr methods, e.g. ['password (pwd)', 'passkey, synced (swk)']. */
export function describeMethods(methods: readonly string[]): string[] {
  const key = methods.some((method) => method === 'hwk' || method === 'swk');
  return methods.filter((method) => !(key && PART_OF_A_KEY.has(method))).map((method) => (METHOD_LABELS[method] ? `${METHOD_LABELS[method]} (${method})` : method));
}

const methods = (facts: TokenFacts | undefined) => (facts?.amr ?? []).filter((method) => method !== 'mfa');

/**
 * The methods proven during the round trip, from what the provider reports in amr (auth_time, to the second, cannot
 * tell a step-up that finished within the sign-in's second from no step-up at all). Everything behind the new token
 * when the old authentication was older than the max_age asked for (it could not count). Otherwise the methods new
 * in amr; with none new, the same methods proven again when auth_time moved, and nothing when it did not (the
 * session already sufficed).
 */
export function provenDuringStepUp(before: TokenFacts | undefined, after: TokenFacts, maxAge: number | undefined, sentAt: number): string[] {
  const now = methods(after);
  if (!before) return now;
  if (maxAge !== undefined && (before.authTime === undefined || before.authTime < sentAt - maxAge)) return now;
  const added = now.filter((method) => !methods(before).includes(method));
  if (added.length) return added;
  const moved = after.authTime !== undefined && before.authTime !== undefined && after.authTime > before.authTime;
  return moved ? now : [];
}
