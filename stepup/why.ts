// The sentence a step-up page shows to explain why it asks (which application asked for which level, in words: the
// acr codes are for tokens and the audit), and whether, before anyone signs in, only a passkey can answer the request.
import { decide } from '../policy/decide.ts';
import { FACTORS, type Decision, type DecisionInput, type Factor } from '../policy/types.ts';

type StepUp = Extract<Decision, { outcome: 'step_up' }>;

function minutes(seconds: number): string {
  if (seconds < 60) return `${seconds} seconds`;
  const value = Math.round(seconds / 60);
  return value === 1 ? '1 minute' : `${value} minutes`;
}

export function whyText(clientName: string, decision: StepUp): string {
  const { maxAge } = decision;
  const level = decision.level.label ?? decision.acr;
  const recent = maxAge !== undefined ? `, proven within the last ${minutes(maxAge)}` : '';
  return `${clientName} asks for ${level}${recent}.`;
}

const PASSKEYS = new Set<Factor>(['passkey', 'hwk']);
const ANYONE = '(not signed in yet)';

/**
 * Before anyone signs in: the policy's step-up for an account that has every factor, when an account with every factor
 * but passkeys could not meet the request at all (e.g. acr_values=phr, or a scope that requires phr). The password page
 * then leads with the passkey, instead of asking for a password that cannot be enough.
 */
export function passkeyOnlyStepUp(input: Omit<DecisionInput, 'accountId' | 'events' | 'enrolled' | 'coolingOff' | 'interactionEvents' | 'freshAt'>): StepUp | undefined {
  const asIf = (enrolled: Factor[]) => decide({ ...input, accountId: ANYONE, events: [], enrolled: new Set(enrolled) });
  if (asIf(FACTORS.filter((factor) => !PASSKEYS.has(factor))).outcome !== 'unmet') return undefined;
  const withPasskeys = asIf([...FACTORS]);
  return withPasskeys.outcome === 'step_up' ? withPasskeys : undefined;
}
