// JWKS caching: one fetch serves every request; a new kid refetches once, not once per request; unknown kids cannot force refetches.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setTimeout as sleep } from 'node:timers/promises';
import { createGuard, type Guard } from '../../resource-server/index.ts';
import { accessToken, AUDIENCE, fakeProvider, testKey, type FakeProvider, type TestKey } from './fixtures.ts';

const COOLDOWN_MS = 200;
let provider: FakeProvider;
let oldKey: TestKey;
let newKey: TestKey;
let guard: Guard;

beforeEach(async () => {
  oldKey = await testKey('2024-old');
  newKey = await testKey('2025-new');
  provider = await fakeProvider([oldKey]);
  guard = createGuard({ issuer: provider.issuer, audience: AUDIENCE, ladder: ['aal1', 'aal2', 'phr'], jwksCooldown: COOLDOWN_MS });
});
afterEach(async () => provider?.close());

const bearer = async (key: TestKey) => `Bearer ${await accessToken({ key, issuer: provider.issuer })}`;

describe('when the provider rotates its signing key', () => {
  it('fetches the JWKS once for many requests signed by a known key', async () => {
    const header = await bearer(oldKey);
    await Promise.all(Array.from({ length: 20 }, () => guard.check(header, { acr: 'aal1' })));
    for (let index = 0; index < 20; index += 1) expect((await guard.check(header, { acr: 'aal1' })).ok).toBe(true);
    expect(provider.hits['/jwks']).toBe(1);
  });

  it('refetches exactly once for a new kid, however many requests carry it, and keeps accepting the old key', async () => {
    expect((await guard.check(await bearer(oldKey))).ok).toBe(true);
    expect(provider.hits['/jwks']).toBe(1);

    provider.keys = [oldKey.jwk, newKey.jwk];
    await sleep(COOLDOWN_MS + 50);
    const header = await bearer(newKey);
    const concurrent = await Promise.all(Array.from({ length: 20 }, () => guard.check(header, { acr: 'aal1' })));
    expect(concurrent.every((result) => result.ok)).toBe(true);
    for (let index = 0; index < 20; index += 1) expect((await guard.check(await bearer(newKey))).ok).toBe(true);
    expect((await guard.check(await bearer(oldKey))).ok).toBe(true);
    expect(provider.hits['/jwks']).toBe(2);
  });

  it('does not refetch for unknown kids within the cooldown, so forged kids cannot hammer the provider', async () => {
    expect((await guard.check(await bearer(oldKey))).ok).toBe(true);
    const forged = await testKey('forged-kid');
    for (let index = 0; index < 10; index += 1) {
      const result = await guard.check(await bearer(forged));
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.code).toBe('token_key_unknown');
    }
    expect(provider.hits['/jwks']).toBe(1);
  });
});
