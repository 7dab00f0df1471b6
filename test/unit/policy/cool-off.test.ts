// Table tests of recovery and cool-off against the clock: a new factor never outranks the proof that enrolled it.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER } from '../../../config/ladder.ts';
import { ceilingOf, enrolmentStanding } from '../../../policy/cool-off.ts';
import { decide } from '../../../policy/decide.ts';
import { recoveryStanding } from '../../../policy/recovery.ts';
import { sensitiveActionRequest } from '../../../policy/sensitive-action.ts';
import type { CoolingOff, Decision, Factor } from '../../../policy/types.ts';
import { ALICE, DAY, HOUR, MIN, NOW, enrolled as E, ev, evBy, input, type Scenario } from './fixtures.ts';

const UNTIL = NOW + DAY;
const cooling = (authenticatorId: string, factor: Factor, cap: string, until = UNTIL): CoolingOff => ({ authenticatorId, factor, cap, until });
const PK = 'passkey-new';
const TOTP = 'totp-new';

function summary(decision: Decision) {
  switch (decision.outcome) {
    case 'satisfied':
      return { outcome: decision.outcome, acr: decision.acr, amr: [...decision.amr].sort() };
    case 'step_up':
      return { outcome: decision.outcome, acr: decision.acr, factors: decision.factors };
    case 'unmet':
      return { outcome: decision.outcome, coolOffUntil: decision.coolOffUntil };
    case 'login_required':
      return { outcome: decision.outcome };
  }
}

type Row = [name: string, scenario: Scenario, want: ReturnType<typeof summary>];

function table(rows: Row[]) {
  it.each(rows)('%s', (_name, scenario, want) => expect(summary(decide(input({ strict: true, ...scenario })))).toEqual(want));
}

describe('a recovery session (password + recovery code) reaches aal1 and nothing more', () => {
  const recovered = () => [ev('pwd', MIN), ev('recovery', MIN)];
  // prettier-ignore
  table([
    ['no acr requested: aal1 from the password, the recovery code reports no amr', { events: recovered(), enrolled: E.pwd }, { outcome: 'satisfied', acr: 'aal1', amr: ['pwd'] }],
    ['aal2 with a TOTP in full standing: the code from the app is still asked', { events: recovered(), req: { acrValues: 'aal2' } }, { outcome: 'step_up', acr: 'aal2', factors: ['otp'] }],
    ['aal2 when the only TOTP was enrolled in the recovery (cool-off at aal1): unmet until it ends', { events: recovered(), enrolled: E.pwd, coolingOff: [cooling(TOTP, 'otp', 'aal1')], req: { acrValues: 'aal2' } }, { outcome: 'unmet', coolOffUntil: UNTIL }],
    ['aal2 when the account has no second factor at all: unmet, no cool-off to wait for', { events: recovered(), enrolled: E.pwd, req: { acrValues: 'aal2' } }, { outcome: 'unmet', coolOffUntil: undefined }],
    ['an essential phr claim: unmet', { events: recovered(), enrolled: E.pwd, coolingOff: [cooling(PK, 'passkey', 'aal1')], req: { acrValues: 'phr', essential: true } }, { outcome: 'unmet', coolOffUntil: UNTIL }],
  ]);

  it('a recovery event alone proves no level', () => {
    expect(summary(decide(input({ events: [ev('recovery', MIN)], enrolled: E.pwd, req: { acrValues: 'aal1' }, strict: true })))).toEqual({ outcome: 'step_up', acr: 'aal1', factors: ['pwd'] });
  });
});

