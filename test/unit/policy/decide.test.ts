// Table-driven tests of the policy decision: request × session events × enrolled factors × clock → decision.
import { describe, expect, it } from 'vitest';
import { decide } from '../../../policy/decide.ts';
import type { Decision, Factor } from '../../../policy/types.ts';
import { ALIAS_LADDER, BOB, DAY, HOUR, MIN, NOW, RESOURCE_RULES, TRANSFERS, enrolled as E, ev, input, type Scenario } from './fixtures.ts';

/** What a row expects; only the fields given are compared. authAgo = NOW - authTime. */
interface Want {
  outcome: Decision['outcome'];
  acr?: string;
  factors?: Factor[];
  amr?: string[];
  authAgo?: number;
}

interface Row extends Scenario {
  name: string;
  want: Want;
}

function project(decision: Decision, want: Want): Want {
  const got: Want = { outcome: decision.outcome };
  if ('acr' in want) got.acr = 'acr' in decision ? decision.acr : undefined;
  if ('factors' in want) got.factors = decision.outcome === 'step_up' ? decision.factors : undefined;
  if ('amr' in want) got.amr = decision.outcome === 'satisfied' ? [...decision.amr].sort() : undefined;
  if ('authAgo' in want) got.authAgo = decision.outcome === 'satisfied' ? NOW - decision.authTime : undefined;
  return got;
}

function run(row: Row): void {
  const decisionInput = input(row);
  const decision = decide(decisionInput);
  const want = { ...row.want, ...(row.want.amr ? { amr: [...row.want.amr].sort() } : {}) };
  expect(project(decision, want)).toEqual(want);

  // Invariants of every satisfied decision: backed by the account's own, past events.
  if (decision.outcome === 'satisfied') {
    expect(decision.events.length).toBeGreaterThan(0);
    for (const event of decision.events) {
      expect(event.accountId).toBe(decisionInput.accountId);
      expect(event.at).toBeLessThanOrEqual(NOW);
    }
    expect(decision.authTime).toBe(Math.max(...decision.events.map((event) => event.at)));
  }
  if (decision.outcome === 'step_up') expect(decision.factors.length).toBeGreaterThan(0);
}

/** One test per row, named by the row (tuples keep long names untruncated). */
function table(rows: Row[]): void {
  it.each(rows.map((row) => [row.name, row] as const))('%s', (_name, row) => run(row));
}

const PWD_AMR = ['pwd'];
const MFA_AMR = ['pwd', 'otp', 'mfa'];
const PASSKEY_AMR = ['hwk', 'user'];

// A typical aal1 session (password a minute ago) and aal2 session (password, then OTP).
const aal1 = () => [ev('pwd', MIN)];
const aal2 = () => [ev('pwd', 2 * MIN), ev('otp', MIN)];
const phr = () => [ev('passkey', MIN)];

describe('decide: sign-in and silent satisfaction', () => {
  table([
    { name: 'nobody signed in → login_required', accountId: null, want: { outcome: 'login_required' } },
    {
      name: 'nobody signed in, aal2 requested → login_required',
      accountId: null,
      req: { acrValues: 'aal2' },
      want: { outcome: 'login_required' },
    },
    {
      name: 'nobody signed in even though the list holds events → login_required',
      accountId: null,
      events: aal2(),
      want: { outcome: 'login_required' },
    },
    {
      name: 'account without events → step_up aal1 [pwd]',
      events: [],
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'passkey-only account without events → step_up aal1 [passkey] (via a higher level)',
      events: [],
      enrolled: E.passkey,
      want: { outcome: 'step_up', acr: 'aal1', factors: ['passkey'] },
    },
    {
      name: 'aal1 session, nothing requested → satisfied aal1 silently',
      events: aal1(),
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: MIN },
    },
    {
      name: 'aal1 session, aal1 requested → satisfied aal1',
      events: aal1(),
      req: { acrValues: 'aal1' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: MIN },
    },
    {
      name: 'aal2 session, nothing requested → highest valid level aal2',
      events: aal2(),
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: MIN },
    },
    {
      name: 'fresh passkey, nothing requested → highest valid level phr',
      events: phr(),
      enrolled: E.all,
      want: { outcome: 'satisfied', acr: 'phr', amr: PASSKEY_AMR, authAgo: MIN },
    },
    {
      name: 'passkey 11 min old, nothing requested → aal2 (phr has decayed)',
      events: [ev('passkey', 11 * MIN)],
      enrolled: E.all,
      want: { outcome: 'satisfied', acr: 'aal2', amr: PASSKEY_AMR, authAgo: 11 * MIN },
    },
  ]);
});

