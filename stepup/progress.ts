// A sign-in's progress, kept in the oidc-provider interaction between our pages and read back by the Check on resume.
import type { AuthEvent, Decision } from '../policy/types.ts';

/** Seconds the redirect from our last page back to the authorization endpoint may take without ageing the proof. */
export const RESUME_GRACE_SECONDS = 10;

/** What our interaction pages keep in the interaction result (under `stepup`). */
export interface StepUpResult {
  /** The account being signed in: the session's, or the one the password identified. */
  accountId?: string;
  /** The factors proven in this interaction. */
  events: AuthEvent[];
  /** When the interaction finished satisfied: max_age is measured from here across the redirect back (RESUME_GRACE_SECONDS). */
  finishedAt?: number;
  /** When a consent page submitted after the sign-in: the time it was open ages the proof, with no redirect grace. */
  consentedAt?: number;
  /** The passkey challenge issued on the current page: single-use, short-lived, bound to this interaction. */
  challenge?: { value: string; expiresAt: number };
}

/** The Check's decision, handed to the first page in the interaction's prompt details instead of being recomputed. */
export interface HandedDecision {
  decision: Extract<Decision, { outcome: 'step_up' | 'login_required' }>;
  accountId?: string;
}

/** The stored progress, or a new one (stored only when a page needs it: a passkey challenge, a proven factor). */
export function progressOf(stored: StepUpResult | undefined, sessionAccountId: string | undefined): StepUpResult {
  return { ...stored, accountId: sessionAccountId ?? stored?.accountId, events: stored?.events ?? [] };
}

/** The handed decision in an interaction's prompt details, if the Check left one for this account. */
export function handedDecision(promptDetails: unknown, accountId: string | undefined): HandedDecision['decision'] | undefined {
  const handed = (promptDetails as { stepup?: HandedDecision } | undefined)?.stepup;
  return handed && handed.accountId === accountId ? handed.decision : undefined;
}
