// JWT access tokens cannot be recalled, so an API keeps them short with its own accessTokenTTL: the provider honours it.
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { Browser } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const SHORT = 'https://payments.example.test';
const DEFAULT = 'https://reports.example.test';

const { provider, rp } = useProvider({
  resources: () => [
    { indicator: SHORT, scope: 'transfer', accessTokenTTL: 90 },
    { indicator: DEFAULT, scope: 'read' },
  ],
});

describe("a resource server's accessTokenTTL", () => {
  it.each([
    ['its own, 90 s', SHORT, 'openid transfer', 90],
    ['the default, 600 s, when it sets none', DEFAULT, 'openid read', 600],
  ])('JWT access tokens for it live %s', async (_name, resource, scope, ttl) => {
    const account = await createAccount(provider);
    const tokens = await rp.signIn(new Browser(CALLBACK), account, { scope, resource });
    const claims = decodeJwt(tokens.access_token);
    expect(claims.aud).toBe(resource);
    expect(claims.exp! - claims.iat!).toBe(ttl);
    expect(tokens.expires_in).toBe(ttl);
  });

  it('opaque access tokens (no resource) keep the provider default', async () => {
    const account = await createAccount(provider);
    const tokens = await rp.signIn(new Browser(CALLBACK), account);
    expect(tokens.expires_in).toBe(provider.config.ttl.accessToken);
  });
});