describe('decide: stepping up to aal2', () => {
  table([
    {
      name: 'aal2 on aal1 session, otp enrolled → step_up aal2 [otp]',
      events: aal1(),
      enrolled: E.pwdOtp,
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'aal2 on aal1 session, only a passkey as second factor → step_up aal2 [passkey]',
      events: aal1(),
      enrolled: E.pwdPasskey,
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['passkey'] },
    },
    {
      name: 'aal2 with no events, pwd+otp enrolled → step_up [pwd, otp]',
      events: [],
      enrolled: E.pwdOtp,
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['pwd', 'otp'] },
    },
    {
      name: 'aal2 with no events, all enrolled → the cheaper combination [passkey]',
      events: [],
      enrolled: E.all,
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['passkey'] },
    },
    {
      name: 'aal2 on aal2 session → satisfied aal2 with mfa',
      events: aal2(),
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: MIN },
    },
    {
      name: 'strict: aal2 without TOTP enrolled → unmet',
      strict: true,
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'aal2' },
      want: { outcome: 'unmet' },
    },
    {
      name: 'lenient: aal2 without TOTP enrolled → satisfied at current aal1',
      strict: false,
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: MIN },
    },
    {
      name: 'lenient: aal2 without TOTP and no session → step_up toward lowest aal1 [pwd]',
      strict: false,
      events: [],
      enrolled: E.pwd,
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'lenient but essential: aal2 without TOTP → unmet',
      strict: false,
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'aal2', essential: true },
      want: { outcome: 'unmet' },
    },
    {
      name: 'essential aal2 on aal1 session, otp enrolled → step_up [otp]',
      events: aal1(),
      req: { acrValues: 'aal2', essential: true },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
  ]);
});

describe('decide: decay of each level', () => {
  table([
    {
      name: 'aal2 reached exactly 12 h ago (age == maxAge) → still valid',
      events: [ev('pwd', 12 * HOUR + 100), ev('otp', 12 * HOUR)],
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: 12 * HOUR },
    },
    {
      name: 'aal2 reached 12 h + 1 s ago → step_up asks only otp (aal1 still valid)',
      events: [ev('pwd', 12 * HOUR + 100), ev('otp', 12 * HOUR + 1)],
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'aal2 decayed, nothing requested → reports aal1 backed by the password',
      events: [ev('pwd', 12 * HOUR + 100), ev('otp', 12 * HOUR + 1)],
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: 12 * HOUR + 100 },
    },
    {
      name: 'aal2 via old password + fresh otp: level reached at the latest event → valid',
      events: [ev('pwd', 20 * DAY), ev('otp', MIN)],
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: MIN },
    },
    {
      name: 'aal2 via passkey decayed (12 h + 1 s), passkey-only account → asks passkey again',
      events: [ev('passkey', 12 * HOUR + 1)],
      enrolled: E.passkey,
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['passkey'] },
    },
    {
      name: 'phr reached exactly 600 s ago → still valid',
      events: [ev('passkey', 600)],
      enrolled: E.all,
      req: { acrValues: 'phr' },
      want: { outcome: 'satisfied', acr: 'phr', amr: PASSKEY_AMR, authAgo: 600 },
    },
    {
      name: 'phr reached 601 s ago → step_up [passkey] (even though it still backs aal2)',
      events: [ev('passkey', 601)],
      enrolled: E.all,
      req: { acrValues: 'phr' },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'passkey 601 s ago still satisfies an aal2 request',
      events: [ev('passkey', 601)],
      enrolled: E.all,
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: PASSKEY_AMR, authAgo: 601 },
    },
    {
      name: 'phr on a valid aal2 (pwd+otp) session → step_up [passkey]',
      events: aal2(),
      enrolled: E.all,
      req: { acrValues: 'phr' },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'phr on a decayed aal2 session → step_up [passkey]',
      events: [ev('pwd', 13 * HOUR), ev('otp', 13 * HOUR)],
      enrolled: E.all,
      req: { acrValues: 'phr' },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'aal1 reached exactly 30 days ago → still valid',
      events: [ev('pwd', 30 * DAY)],
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: 30 * DAY },
    },
    {
      name: 'aal1 reached 30 days + 1 s ago → step_up [pwd]',
      events: [ev('pwd', 30 * DAY + 1)],
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'aal2 with an expired password but a fresh otp → asks only pwd',
      events: [ev('pwd', 30 * DAY + 1), ev('otp', MIN)],
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['pwd'] },
    },
  ]);
});

