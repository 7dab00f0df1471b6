// Scope and resource rules hold on the back channel: a refresh token keeps minting a governed scope only while the
// sign-in behind it still meets the rule (level and max_age, measured from auth_time on the provider's clock).
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';
import { DEFAULT_LADDER } from '../../config/ladder.ts';
import { Browser, expectCallback, formOf } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const GUARDED = 'https://guarded.example.test';

// payments needs aal1 within 300 s (the default rule asks phr, which needs a passkey; the rule's clock is the same).
// The guarded resource needs aal1 (resource add --min-acr aal1), whose maxAge is 900 s in this ladder.
const { provider, rp } = useProvider({
  policy: {
    scopeRules: [{ scope: 'payments', acr: 'aal1', maxAge: 300 }],
    ladder: DEFAULT_LADDER.map((level) => (level.acr === 'aal1' ? { ...level, maxAge: 900 } : level)),
  },
  resources: (issuer) => [
    { indicator: `${issuer}/api`, scope: 'api:read api:write payments' },
    { indicator: GUARDED, scope: 'vault', minAcr: 'aal1' },
  ],
});

async function offlineSignIn(params: Record<string, string>) {
  const account = await createAccount(provider);
  const browser = new Browser(CALLBACK);
  const flow = await rp.start(browser, { scope: 'openid offline_access', prompt: 'consent', ...params });
  let step = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
  if (step.kind === 'page' && formOf(step) === 'consent') step = await browser.submit(step, '/consent', {});
  const tokens = await rp.finish(flow, expectCallback(step));
  expect(tokens.refresh_token).toBeTruthy();
  return tokens;
}

async function refusal(promise: Promise<unknown>) {
  return promise.then(
    () => undefined,
    (error: unknown) => error as { status?: number; error?: string; error_description?: string },
  );
}

describe('a refresh after a scope rule lapsed', () => {
  it('drops the governed scope from the new access token and keeps the rest (and a later refresh stays dropped)', async () => {
    const tokens = await offlineSignIn({ scope: 'openid offline_access api:read payments', resource: provider.api });
    const authTime = tokens.claims()!.auth_time!;
    expect(decodeJwt(tokens.access_token).scope).toBe('api:read payments');

    provider.clock.advance(200);
    const within = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(decodeJwt(within.access_token).scope).toBe('api:read payments');

    provider.clock.advance(101);
    const lapsed = await oidc.refreshTokenGrant(rp.config, within.refresh_token!);
    expect(decodeJwt(lapsed.access_token)).toMatchObject({ scope: 'api:read', acr: 'aal1', auth_time: authTime });
    expect(lapsed.scope?.split(' ')).not.toContain('payments');

    // The refresh token keeps what it was granted: the next refresh is judged again, and drops it again.
    const again = await oidc.refreshTokenGrant(rp.config, lapsed.refresh_token!);
    expect(decodeJwt(again.access_token).scope).toBe('api:read');
    // Asking for the lapsed scope explicitly gives nothing either.
    expect(await refusal(oidc.refreshTokenGrant(rp.config, again.refresh_token!, { scope: 'openid payments' }))).toMatchObject({ status: 400, error: 'invalid_grant' });
  });

  it('refuses with invalid_grant when the lapsed scope was all the token was for', async () => {
    const tokens = await offlineSignIn({ scope: 'openid offline_access payments', resource: provider.api });
    expect(decodeJwt(tokens.access_token).scope).toBe('payments');
    provider.clock.advance(301);
    const error = await refusal(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!));
    expect(error).toMatchObject({ status: 400, error: 'invalid_grant' });
    expect(error?.error_description).toMatch(/no longer backs payments \(the sign-in is older than the 300 s aal1 allows\), and nothing else is left/);
  });
});

describe("a refresh after a resource's min-acr rule lapsed (the level's maxAge)", () => {
  it('refreshes within it and refuses with invalid_grant after it', async () => {
    const tokens = await offlineSignIn({ scope: 'openid offline_access vault', resource: GUARDED });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: GUARDED, scope: 'vault' });
    provider.clock.advance(800);
    const within = await oidc.refreshTokenGrant(rp.config, tokens.refresh_token!);
    expect(decodeJwt(within.access_token).scope).toBe('vault');
    provider.clock.advance(101);
    const error = await refusal(oidc.refreshTokenGrant(rp.config, within.refresh_token!));
    expect(error).toMatchObject({
      status: 400,
      error: 'invalid_grant',
      error_description: expect.stringMatching(/no longer backs https:\/\/guarded\.example\.test: the sign-in is older than the 900 s aal1 allows/),
    });
  });
});
