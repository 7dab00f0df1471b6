// The sentence a step-up page shows to explain why it asks: which application asked for which level.
import type { Decision } from '../policy/types.ts';

function minutes(seconds: number): string {
  if (seconds < 60) return `${seconds} seconds`;
  const value = Math.round(seconds / 60);
  return value === 1 ? '1 minute' : `${value} minutes`;
}

export function whyText(clientName: string, decision: Extract<Decision, { outcome: 'step_up' }>): string {
  const { maxAge } = decision;
  const level = decision.level.label ?? decision.acr;
  const recent = maxAge !== undefined ? `, proven within the last ${minutes(maxAge)}` : '';
  return `${clientName} asks for ${level} (${decision.acr})${recent}.`;
}
