// How a met decision is recorded: previously satisfied, authenticated now, or stepped up from a lower level.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER } from '../../config/ladder.ts';
import { parseAuthRequest } from '../../policy/request.ts';
import type { AuthEvent, Decision, Level } from '../../policy/types.ts';
import { decisionEvent, howMet } from '../../stepup/audit.ts';

const level = (acr: string): Level => DEFAULT_LADDER.find((each) => each.acr === acr)!;
const pwd: AuthEvent = { id: 'e-pwd', accountId: 'a', factor: 'pwd', amr: ['pwd'], at: 1000 };
const otp: AuthEvent = { id: 'e-otp', accountId: 'a', factor: 'otp', amr: ['otp'], at: 2000 };
const passkey: AuthEvent = { id: 'e-pk', accountId: 'a', factor: 'passkey', amr: ['pop', 'hwk', 'user', 'mfa'], at: 2000 };
/** Epoch seconds: the event's `at` is its milliseconds. */
const clock = () => 3000;

function met(acr: string, events: AuthEvent[]): Extract<Decision, { outcome: 'satisfied' }> {
  return { outcome: 'satisfied', acr, level: level(acr), amr: events.flatMap((event) => event.amr), authTime: Math.max(...events.map((event) => event.at)), events };
}

describe('howMet', () => {
  it.each([
    ['single sign-on: nothing proven now', met('aal1', [pwd]), [], undefined, 'previously_satisfied'],
    ['a first sign-in', met('aal1', [pwd]), ['e-pwd'], undefined, 'authenticated'],
    ['password and code together', met('aal2', [pwd, otp]), ['e-pwd', 'e-otp'], undefined, 'authenticated'],
    ['an aal1 session adding a code', met('aal2', [pwd, otp]), ['e-otp'], 'aal1', 'stepped_up'],
    ['an aal1 session adding a passkey, which alone backs phr', met('phr', [passkey]), ['e-pk'], 'aal1', 'stepped_up'],
    ['prompt=login at the level the session had', met('aal1', [pwd]), ['e-pwd'], 'aal1', 'authenticated'],
    ['max_age re-proving aal2 on an aal2 session', met('aal2', [pwd, otp]), ['e-pwd', 'e-otp'], 'aal2', 'authenticated'],
  ] as const)('%s', (_name, decision, proven, prior, expected) => {
    expect(howMet(decision, { newlyProven: new Set(proven), priorLevel: prior ? level(prior) : undefined })).toBe(expected);
  });

  it('lands in the audit event with the factors proven now, and a step-up names the factors it requires', () => {
    const request = parseAuthRequest({ acr_values: 'aal2' });
    const event = decisionEvent(clock, met('aal2', [pwd, otp]), request, { accountId: 'a' }, { newlyProven: new Set(['e-otp']), priorLevel: level('aal1') });
    expect(event).toMatchObject({ at: 3_000_000, outcome: 'success', decision: 'satisfied', achievedAcr: 'aal2', satisfaction: 'stepped_up', factors: ['otp'] });
    const stepUp: Decision = { outcome: 'step_up', acr: 'aal2', level: level('aal2'), factors: ['otp'], reason: 'aal2 requested' };
    const asked = decisionEvent(clock, stepUp, request, { accountId: 'a' });
    expect(asked).toMatchObject({ outcome: 'info', decision: 'step_up', factors: ['otp'] });
    expect(asked).not.toHaveProperty('satisfaction');
  });
});