describe('cool-off boundary: before, exactly at and after the end', () => {
  const session = () => [ev('pwd', MIN), evBy(PK, 'passkey', 30)];
  // prettier-ignore
  const rows = (acr: string, cap: string): Row[] => [
    [`${acr} one second before the end (cap ${cap}): unmet, says until when`, { events: session(), enrolled: E.pwd, coolingOff: [cooling(PK, 'passkey', cap, NOW + 1)], req: { acrValues: acr } }, { outcome: 'unmet', coolOffUntil: NOW + 1 }],
    [`${acr} exactly at the end: the passkey proven earlier counts`, { events: session(), enrolled: E.pwd, coolingOff: [cooling(PK, 'passkey', cap, NOW)], req: { acrValues: acr } }, { outcome: 'satisfied', acr, amr: ['hwk', 'user'] }],
    [`${acr} after the end`, { events: session(), enrolled: E.pwd, coolingOff: [cooling(PK, 'passkey', cap, NOW - HOUR)], req: { acrValues: acr } }, { outcome: 'satisfied', acr, amr: ['hwk', 'user'] }],
  ];
  table([...rows('phr', 'aal1'), ...rows('aal2', 'aal1'), ...rows('phr', 'aal2')]);
});

describe('a passkey enrolled in a recovery (cap aal1) does not reach phr until the cool-off ends', () => {
  const pk = [cooling(PK, 'passkey', 'aal1')];
  // prettier-ignore
  table([
    ['phr with a fresh assertion of the new passkey: unmet', { events: [ev('pwd', MIN), evBy(PK, 'passkey', 10)], enrolled: E.pwd, coolingOff: pk, req: { acrValues: 'phr' } }, { outcome: 'unmet', coolOffUntil: UNTIL }],
    ['aal2 through the new passkey alone: unmet (a TOTP in full standing would be asked instead)', { events: [ev('pwd', MIN), evBy(PK, 'passkey', 10)], enrolled: E.pwd, coolingOff: pk, req: { acrValues: 'aal2' } }, { outcome: 'unmet', coolOffUntil: UNTIL }],
    ['aal2 with a TOTP in full standing: asks the TOTP, not the passkey', { events: [ev('pwd', MIN), evBy(PK, 'passkey', 10)], enrolled: E.pwdOtp, coolingOff: pk, req: { acrValues: 'aal2' } }, { outcome: 'step_up', acr: 'aal2', factors: ['otp'] }],
    ['no acr requested: reports aal1 (from the password), never the passkey level', { events: [ev('pwd', MIN), evBy(PK, 'passkey', 10)], enrolled: E.pwd, coolingOff: pk }, { outcome: 'satisfied', acr: 'aal1', amr: ['pwd'] }],
    ['"phr aal1" in preference order: falls back to aal1', { events: [ev('pwd', MIN), evBy(PK, 'passkey', 10)], enrolled: E.pwd, coolingOff: pk, req: { acrValues: 'phr aal1' } }, { outcome: 'satisfied', acr: 'aal1', amr: ['pwd'] }],
    ['another passkey in full standing still reaches phr', { events: [ev('pwd', MIN), evBy('old-passkey', 'passkey', 10)], enrolled: E.pwdPasskey, coolingOff: pk, req: { acrValues: 'phr' } }, { outcome: 'satisfied', acr: 'phr', amr: ['hwk', 'user'] }],
    ['the day after: the same passkey reaches phr', { events: [ev('pwd', MIN), evBy(PK, 'passkey', 10)], enrolled: E.pwd, coolingOff: [cooling(PK, 'passkey', 'aal1', NOW - 1)], req: { acrValues: 'phr' } }, { outcome: 'satisfied', acr: 'phr', amr: ['hwk', 'user'] }],
    ['the day after without a fresh assertion: asks for the passkey', { events: [ev('pwd', MIN)], enrolled: E.pwd, coolingOff: [cooling(PK, 'passkey', 'aal1', NOW - 1)], req: { acrValues: 'phr' } }, { outcome: 'step_up', acr: 'phr', factors: ['passkey'] }],
  ]);
});

describe('a passkey enrolled from an aal2 session (cap aal2) backs aal2 but not phr during its cool-off', () => {
  const pk = [cooling(PK, 'passkey', 'aal2')];
  // prettier-ignore
  table([
    ['aal2 from the new passkey alone', { events: [evBy(PK, 'passkey', 10)], enrolled: E.pwdOtp, coolingOff: pk, req: { acrValues: 'aal2' } }, { outcome: 'satisfied', acr: 'aal2', amr: ['hwk', 'user'] }],
    ['phr: unmet until the end', { events: [evBy(PK, 'passkey', 10)], enrolled: E.pwdOtp, coolingOff: pk, req: { acrValues: 'phr' } }, { outcome: 'unmet', coolOffUntil: UNTIL }],
    ['aal2 without events: the passkey may be asked (it reaches aal2 on its own)', { events: [], enrolled: E.pwd, coolingOff: pk, req: { acrValues: 'aal2' } }, { outcome: 'step_up', acr: 'aal2', factors: ['passkey'] }],
  ]);
});