describe('decide: max_age, prompt=login and the current interaction', () => {
  table([
    {
      name: 'max_age=0 + prompt=login, password entered in this interaction → satisfied',
      events: [ev('pwd', 10)],
      interactionAgo: 30,
      req: { maxAge: 0, forceLogin: true },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: 10 },
    },
    {
      name: 'max_age=0 + prompt=login, password from before the interaction → step_up [pwd]',
      events: [ev('pwd', HOUR)],
      interactionAgo: 30,
      req: { maxAge: 0, forceLogin: true },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=0 without interaction, password 1 s old → step_up [pwd]',
      events: [ev('pwd', 1)],
      req: { maxAge: 0 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=0 with interaction, password in this interaction → satisfied (no loop)',
      events: [ev('pwd', 5)],
      interactionAgo: 20,
      req: { maxAge: 0 },
      want: { outcome: 'satisfied', acr: 'aal1', authAgo: 5 },
    },
    {
      name: 'prompt=login without interactionStartedAt: nothing counts → step_up [pwd]',
      events: [ev('pwd', 0)],
      req: { forceLogin: true },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=300, password exactly 300 s old (age == max_age) → satisfied',
      events: [ev('pwd', 300)],
      req: { maxAge: 300 },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: 300 },
    },
    {
      name: 'max_age=300, password 301 s old → step_up [pwd]',
      events: [ev('pwd', 301)],
      req: { maxAge: 300 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=300 with aal2 requested on an older aal2 session → step_up [pwd, otp]',
      events: [ev('pwd', 400), ev('otp', 301)],
      enrolled: E.pwdOtp,
      req: { acrValues: 'aal2', maxAge: 300 },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['pwd', 'otp'] },
    },
    {
      name: 'max_age=300 with aal2 requested, otp fresh but password old → step_up [pwd]',
      events: [ev('pwd', 400), ev('otp', 100)],
      req: { acrValues: 'aal2', maxAge: 300 },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['pwd'] },
    },
    {
      name: 'max_age=300 with aal2 requested, both events within 300 s → satisfied',
      events: [ev('pwd', 300), ev('otp', 200)],
      req: { acrValues: 'aal2', maxAge: 300 },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: 200 },
    },
    {
      name: 'max_age=300, nothing requested, old pwd + fresh otp → step_up aal1 [pwd]',
      events: [ev('pwd', 1000), ev('otp', 100)],
      req: { maxAge: 300 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=300, nothing requested, fresh pwd + old otp → reports aal1, not aal2',
      events: [ev('pwd', 100), ev('otp', 1000)],
      req: { maxAge: 300 },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: 100 },
    },
    {
      name: 'max_age=60 and the password entered in this interaction 100 s ago → asked again (an open page does not stop the clock)',
      events: [ev('pwd', 100)],
      interactionAgo: 200,
      req: { maxAge: 60 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=60, measured from when the interaction finished (freshAt), not the later resume → satisfied',
      events: [ev('pwd', 100)],
      freshAgo: 90,
      req: { maxAge: 60 },
      want: { outcome: 'satisfied', acr: 'aal1', authAgo: 100 },
    },
    {
      name: 'freshAt can never be in the future: it is capped at now',
      events: [ev('pwd', 100)],
      freshAgo: -1000,
      req: { maxAge: 60 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=0 without prompt=login behaves as prompt=login: a password from before the interaction is asked again',
      events: [ev('pwd', 3)],
      interactionAgo: 1,
      req: { maxAge: 0 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=60, password from before the interaction → step_up [pwd]',
      events: [ev('pwd', 300)],
      interactionAgo: 200,
      req: { maxAge: 60 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'prompt=login, aal2: password in this interaction, otp before → step_up [otp]',
      events: [ev('pwd', 60), ev('otp', HOUR)],
      interactionAgo: 120,
      req: { acrValues: 'aal2', forceLogin: true },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'prompt=login, aal2: both factors in this interaction → satisfied',
      events: [ev('pwd', 60), ev('otp', 30)],
      interactionAgo: 120,
      req: { acrValues: 'aal2', forceLogin: true },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: 30 },
    },
    {
      name: 'prompt=login is stricter than a loose max_age → step_up [pwd]',
      events: [ev('pwd', 600)],
      interactionAgo: 60,
      req: { maxAge: HOUR, forceLogin: true },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'max_age=1 day, aal2 decayed but both events fresh enough → asks only otp',
      events: [ev('pwd', 13 * HOUR), ev('otp', 13 * HOUR)],
      req: { acrValues: 'aal2', maxAge: DAY },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
  ]);
});

describe('decide: acr_values preference order', () => {
  table([
    {
      name: '"aal2 aal1" on aal1 session with otp enrolled → step_up aal2 [otp]',
      events: aal1(),
      enrolled: E.pwdOtp,
      req: { acrValues: 'aal2 aal1' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: '"phr aal2" on aal2 session with a passkey enrolled → step_up phr [passkey]',
      events: aal2(),
      enrolled: E.all,
      req: { acrValues: 'phr aal2' },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'strict "aal2 aal1" on aal1 session without otp → aal1 is first reachable → satisfied aal1',
      strict: true,
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'aal2 aal1' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: MIN },
    },
    {
      name: 'lenient "aal2 aal1" on aal1 session without otp → satisfied aal1',
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'aal2 aal1' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR },
    },
    {
      name: 'strict "aal2 aal1" without otp and without session → step_up aal1 [pwd]',
      strict: true,
      events: [],
      enrolled: E.pwd,
      req: { acrValues: 'aal2 aal1' },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'strict "phr aal2" without passkey, no session → step_up aal2 [pwd, otp]',
      strict: true,
      events: [],
      enrolled: E.pwdOtp,
      req: { acrValues: 'phr aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['pwd', 'otp'] },
    },
    {
      name: 'strict "phr aal2" without passkey on aal2 session → satisfied aal2',
      strict: true,
      events: aal2(),
      enrolled: E.pwdOtp,
      req: { acrValues: 'phr aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR },
    },
    {
      name: '"aal2 aal1" on aal2 session → reports aal2',
      events: aal2(),
      req: { acrValues: 'aal2 aal1' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR, authAgo: MIN },
    },
    {
      name: '"aal1 aal2" on aal2 session → reports the first satisfied value aal1, backed by the freshest proof',
      events: aal2(),
      req: { acrValues: 'aal1 aal2' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: MFA_AMR, authAgo: MIN },
    },
  ]);
});

describe('decide: a higher level satisfies a lower request', () => {
  table([
    {
      name: 'phr session, aal2 requested → reports aal2 with passkey amr',
      events: phr(),
      enrolled: E.all,
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: PASSKEY_AMR, authAgo: MIN },
    },
    {
      name: 'passkey-only session, aal1 requested → reports aal1 with passkey amr',
      events: phr(),
      enrolled: E.passkey,
      req: { acrValues: 'aal1' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: PASSKEY_AMR, authAgo: MIN },
    },
    {
      name: 'aal2 session, aal1 requested → reports aal1 with the freshest backing (auth_time = latest authentication)',
      events: aal2(),
      req: { acrValues: 'aal1' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: MFA_AMR, authAgo: MIN },
    },
    {
      name: 'passkey-only account, aal1 requested, no session → step_up aal1 [passkey]',
      events: [],
      enrolled: E.passkey,
      req: { acrValues: 'aal1' },
      strict: true,
      want: { outcome: 'step_up', acr: 'aal1', factors: ['passkey'] },
    },
  ]);
});

describe('decide: unknown acr values and aliases', () => {
  table([
    {
      name: 'all unknown, voluntary → highest valid level aal2',
      events: aal2(),
      req: { acrValues: 'gold silver' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR },
    },
    {
      name: 'all unknown, voluntary, strict → strict does not apply → highest level phr',
      strict: true,
      events: phr(),
      enrolled: E.all,
      req: { acrValues: 'gold' },
      want: { outcome: 'satisfied', acr: 'phr' },
    },
    {
      name: 'all unknown, essential → unmet even on a satisfied session',
      events: aal2(),
      req: { acrValues: 'gold silver', essential: true },
      want: { outcome: 'unmet' },
    },
    {
      name: 'unknown then aal1 on aal2 session → reports aal1',
      events: aal2(),
      req: { acrValues: 'gold aal1' },
      want: { outcome: 'satisfied', acr: 'aal1', amr: MFA_AMR },
    },
    {
      name: 'unknown then aal2 on aal1 session → step_up aal2 [otp]',
      events: aal1(),
      req: { acrValues: 'gold aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'essential unknown + aal2 without otp → unmet',
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'gold aal2', essential: true },
      want: { outcome: 'unmet' },
    },
    {
      name: 'alias of aal2 on aal2 session → reported as spelled',
      ladder: ALIAS_LADDER,
      events: aal2(),
      req: { acrValues: 'urn:example:acr:mfa' },
      want: { outcome: 'satisfied', acr: 'urn:example:acr:mfa', amr: MFA_AMR },
    },
    {
      name: 'alias of aal2 on phr session → reported as spelled',
      ladder: ALIAS_LADDER,
      events: phr(),
      enrolled: E.all,
      req: { acrValues: 'urn:example:acr:mfa' },
      want: { outcome: 'satisfied', acr: 'urn:example:acr:mfa', amr: PASSKEY_AMR },
    },
    {
      name: 'alias of aal2 on aal1 session → step_up reports the alias, asks [otp]',
      ladder: ALIAS_LADDER,
      events: aal1(),
      req: { acrValues: 'urn:example:acr:mfa' },
      want: { outcome: 'step_up', acr: 'urn:example:acr:mfa', factors: ['otp'] },
    },
    {
      name: 'canonical value on a ladder with aliases → reported canonically',
      ladder: ALIAS_LADDER,
      events: aal2(),
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2' },
    },
    {
      name: 'alias of phr first, aal2 second, phr session → phr alias reported',
      ladder: ALIAS_LADDER,
      events: phr(),
      enrolled: E.all,
      req: { acrValues: 'urn:example:acr:phr aal2' },
      want: { outcome: 'satisfied', acr: 'urn:example:acr:phr' },
    },
  ]);
});

describe('decide: client minimum and sensitive scope / resource rules', () => {
  table([
    {
      name: 'acr_values=aal1 with client minimum aal2 on aal1 session → step_up aal2 [otp]',
      client: { minAcr: 'aal2' },
      events: aal1(),
      req: { acrValues: 'aal1' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'acr_values=aal1 with client minimum aal2 on aal2 session → satisfied aal2',
      client: { minAcr: 'aal2' },
      events: aal2(),
      req: { acrValues: 'aal1' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR },
    },
    {
      name: 'client minimum aal2, lenient, no otp enrolled → unmet (a floor is mandatory)',
      client: { minAcr: 'aal2' },
      events: aal1(),
      enrolled: E.pwd,
      want: { outcome: 'unmet' },
    },
    {
      name: 'client minimum aal2, phr session, nothing requested → reports phr',
      client: { minAcr: 'aal2' },
      events: phr(),
      enrolled: E.all,
      want: { outcome: 'satisfied', acr: 'phr' },
    },
    {
      name: 'client minimum aal2, "aal1 phr" requested on phr session → aal1 dropped, reports phr',
      client: { minAcr: 'aal2' },
      events: phr(),
      enrolled: E.all,
      req: { acrValues: 'aal1 phr' },
      want: { outcome: 'satisfied', acr: 'phr' },
    },
    {
      name: 'client minimum aal2, phr requested on aal2 session → step_up phr [passkey]',
      client: { minAcr: 'aal2' },
      events: aal2(),
      enrolled: E.all,
      req: { acrValues: 'phr' },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'client minimum given as an alias → target aal2',
      ladder: ALIAS_LADDER,
      client: { minAcr: 'urn:example:acr:mfa' },
      events: aal1(),
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'scope payments, passkey 200 s old → satisfied phr',
      events: [ev('passkey', 200)],
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'] },
      want: { outcome: 'satisfied', acr: 'phr', amr: PASSKEY_AMR, authAgo: 200 },
    },
    {
      name: 'scope payments, passkey exactly 300 s old → satisfied phr',
      events: [ev('passkey', 300)],
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'] },
      want: { outcome: 'satisfied', acr: 'phr', authAgo: 300 },
    },
    {
      name: 'scope payments, passkey 400 s old (phr valid, but rule maxAge 300) → step_up [passkey]',
      events: [ev('passkey', 400)],
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'] },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'scope payments on aal2 session → step_up phr [passkey]',
      events: aal2(),
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'] },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'scope payments with acr_values=aal1 → aal1 dropped, step_up phr',
      events: aal1(),
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'], acrValues: 'aal1' },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'scope payments without a passkey enrolled, lenient → unmet',
      events: aal2(),
      enrolled: E.pwdOtp,
      req: { scopes: ['openid', 'payments'] },
      want: { outcome: 'unmet' },
    },
    {
      name: 'scope payments + request max_age=100 (tighter) → passkey 200 s old is too old',
      events: [ev('passkey', 200)],
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'], maxAge: 100 },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'scope payments + request max_age=3600 (looser) → rule 300 s still applies',
      events: [ev('passkey', 400)],
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'], maxAge: HOUR },
      want: { outcome: 'step_up', acr: 'phr', factors: ['passkey'] },
    },
    {
      name: 'scopes without a rule → no floor, aal1 satisfied',
      events: aal1(),
      req: { scopes: ['openid', 'profile', 'email'] },
      want: { outcome: 'satisfied', acr: 'aal1' },
    },
    {
      name: 'resource rule (aal2 within 1 h) on aal1 session → step_up aal2 [otp]',
      rules: RESOURCE_RULES,
      events: aal1(),
      req: { resources: [TRANSFERS] },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'resource rule: aal2 reached 2 h ago (valid for the ladder, not for the rule) → [pwd, otp]',
      rules: RESOURCE_RULES,
      events: [ev('pwd', 2 * HOUR + 100), ev('otp', 2 * HOUR)],
      req: { resources: [TRANSFERS] },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['pwd', 'otp'] },
    },
    {
      name: 'resource rule: aal2 within the hour → satisfied aal2',
      rules: RESOURCE_RULES,
      events: aal2(),
      req: { resources: [TRANSFERS] },
      want: { outcome: 'satisfied', acr: 'aal2', amr: MFA_AMR },
    },
    {
      name: 'other resource → no rule, aal1 satisfied',
      rules: RESOURCE_RULES,
      events: aal1(),
      req: { resources: ['https://api.example.com/profile'] },
      want: { outcome: 'satisfied', acr: 'aal1' },
    },
  ]);
});

describe('decide: prompt=none', () => {
  table([
    {
      name: 'step-up needed → login_required',
      events: aal1(),
      req: { acrValues: 'aal2', promptNone: true },
      want: { outcome: 'login_required' },
    },
    {
      name: 'already satisfied → satisfied',
      events: aal2(),
      req: { acrValues: 'aal2', promptNone: true },
      want: { outcome: 'satisfied', acr: 'aal2' },
    },
    {
      name: 'nobody signed in → login_required',
      accountId: null,
      req: { promptNone: true },
      want: { outcome: 'login_required' },
    },
    {
      name: 'strict and unreachable → unmet, not login_required',
      strict: true,
      events: aal1(),
      enrolled: E.pwd,
      req: { acrValues: 'aal2', promptNone: true },
      want: { outcome: 'unmet' },
    },
    {
      name: 'max_age=0 on an existing session → login_required',
      events: aal1(),
      req: { maxAge: 0, promptNone: true },
      want: { outcome: 'login_required' },
    },
    {
      name: 'scope payments on aal2 session → login_required',
      events: aal2(),
      enrolled: E.all,
      req: { scopes: ['openid', 'payments'], promptNone: true },
      want: { outcome: 'login_required' },
    },
  ]);
});

describe('decide: foreign and future events', () => {
  table([
    {
      name: 'only another account’s events → step_up aal1 [pwd]',
      events: [ev('pwd', MIN, BOB), ev('otp', MIN, BOB)],
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'own password + another account’s otp, aal2 requested → step_up [otp]',
      events: [ev('pwd', MIN), ev('otp', 30, BOB)],
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'own password + another account’s passkey → reports aal1 with pwd amr',
      events: [ev('pwd', MIN), ev('passkey', 30, BOB)],
      enrolled: E.all,
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: MIN },
    },
    {
      name: 'another account’s fresher password is not used for auth_time',
      events: [ev('pwd', HOUR), ev('pwd', MIN, BOB)],
      want: { outcome: 'satisfied', acr: 'aal1', authAgo: HOUR },
    },
    {
      name: 'future-dated password only → step_up [pwd]',
      events: [ev('pwd', -60)],
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'future-dated otp on aal1 session, aal2 requested → step_up [otp]',
      events: [ev('pwd', MIN), ev('otp', -10)],
      req: { acrValues: 'aal2' },
      want: { outcome: 'step_up', acr: 'aal2', factors: ['otp'] },
    },
    {
      name: 'future-dated passkey does not lift the level → aal1',
      events: [ev('pwd', MIN), ev('passkey', -60)],
      enrolled: E.all,
      want: { outcome: 'satisfied', acr: 'aal1', amr: PWD_AMR, authAgo: MIN },
    },
    {
      name: 'future-dated password does not move auth_time forward',
      events: [ev('pwd', HOUR), ev('pwd', -60)],
      want: { outcome: 'satisfied', acr: 'aal1', authAgo: HOUR },
    },
  ]);
});

