// Step-up for OAuth-only clients (RFC 9470 §4): acr_values and max_age without the openid scope, driven with oauth4webapi;
// no ID token is involved, and the access token carries what the policy decided. Also: an API's RFC 9470 challenge answered.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import Koa from 'koa';
import { createGuard, koaGuard, type GuardState } from '../../resource-server/index.ts';
import { Browser, expectCallback, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK } from './harness/rp.ts';

let provider: RunningProvider;
let as: oauth.AuthorizationServer;
let api: string;
const client: oauth.Client = { client_id: 'oauth-only' };
const clientAuth = oauth.ClientSecretPost('oauth-only-secret-0123456789');
const insecure = { [oauth.allowInsecureRequests]: true };

beforeAll(async () => {
  provider = await startProvider();
  api = provider.api;
  await provider.stores.clients.upsert({
    client_id: client.client_id,
    client_secret: 'oauth-only-secret-0123456789',
    redirect_uris: [CALLBACK],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    first_party: true,
  });
  const issuer = new URL(provider.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
});
afterAll(async () => provider?.close());

interface Flow {
  step: Step;
  verifier: string;
  state: string;
}

/** `undefined` for a parameter leaves it out of the request altogether. */
async function authorize(browser: Browser, params: Record<string, string | undefined>): Promise<Flow> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  const all: Record<string, string | undefined> = {
    client_id: client.client_id,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'api:write',
    resource: api,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  };
  url.search = new URLSearchParams(Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined)).toString();
  return { step: await browser.request(url.href), verifier, state };
}

async function exchange(flow: Flow, callback: URL): Promise<string> {
  const params = oauth.validateAuthResponse(as, client, callback, flow.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, CALLBACK, flow.verifier, { ...insecure, additionalParameters: { resource: api } });
  const result = await oauth.processAuthorizationCodeResponse(as, client, response);
  expect(result.id_token).toBeUndefined();
  return result.access_token;
}

async function claims(token: string) {
  return (await jwtVerify(token, createRemoteJWKSet(new URL(`${provider.issuer}/jwks`)), { issuer: provider.issuer, audience: api, typ: 'at+jwt' })).payload;
}

async function signIn(browser: Browser, account: TestAccount, params: Record<string, string> = {}): Promise<string> {
  const flow = await authorize(browser, params);
  return exchange(flow, expectCallback(await browser.submit(flow.step, '/password', { username: account.username, password: account.password })));
}

describe('an OAuth-only client (no openid scope)', () => {
  it('steps up with acr_values: only the missing code is asked, and the access token carries acr, amr and auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    expect(await claims(await signIn(browser, account))).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    provider.clock.advance(5);
    const flow = await authorize(browser, { acr_values: 'aal2' });
    expect(formOf(flow.step)).toBe('otp');
    const before = provider.clock.now();
    const token = await exchange(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
    const stepped = await claims(token);
    expect(stepped).toMatchObject({ acr: 'aal2', sub: account.id });
    expect(stepped.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(stepped.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('honours max_age: a password older than it is asked again', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await signIn(browser, account);
    provider.clock.advance(120);
    const flow = await authorize(browser, { max_age: '60' });
    expect(formOf(flow.step)).toBe('password');
    const before = provider.clock.now();
    const token = await exchange(flow, expectCallback(await browser.submit(flow.step, '/password', { password: account.password })));
    expect((await claims(token)).auth_time).toBeGreaterThanOrEqual(before);
  });

  it('steps up a request without any scope parameter, or with an empty one', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await signIn(browser, account);
    expect(formOf((await authorize(browser, { acr_values: 'aal2', scope: undefined })).step)).toBe('otp');
    expect(formOf((await authorize(browser, { acr_values: 'aal2', scope: '' })).step)).toBe('otp');
  });

  it('gets unmet_authentication_requirements for a level the account cannot reach, and invalid_request for both spellings at once', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await signIn(browser, account);
    const unmet = await authorize(browser, { acr_values: 'phr' });
    expect(expectCallback(unmet.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    const both = await authorize(browser, { acr_values: 'aal1', stepup_acr_values: 'aal1' });
    expect(expectCallback(both.step).searchParams.get('error')).toBe('invalid_request');
  });
});

describe("an API's RFC 9470 challenge, answered by an OAuth-only client", () => {
  let server: Server;
  let apiUrl: string;
  beforeAll(async () => {
    // One route that needs aal2 within 300 s, behind the guard (the demo API's transfer is now an operation with DPoP).
    const need = koaGuard(createGuard({ issuer: provider.issuer, audience: api, now: provider.clock.now }));
    const app = new Koa<GuardState>();
    const guarded = need({ acr: 'aal2', maxAge: 300, scope: 'api:write' });
    app.use(async (ctx, next) => {
      if (ctx.method !== 'POST' || ctx.path !== '/transfer') return next();
      await guarded(ctx, async () => {
        ctx.body = { token: { acr: ctx.state.auth.acr } };
      });
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const transfer = (token: string) =>
    oauth.protectedResourceRequest(token, 'POST', new URL(`${apiUrl}/transfer`), new Headers({ 'content-type': 'application/json' }), JSON.stringify({ to: 'bob', amount: '5.00' }), insecure);

  it('reads acr_values and max_age from the challenge, steps up without openid and the retry succeeds', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const refused = await transfer(await signIn(browser, account)).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
    const [challenge] = (refused as oauth.WWWAuthenticateChallengeError).cause;
    expect(challenge).toMatchObject({ scheme: 'bearer', parameters: { error: 'insufficient_user_authentication' } });
    const { acr_values: acrValues, max_age: maxAge } = challenge!.parameters;

    const flow = await authorize(browser, { acr_values: acrValues!, max_age: maxAge! });
    expect(formOf(flow.step)).toBe('otp');
    const token = await exchange(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
    const retry = await transfer(token);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ token: { acr: 'aal2' } });
  });
});
