// The default assurance ladder and sensitive-scope rules (NIST SP 800-63B reauthentication).
import type { Ladder, ScopeRule } from '../policy/types.ts';

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * aal1: single factor; NIST caps AAL1 reauthentication at 30 days.
 * aal2: multi-factor; NIST requires reauthentication every 12 hours.
 * phr: phishing-resistant (a user-verified passkey, origin-bound); an elevated
 * level meant for one risky action, so it lasts minutes.
 */
export const DEFAULT_LADDER: Ladder = [
  { acr: 'aal1', label: 'password sign-in', aliases: [], rank: 1, combinations: [['pwd']], maxAge: 30 * DAY },
  { acr: 'aal2', label: 'two-step verification', aliases: [], rank: 2, combinations: [['pwd', 'otp'], ['passkey']], maxAge: 12 * HOUR },
  { acr: 'phr', label: 'phishing-resistant sign-in with a passkey', aliases: [], rank: 3, combinations: [['passkey']], maxAge: 10 * 60 },
];

/** Sensitive actions are defined here, not by the RP's goodwill. */
export const DEFAULT_SCOPE_RULES: ScopeRule[] = [{ scope: 'payments', acr: 'phr', maxAge: 300 }];
