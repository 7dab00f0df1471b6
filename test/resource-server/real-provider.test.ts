// The guard against the real provider: its JWT access tokens, its ID tokens, its opaque tokens through introspection.
import { beforeAll, describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../../resource-server/index.ts';
import { Browser, expectCallback, formOf } from '../integration/harness/browser.ts';
import { createAccount } from '../integration/harness/accounts.ts';
import { useProvider } from '../integration/harness/use-provider.ts';
import { CALLBACK } from '../integration/harness/rp.ts';

const { provider, rp } = useProvider();
let api: string;
let guard: Guard;

beforeAll(async () => {
  api = provider.api;
  guard = createGuard({ issuer: provider.issuer, audience: api, now: provider.clock.now });
});

describe('JWT access tokens from the provider', () => {
  it('pass at aal1, are challenged for aal2, and pass again after the step-up with a later auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const first = await rp.signIn(browser, account, { scope: 'openid api:read api:write', resource: api });
    const balance = await guard.check(`Bearer ${first.access_token}`, { acr: 'aal1', scope: 'api:read' });
    expect(balance).toMatchObject({ ok: true, token: { format: 'jwt', sub: account.id, acr: 'aal1', amr: ['pwd'] } });

    const transfer = await guard.check(`Bearer ${first.access_token}`, { acr: 'aal2', maxAge: 300, scope: 'api:write' });
    expect(transfer.ok).toBe(false);
    const challenge = !transfer.ok ? transfer.headers['WWW-Authenticate']! : '';
    expect(challenge).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="aal2 phr", max_age="300"$/);

    provider.clock.advance(5);
    const flow = await rp.start(browser, { scope: 'openid api:read api:write', resource: api, acr_values: 'aal2 phr', max_age: '300' });
    expect(formOf(flow.step)).toBe('otp');
    const stepped = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
    const retried = await guard.check(`Bearer ${stepped.access_token}`, { acr: 'aal2', maxAge: 300, scope: 'api:write' });
    expect(retried).toMatchObject({ ok: true, token: { acr: 'aal2' } });
    expect(retried.ok && retried.token.authTime).toBeGreaterThan(balance.ok ? balance.token.authTime! : Infinity);
  });

  it('refuse an ID token presented as an access token (typ), and a token for another API (aud)', async () => {
    const account = await createAccount(provider);
    const tokens = await rp.signIn(new Browser(CALLBACK), account, { scope: 'openid api:read', resource: api });
    // ID tokens are signed RS256: the default allowlist (ES256) refuses them first; allowing RS256, typ still does.
    const idToken = await guard.check(`Bearer ${tokens.id_token}`);
    expect(!idToken.ok && idToken.error.code).toBe('token_algorithm_invalid');
    const lenient = createGuard({ issuer: provider.issuer, audience: api, algorithms: ['ES256', 'RS256'] });
    const typed = await lenient.check(`Bearer ${tokens.id_token}`);
    expect(!typed.ok && typed.error.code).toBe('token_type_invalid');
    const elsewhere = await createGuard({ issuer: provider.issuer, audience: 'https://other.example' }).check(`Bearer ${tokens.access_token}`);
    expect(!elsewhere.ok && elsewhere.error.code).toBe('token_audience_invalid');
  });
});

describe('opaque access tokens from the provider', () => {
  it('pass through introspection by a registered resource server, with the acr they were issued at', async () => {
    await provider.stores.clients.upsert({
      client_id: 'rs-introspector',
      client_secret: 'rs-introspector-secret-0123456789',
      redirect_uris: [],
      grant_types: [],
      response_types: [],
      stepup_resource_server: true,
    });
    const introspecting = createGuard({
      issuer: provider.issuer,
      audience: api,
      now: provider.clock.now,
      introspection: { clientId: 'rs-introspector', clientSecret: 'rs-introspector-secret-0123456789' },
    });
    const account = await createAccount(provider);
    const tokens = await rp.signIn(new Browser(CALLBACK), account);
    expect(tokens.access_token.split('.')).toHaveLength(1);
    expect(await introspecting.check(`Bearer ${tokens.access_token}`, { acr: 'aal1' })).toMatchObject({ ok: true, token: { format: 'introspected', sub: account.id, acr: 'aal1' } });
    const short = await introspecting.check(`Bearer ${tokens.access_token}`, { acr: 'aal2' });
    expect(!short.ok && short.headers['WWW-Authenticate']).toMatch(/acr_values="aal2 phr"$/);
  });
});