describe('decide: amr and auth_time', () => {
  table([
    {
      name: 'password only → [pwd], no mfa',
      events: aal1(),
      want: { outcome: 'satisfied', amr: ['pwd'], authAgo: MIN },
    },
    {
      name: 'password + otp → [pwd, otp, mfa], auth_time = the otp',
      events: [ev('pwd', 5 * MIN), ev('otp', 3 * MIN)],
      want: { outcome: 'satisfied', acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], authAgo: 3 * MIN },
    },
    {
      name: 'passkey alone → [hwk, user], no mfa (one factor kind)',
      events: phr(),
      enrolled: E.all,
      want: { outcome: 'satisfied', acr: 'phr', amr: ['hwk', 'user'] },
    },
    {
      name: 'two password events → the latest backs the level',
      events: [ev('pwd', 2 * HOUR), ev('pwd', HOUR)],
      want: { outcome: 'satisfied', acr: 'aal1', amr: ['pwd'], authAgo: HOUR },
    },
    {
      name: 'aal2 backed by the fresher of two combinations (passkey after pwd+otp)',
      events: [ev('pwd', 3 * HOUR), ev('otp', 2 * HOUR), ev('passkey', 20 * MIN)],
      enrolled: E.all,
      req: { acrValues: 'aal2' },
      want: { outcome: 'satisfied', acr: 'aal2', amr: PASSKEY_AMR, authAgo: 20 * MIN },
    },
  ]);
});

describe('decide: lenient fallback still honours max_age and prompt=login', () => {
  table([
    {
      name: 'lenient aal2 without otp, max_age=60, fresh password → satisfied aal1',
      events: [ev('pwd', 30)],
      enrolled: E.pwd,
      req: { acrValues: 'aal2', maxAge: 60 },
      want: { outcome: 'satisfied', acr: 'aal1', authAgo: 30 },
    },
    {
      name: 'lenient aal2 without otp, max_age=60, password 1 h old → step_up aal1 [pwd]',
      events: [ev('pwd', HOUR)],
      enrolled: E.pwd,
      req: { acrValues: 'aal2', maxAge: 60 },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
    {
      name: 'lenient aal2 without otp, prompt=login, password from before the interaction → step_up aal1 [pwd]',
      events: [ev('pwd', HOUR)],
      enrolled: E.pwd,
      interactionAgo: 30,
      req: { acrValues: 'aal2', forceLogin: true },
      want: { outcome: 'step_up', acr: 'aal1', factors: ['pwd'] },
    },
  ]);
});
