// A relying party built on openid-client, registered in the provider's store like any client.
import * as oidc from 'openid-client';
import type { RunningProvider } from './provider.ts';
import { expectCallback, type Browser, type Step } from './browser.ts';

export const CALLBACK = 'http://127.0.0.1:1/callback';

export interface Flow {
  step: Step;
  verifier: string;
  state: string;
  nonce: string;
  maxAge?: number;
}

export interface RelyingParty {
  config: oidc.Configuration;
  clientId: string;
  /** Sends the browser to the authorization endpoint with PKCE, state and nonce. */
  start(browser: Browser, params?: Record<string, string>): Promise<Flow>;
  /** Exchanges the code, validating the ID token (and auth_time against max_age). */
  finish(flow: Flow, callback: URL): Promise<Tokens>;
  /** A complete password sign-in: start, fill the password form, exchange the code. */
  signIn(browser: Browser, account: { username: string; password: string }, params?: Record<string, string>): Promise<Tokens>;
}

type Tokens = oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;

export async function relyingParty(provider: RunningProvider, metadata: Record<string, unknown> = {}): Promise<RelyingParty> {
  const clientId = `rp-${Math.random().toString(36).slice(2, 10)}`;
  const clientSecret = `secret-${clientId}-0123456789abcdef`;
  await provider.stores.clients.upsert({
    client_id: clientId,
    client_secret: clientSecret,
    redirect_uris: [CALLBACK],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    first_party: true,
    ...metadata,
  });
  const config = await oidc.discovery(new URL(provider.issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
  const rp: RelyingParty = {
    config,
    clientId,
    async start(browser, params = {}) {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: CALLBACK,
        scope: 'openid profile',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...params,
      });
      const maxAge = params.max_age !== undefined ? Number(params.max_age) : undefined;
      return { step: await browser.request(url.href), verifier, state, nonce, maxAge };
    },
    async finish(flow, callback) {
      return oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        maxAge: flow.maxAge,
        idTokenExpected: true,
      });
    },
    async signIn(browser, account, params) {
      const flow = await rp.start(browser, params);
      const done = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
      return rp.finish(flow, expectCallback(done));
    },
  };
  return rp;
}
