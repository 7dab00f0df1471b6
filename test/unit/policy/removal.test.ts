// Removing a factor: does the account lose the highest level it can reach?
import { describe, expect, it } from 'vitest';
import { DEFAULT_LADDER } from '../../../config/ladder.ts';
import { removalImpact } from '../../../policy/removal.ts';
import type { Factor } from '../../../policy/types.ts';

const set = (...factors: Factor[]) => new Set<Factor>(factors);

describe('removalImpact', () => {
  it.each<[string, Factor[], Factor[], string | undefined, string | undefined, boolean]>([
    ['the only passkey of a passkey + TOTP account: phr → aal2', ['pwd', 'otp', 'passkey'], ['pwd', 'otp'], 'phr', 'aal2', true],
    ['one of two passkeys: still phr', ['pwd', 'passkey'], ['pwd', 'passkey'], 'phr', 'phr', false],
    ['the only TOTP of a password + TOTP account: aal2 → aal1', ['pwd', 'otp'], ['pwd'], 'aal2', 'aal1', true],
    ['TOTP next to a passkey: phr either way', ['pwd', 'otp', 'passkey'], ['pwd', 'passkey'], 'phr', 'phr', false],
    ['the only passkey of a passkey-only account: phr → nothing', ['passkey'], [], 'phr', undefined, true],
  ])('%s', (_name, before, after, from, to, lowers) => {
    const impact = removalImpact(DEFAULT_LADDER, set(...before), set(...after));
    expect(impact.before?.acr).toBe(from);
    expect(impact.after?.acr).toBe(to);
    expect(impact.lowers).toBe(lowers);
  });
});
