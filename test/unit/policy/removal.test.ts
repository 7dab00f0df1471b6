// Removing a factor: does the account lose the highest level it can reach?
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER } from '../../../config/ladder.ts';
import { removalImpact } from '../../../policy/removal.ts';
import type { CoolingOff, Factor } from '../../../policy/types.ts';
import { HOUR, NOW } from './fixtures.ts';

const set = (...factors: Factor[]) => new Set<Factor>(factors);

describe('removalImpact', () => {
  it.each<[string, Factor[], Factor[], string | undefined, string | undefined, boolean]>([
    ['the only passkey of a passkey + TOTP account: phr → aal2', ['pwd', 'otp', 'passkey'], ['pwd', 'otp'], 'phr', 'aal2', true],
    ['one of two passkeys: still phr', ['pwd', 'passkey'], ['pwd', 'passkey'], 'phr', 'phr', false],
    ['the only TOTP of a password + TOTP account: aal2 → aal1', ['pwd', 'otp'], ['pwd'], 'aal2', 'aal1', true],
    ['TOTP next to a passkey: phr either way', ['pwd', 'otp', 'passkey'], ['pwd', 'passkey'], 'phr', 'phr', false],
    ['the only passkey of a passkey-only account: phr → nothing', ['passkey'], [], 'phr', undefined, true],
  ])('%s', (_name, before, after, from, to, lowers) => {
    const impact = removalImpact(DEFAULT_LADDER, { enrolled: set(...before) }, { enrolled: set(...after) }, NOW);
    expect(impact.before?.acr).toBe(from);
    expect(impact.after?.acr).toBe(to);
    expect(impact.lowers).toBe(lowers);
  });
});

describe('removalImpact with authenticators in cool-off and recovery codes', () => {
  const cooling = (factor: Factor, cap: string, until: number): CoolingOff => ({ authenticatorId: `${factor}-new`, factor, cap, until });

  it('a passkey still cooling off at aal1 does not count: removing it lowers nothing, the account is at aal1', () => {
    const impact = removalImpact(DEFAULT_LADDER, { enrolled: set('pwd'), coolingOff: [cooling('passkey', 'aal1', NOW + HOUR)] }, { enrolled: set('pwd') }, NOW);
    expect([impact.before?.acr, impact.after?.acr, impact.lowers]).toEqual(['aal1', 'aal1', false]);
  });

  it('a passkey whose cool-off has ended counts fully: removing it lowers phr → aal1 and asks for confirmation', () => {
    const impact = removalImpact(DEFAULT_LADDER, { enrolled: set('pwd'), coolingOff: [cooling('passkey', 'aal1', NOW)] }, { enrolled: set('pwd') }, NOW);
    expect([impact.before?.acr, impact.after?.acr, impact.lowers]).toEqual(['phr', 'aal1', true]);
  });

  it('a passkey capped at aal2 next to TOTP: the account is at aal2 either way until the cool-off ends', () => {
    const before = { enrolled: set('pwd', 'otp'), coolingOff: [cooling('passkey', 'aal2', NOW + 1)] };
    expect(removalImpact(DEFAULT_LADDER, before, { enrolled: set('pwd', 'otp') }, NOW).lowers).toBe(false);
    expect(removalImpact(DEFAULT_LADDER, before, { enrolled: set('pwd', 'otp') }, NOW + 1).lowers).toBe(true);
  });

  it('recovery codes are not a factor of any level: an account with only a password and codes is at aal1', () => {
    // Codes are kept apart from authenticators: the enrolled factors never contain them, and no combination names them.
    expect(DEFAULT_LADDER.some((level) => level.combinations.some((combination) => combination.includes('recovery')))).toBe(false);
    const impact = removalImpact(DEFAULT_LADDER, { enrolled: set('pwd', 'otp') }, { enrolled: set('pwd') }, NOW);
    expect([impact.before?.acr, impact.after?.acr]).toEqual(['aal2', 'aal1']);
  });
});