describe('enrolmentStanding: a new factor never outranks the proof that enrolled it', () => {
  const at = (acr: string) => DEFAULT_LADDER.find((level) => level.acr === acr);
  // prettier-ignore
  it.each<[string, Factor[], CoolingOff[], Factor, string | undefined, { coolOff?: { cap: string; until: number }; raises: boolean; after?: string }]>([
    ['a password-only account at aal1 adds a passkey: capped at aal1, raises the ceiling to phr', ['pwd'], [], 'passkey', 'aal1', { coolOff: { cap: 'aal1', until: NOW + DAY }, raises: true, after: 'phr' }],
    ['a password + TOTP account at aal2 adds a passkey: capped at aal2, raises to phr', ['pwd', 'otp'], [], 'passkey', 'aal2', { coolOff: { cap: 'aal2', until: NOW + DAY }, raises: true, after: 'phr' }],
    ['an aal2 session adds a second TOTP: it reaches no more than aal2, no cool-off', ['pwd', 'otp'], [], 'otp', 'aal2', { raises: false, after: 'aal2' }],
    ['a phr session adds a second passkey: no cool-off', ['pwd', 'passkey'], [], 'passkey', 'phr', { raises: false, after: 'phr' }],
    ['a recovery session (aal1) of a TOTP account adds a TOTP: capped at aal1, the ceiling stays aal2', ['pwd', 'otp'], [], 'otp', 'aal1', { coolOff: { cap: 'aal1', until: NOW + DAY }, raises: false, after: 'aal2' }],
    ['a password-only account at aal1 adds a TOTP: capped at aal1, raises to aal2', ['pwd'], [], 'otp', 'aal1', { coolOff: { cap: 'aal1', until: NOW + DAY }, raises: true, after: 'aal2' }],
    ['a second passkey while the first is cooling off at aal1: capped too; the ceiling was raised by the first', ['pwd'], [cooling(PK, 'passkey', 'aal1')], 'passkey', 'aal1', { coolOff: { cap: 'aal1', until: NOW + DAY }, raises: true, after: 'phr' }],
  ])('%s', (_name, enrolled, coolingOff, factor, proven, want) => {
    const standing = enrolmentStanding({ ladder: DEFAULT_LADDER, enrolled: new Set(enrolled), coolingOff, factors: [factor], proven: proven ? at(proven) : undefined, duration: DAY, now: NOW });
    expect({ coolOff: standing.coolOff, raises: standing.raises, after: standing.after?.acr }).toEqual({ coolOff: want.coolOff, raises: want.raises, after: want.after });
  });
});

describe('the account ceiling counts cool-offs (so the owner at aal1 can remove a passkey an attacker enrolled)', () => {
  // prettier-ignore
  it.each<[string, Factor[], CoolingOff[], number, string | undefined]>([
    ['password + a passkey cooling off at aal1', ['pwd'], [cooling(PK, 'passkey', 'aal1')], NOW, 'aal1'],
    ['… once the cool-off ended', ['pwd'], [cooling(PK, 'passkey', 'aal1')], UNTIL, 'phr'],
    ['password + TOTP + a passkey cooling off at aal2', ['pwd', 'otp'], [cooling(PK, 'passkey', 'aal2')], NOW, 'aal2'],
  ])('%s → %s', (_name, enrolled, coolingOff, now, ceiling) => {
    expect(ceilingOf(DEFAULT_LADDER, new Set(enrolled), coolingOff, now)?.acr).toBe(ceiling);
  });

  it('changing authenticators asks for the ceiling, or in a recovery session for the password only (no max_age: the window bounds it)', () => {
    const normal = sensitiveActionRequest({ ladder: DEFAULT_LADDER, enrolled: new Set<Factor>(['pwd']), coolingOff: [cooling(PK, 'passkey', 'aal1')], maxAge: 300, recovery: false, now: NOW });
    expect([normal.acrValues, normal.maxAge, normal.essential]).toEqual([['aal1'], 300, true]);
    const later = sensitiveActionRequest({ ladder: DEFAULT_LADDER, enrolled: new Set<Factor>(['pwd']), coolingOff: [cooling(PK, 'passkey', 'aal1')], maxAge: 300, recovery: false, now: UNTIL });
    expect(later.acrValues).toEqual(['phr']);
    const recovering = sensitiveActionRequest({ ladder: DEFAULT_LADDER, enrolled: new Set<Factor>(['pwd', 'otp', 'passkey']), maxAge: 300, recovery: true, now: NOW });
    expect([recovering.acrValues, recovering.maxAge]).toEqual([['aal1'], undefined]);
  });
});

