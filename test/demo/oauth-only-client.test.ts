// The demo API's transfer, driven by an OAuth-only client with oauth4webapi (no openid, no ID token, RFC 9470 §4): its
// DPoP challenge read, the step-up asked with the payment as authorization_details, the DPoP-bound token paid once.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oauth from 'oauth4webapi';
import { createGuard } from '../../resource-server/index.ts';
import { createApiApp } from '../../demo/api/app.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from '../integration/harness/browser.ts';
import { createAccount } from '../integration/harness/accounts.ts';
import { startProvider, type RunningProvider } from '../integration/harness/provider.ts';
import { CALLBACK } from '../integration/harness/rp.ts';

let provider: RunningProvider;
let as: oauth.AuthorizationServer;
let server: Server;
let apiUrl: string;
const client: oauth.Client = { client_id: 'oauth-only-payer' };
const clientAuth = oauth.ClientSecretPost('oauth-only-payer-secret-0123456789');
const insecure = { [oauth.allowInsecureRequests]: true };
let dpop: oauth.DPoPHandle;

const PAYMENT = [{ type: 'payment', instructedAmount: { currency: 'EUR', amount: '5.00' }, creditorName: 'Bob', creditorAccount: { iban: 'DE89370400440532013000' } }];
const BODY = { amount: '5.00', currency: 'EUR', creditorName: 'Bob', iban: 'DE89370400440532013000' };

beforeAll(async () => {
  provider = await startProvider();
  await provider.stores.clients.upsert({
    client_id: client.client_id,
    client_secret: 'oauth-only-payer-secret-0123456789',
    redirect_uris: [CALLBACK],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
    first_party: true,
    authorization_details_types: ['payment'],
  });
  const issuer = new URL(provider.issuer);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { ...insecure, algorithm: 'oidc' }));
  dpop = oauth.DPoP(client, await oauth.generateKeyPair('ES256'));
  const guard = createGuard({ issuer: provider.issuer, audience: provider.api, now: provider.clock.now, dpop: { algorithms: ['ES256'] } });
  server = createServer(createApiApp({ guard, transfer: { acr: 'aal2', maxAge: 300 } }).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await provider?.close();
});

async function authorize(browser: Browser, params: Record<string, string>): Promise<{ step: Step; verifier: string; state: string }> {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    client_id: client.client_id,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'api:write',
    resource: provider.api,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...params,
  }).toString();
  return { step: await browser.request(url.href), verifier, state };
}

/** The code for a token bound to the client's DPoP key. */
async function exchange(flow: { verifier: string; state: string }, callback: URL): Promise<oauth.TokenEndpointResponse> {
  const params = oauth.validateAuthResponse(as, client, callback, flow.state);
  const response = await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, CALLBACK, flow.verifier, { ...insecure, DPoP: dpop });
  return oauth.processAuthorizationCodeResponse(as, client, response);
}

/** POST /transfer with a fresh proof; a challenge comes back as the error. */
function transfer(token: string, body: Record<string, string> = BODY): Promise<Response> {
  return oauth.protectedResourceRequest(token, 'POST', new URL(`${apiUrl}/transfer`), new Headers({ 'content-type': 'application/json' }), JSON.stringify(body), { ...insecure, DPoP: dpop });
}

async function challengeOf(call: Promise<Response>): Promise<{ status: number; scheme: string; parameters: oauth.WWWAuthenticateChallengeParameters }> {
  const error = await call.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);
  const { cause, status } = error as oauth.WWWAuthenticateChallengeError;
  return { status, scheme: cause[0]!.scheme, parameters: cause[0]!.parameters };
}

describe("the demo API's payment, by an OAuth-only client", () => {
  it('reads the DPoP challenge, steps up with it and the payment, and the DPoP-bound token pays once, and only that payment', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const signIn = await authorize(browser, {});
    const signedIn = await exchange(signIn, expectCallback(await browser.submit(signIn.step, '/password', { username: account.username, password: account.password })));
    expect(signedIn.token_type).toBe('dpop');

    // The aal1 token: the level is checked before the operation, so the RFC 9470 challenge comes first, in the DPoP scheme.
    const challenge = await challengeOf(transfer(signedIn.access_token));
    expect(challenge).toMatchObject({ status: 401, scheme: 'dpop', parameters: { error: 'insufficient_user_authentication', acr_values: 'aal2 phr', max_age: '300' } });

    const flow = await authorize(browser, { acr_values: challenge.parameters.acr_values!, max_age: challenge.parameters.max_age!, authorization_details: JSON.stringify(PAYMENT) });
    expect(formOf(flow.step)).toBe('otp');
    expect(expectPage(flow.step).document.querySelector('main')?.text).toContain('Pay 5.00 EUR to Bob');
    const approval = await browser.submit(flow.step, '/otp', { code: account.code() });
    expect(formOf(approval)).toBe('consent');
    const tokens = await exchange(flow, expectCallback(await browser.submit(approval, '/consent', {})));
    expect(tokens.authorization_details).toEqual(PAYMENT);
    expect(tokens.refresh_token).toBeUndefined();

    const paid = await transfer(tokens.access_token);
    expect(paid.status).toBe(200);
    expect(await paid.json()).toMatchObject({ transfer: { creditorName: 'Bob', amount: '5.00' }, balance: '995.00', token: { acr: 'aal2' }, approved: PAYMENT[0] });

    expect(await challengeOf(transfer(tokens.access_token, { ...BODY, amount: '50.00' }))).toMatchObject({ status: 403, scheme: 'dpop', parameters: { error: 'insufficient_authorization_details' } });
    expect(await challengeOf(transfer(tokens.access_token, { ...BODY, iban: 'FR1420041010050500013M02606' }))).toMatchObject({
      status: 403,
      parameters: { error: 'insufficient_authorization_details' },
    });
    expect(await challengeOf(transfer(tokens.access_token))).toMatchObject({
      status: 401,
      scheme: 'dpop',
      parameters: { error: 'invalid_token', error_description: expect.stringMatching(/already used/) },
    });
  });

  it("refuses the payment token without its key's proof (sent as Bearer), before anything is paid", async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await authorize(browser, { authorization_details: JSON.stringify(PAYMENT) });
    const code = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    const approval = await browser.submit(code, '/otp', { code: account.code() });
    const tokens = await exchange(flow, expectCallback(await browser.submit(approval, '/consent', {})));
    const stolen = await oauth
      .protectedResourceRequest(tokens.access_token, 'POST', new URL(`${apiUrl}/transfer`), new Headers({ 'content-type': 'application/json' }), JSON.stringify(BODY), insecure)
      .then(
        () => undefined,
        (caught: unknown) => caught as oauth.WWWAuthenticateChallengeError,
      );
    expect(stolen?.status).toBe(401);
    expect(stolen?.cause[0]).toMatchObject({ scheme: 'dpop', parameters: { error: 'invalid_token' } });
    // The token was not used up by the refused call: with its proof it still pays.
    expect((await transfer(tokens.access_token)).status).toBe(200);
  });
});
