// Tokens tell the truth: JWT access tokens, introspection and refreshed tokens carry what the authentication proved.
import { beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Browser, expectCallback, formOf } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { startProvider } from './harness/provider.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK, relyingParty } from './harness/rp.ts';

const { provider, rp } = useProvider();
let api: string;

beforeAll(async () => {
  api = provider.api;
});

/** Password sign-in with consent, so offline_access yields a refresh token. */
async function signInOffline(browser: Browser, account: TestAccount, params: Record<string, string> = {}) {
  const flow = await rp.start(browser, { scope: 'openid offline_access', prompt: 'consent', ...params });
  let step = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
  if (step.kind === 'page' && formOf(step) === 'consent') step = await browser.submit(step, '/consent', {});
  return rp.finish(flow, expectCallback(step));
}

async function stepUpToAal2(browser: Browser, account: TestAccount) {
  const flow = await rp.start(browser, { acr_values: 'aal2' });
  expect(formOf(flow.step)).toBe('otp');
  return rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
}

describe('JWT access tokens (RFC 9068)', () => {
  it('are typed at+jwt, signed by the provider and carry acr, amr and auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const tokens = await rp.signIn(browser, account, { scope: 'openid api:read', resource: api });
    expect(decodeProtectedHeader(tokens.access_token).typ).toBe('at+jwt');
    const { payload } = await jwtVerify(tokens.access_token, createRemoteJWKSet(new URL(`${provider.issuer}/jwks`)), {
      issuer: provider.issuer,
      audience: api,
      typ: 'at+jwt',
    });
    expect(payload).toMatchObject({ sub: account.id, acr: 'aal1', amr: ['pwd'], auth_time: tokens.claims()!.auth_time, scope: 'api:read' });
  });
});

describe('introspection (RFC 7662)', () => {
  it('reports acr, amr and auth_time of an opaque access token', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepped = await stepUpToAal2(browser, account);
    const introspection = await oidc.tokenIntrospection(rp.config, stepped.access_token);
    expect(introspection).toMatchObject({ active: true, sub: account.id, acr: 'aal2', auth_time: stepped.claims()!.auth_time });
    expect(introspection.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });
});

describe('refreshing tokens', () => {
  it('never raises acr nor moves auth_time, even after the session stepped up', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const original = await signInOffline(browser, account, { resource: api, scope: 'openid offline_access api:read' });
    expect(original.refresh_token).toBeTruthy();
    const originalClaims = original.claims()!;
    provider.clock.advance(10);
    const stepped = (await stepUpToAal2(browser, account)).claims()!;
    expect(stepped.acr).toBe('aal2');

    const refreshed = await oidc.refreshTokenGrant(rp.config, original.refresh_token!);
    const claims = refreshed.claims()!;
    expect(claims.acr).toBe('aal1');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.auth_time).toBe(originalClaims.auth_time);
    const { payload } = await jwtVerify(refreshed.access_token, createRemoteJWKSet(new URL(`${provider.issuer}/jwks`)), { issuer: provider.issuer, audience: api });
    expect(payload).toMatchObject({ acr: 'aal1', amr: ['pwd'], auth_time: originalClaims.auth_time });

    // A second rotation copies the same proof again.
    const again = await oidc.refreshTokenGrant(rp.config, refreshed.refresh_token!);
    expect(again.claims()).toMatchObject({ acr: 'aal1', auth_time: originalClaims.auth_time });
  });
});

describe('policy the front channel cannot lower', () => {
  it('applies a client minimum level over a lower acr_values', async () => {
    const strictRp = await relyingParty(provider, { stepup_min_acr: 'aal2' });
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await strictRp.start(browser, { acr_values: 'aal1' });
    const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(formOf(otp)).toBe('otp');
    const tokens = await strictRp.finish(flow, expectCallback(await browser.submit(otp, '/otp', { code: account.code() })));
    expect(tokens.claims()!.acr).toBe('aal2');
  });

  it('makes the payments scope require phr, which fails closed without a passkey', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { scope: 'openid payments', resource: api });
    const done = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(expectCallback(done).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('makes a configured scope rule ask for the step-up even without acr_values', async () => {
    const ruled = await startProvider({ policy: { scopeRules: [{ scope: 'api:write', acr: 'aal2', maxAge: 300 }] } });
    try {
      const ruledRp = await relyingParty(ruled);
      const account = await createAccount(ruled, { totp: true });
      const browser = new Browser(CALLBACK);
      const flow = await ruledRp.start(browser, { scope: 'openid api:write', resource: ruled.api });
      const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
      expect(formOf(otp)).toBe('otp');
      const tokens = await ruledRp.finish(flow, expectCallback(await browser.submit(otp, '/otp', { code: account.code() })));
      expect(tokens.claims()!.acr).toBe('aal2');
    } finally {
      await ruled.close();
    }
  });
});

describe('who may introspect', () => {
  it("refuses to describe another client's token, but answers a registered resource server", async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const tokens = await rp.signIn(browser, account);

    const stranger = await relyingParty(provider);
    expect((await oidc.tokenIntrospection(stranger.config, tokens.access_token)).active).toBe(false);

    const resourceServer = await relyingParty(provider, { stepup_resource_server: true });
    expect(await oidc.tokenIntrospection(resourceServer.config, tokens.access_token)).toMatchObject({ active: true, acr: 'aal1', sub: account.id });
  });

  it("answers a resource server that presents another client's refresh token with active: false, and the owner with active: true", async () => {
    const account = await createAccount(provider);
    const tokens = await signInOffline(new Browser(CALLBACK), account);
    const resourceServer = await relyingParty(provider, { stepup_resource_server: true });
    for (const hint of [undefined, 'refresh_token', 'access_token']) {
      const answer = await oidc.tokenIntrospection(resourceServer.config, tokens.refresh_token!, hint ? { token_type_hint: hint } : undefined);
      expect(answer).toEqual({ active: false });
    }
    expect(await oidc.tokenIntrospection(rp.config, tokens.refresh_token!)).toMatchObject({ active: true, sub: account.id, client_id: rp.clientId });
  });
});