describe('recoveryStanding: the recovery window', () => {
  const WINDOW = 15 * MIN;
  // prettier-ignore
  it.each<[string, number, boolean]>([
    ['just after the recovery code', 10, true],
    ['one second before the window closes', WINDOW - 1, true],
    ['exactly when it closes', WINDOW, false],
    ['later', WINDOW + HOUR, false],
  ])('%s', (_name, ago, open) => {
    const events = [ev('pwd', ago), ev('recovery', ago)];
    expect(recoveryStanding(events, ALICE, NOW, WINDOW) !== undefined).toBe(open);
  });

  it('only the account’s own recovery events open it, never a password sign-in', () => {
    expect(recoveryStanding([ev('pwd', 10), ev('otp', 10)], ALICE, NOW, WINDOW)).toBeUndefined();
    expect(recoveryStanding([ev('recovery', 10, 'bob')], ALICE, NOW, WINDOW)).toBeUndefined();
  });
});

describe('phrh: a level only an attested hardware key (hwk) reaches', () => {
  const PHRH_LADDER = [...DEFAULT_LADDER, { acr: 'phrh', aliases: [], rank: 4, combinations: [['hwk']] as Factor[][], maxAge: 300 }];
  const HW = 'hw-key';
  // prettier-ignore
  table([
    ['a passkey that is not a verified hardware key: unmet', { ladder: PHRH_LADDER, events: [ev('passkey', 10)], enrolled: E.pwdPasskey, req: { acrValues: 'phrh' } }, { outcome: 'unmet', coolOffUntil: undefined }],
    ['an attested hardware key: asks for it', { ladder: PHRH_LADDER, events: [ev('pwd', 10)], enrolled: new Set<Factor>(['pwd', 'passkey', 'hwk']), req: { acrValues: 'phrh' } }, { outcome: 'step_up', acr: 'phrh', factors: ['hwk'] }],
    ['its assertion (passkey + hwk events) satisfies phrh, and phr and aal2 below it', { ladder: PHRH_LADDER, events: [evBy(HW, 'passkey', 10), evBy(HW, 'hwk', 10)], enrolled: new Set<Factor>(['pwd', 'passkey', 'hwk']), req: { acrValues: 'phrh' } }, { outcome: 'satisfied', acr: 'phrh', amr: ['hwk', 'user'] }],
    ['a hardware key still cooling off at phr: phrh unmet until the end', { ladder: PHRH_LADDER, events: [evBy(HW, 'passkey', 10), evBy(HW, 'hwk', 10)], enrolled: E.pwd, coolingOff: [cooling(HW, 'passkey', 'phr'), cooling(HW, 'hwk', 'phr')], req: { acrValues: 'phrh' } }, { outcome: 'unmet', coolOffUntil: UNTIL }],
    ['… while phr is reached through it', { ladder: PHRH_LADDER, events: [evBy(HW, 'passkey', 10), evBy(HW, 'hwk', 10)], enrolled: E.pwd, coolingOff: [cooling(HW, 'passkey', 'phr'), cooling(HW, 'hwk', 'phr')], req: { acrValues: 'phr' } }, { outcome: 'satisfied', acr: 'phr', amr: ['hwk', 'user'] }],
  ]);
});
