// What the provider had the user prove during a step-up, inferred from the tokens before and after (the RP sees no audit log).
import type { TokenFacts } from './types.ts';

/** RFC 8176 method names, for people. */
const METHOD_LABELS: Record<string, string> = {
  pwd: 'password',
  otp: 'one-time code',
  hwk: 'hardware-bound key (passkey)',
  swk: 'software-bound key',
  user: 'user verification',
  pin: 'PIN',
  fpt: 'fingerprint',
  face: 'face recognition',
  sms: 'code by SMS',
  pop: 'proof of possession of a key',
  mfa: 'multiple factors',
};

export function methodLabel(method: string): string {
  return METHOD_LABELS[method] ? `${METHOD_LABELS[method]} (${method})` : method;
}

const methods = (facts: TokenFacts | undefined) => (facts?.amr ?? []).filter((method) => method !== 'mfa');

/**
 * The methods proven during the round trip. Nothing when auth_time did not move (the session
 * already sufficed). Everything behind the new token when the old authentication was older than
 * the max_age asked for (it could not count). Otherwise the methods that are new in amr.
 */
export function provenDuringStepUp(before: TokenFacts | undefined, after: TokenFacts, maxAge: number | undefined, sentAt: number): string[] {
  const now = methods(after);
  if (!before) return now;
  if (after.authTime !== undefined && before.authTime !== undefined && after.authTime <= before.authTime) return [];
  if (maxAge !== undefined && (before.authTime === undefined || before.authTime < sentAt - maxAge)) return now;
  const added = now.filter((method) => !methods(before).includes(method));
  return added.length ? added : now;
}
