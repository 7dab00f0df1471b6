// What an access token must be, decided at the token endpoint: its lifetime by level and resource (the shortest wins),
// DPoP required by a level or a resource (RFC 9449: refused without a proof, before the code is used; bound with one).
import { describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { calculateJwkThumbprint, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DEFAULT_LADDER } from '../../config/ladder.ts';
import { Browser, expectCallback, formOf } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK, type Flow } from './harness/rp.ts';

const SHORT = 'https://short.example.test';
const LONG = 'https://long.example.test';
const PLAIN = 'https://plain.example.test';
const BOUND = 'https://bound.example.test';
const RSA = 'https://rsa.example.test';

const { provider, rp } = useProvider({
  policy: {
    ladder: DEFAULT_LADDER.map((level) => (level.acr === 'aal1' ? { ...level, accessTokenTTL: 300 } : level.acr === 'aal2' ? { ...level, accessTokenTTL: 120, dpop: true } : level)),
  },
  resources: () => [
    { indicator: SHORT, scope: 'read', accessTokenTTL: 90 },
    { indicator: LONG, scope: 'read', accessTokenTTL: 3600 },
    { indicator: PLAIN, scope: 'read' },
    { indicator: BOUND, scope: 'read', dpop: true },
    { indicator: RSA, scope: 'read', alg: 'RS256' },
  ],
});

type Tokens = Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;

async function callbackOf(browser: Browser, account: TestAccount, params: Record<string, string>): Promise<{ flow: Flow; callback: URL }> {
  const flow = await rp.start(browser, params);
  let step = flow.step;
  const form = () => (step.kind === 'page' ? formOf(step) : 'callback');
  if (form() === 'password') step = await browser.submit(step, '/password', { username: account.username, password: account.password });
  if (form() === 'otp') step = await browser.submit(step, '/otp', { code: account.code() });
  if (form() === 'consent') step = await browser.submit(step, '/consent', {});
  return { flow, callback: expectCallback(step) };
}

function exchange({ flow, callback }: { flow: Flow; callback: URL }, dpop?: oidc.DPoPHandle): Promise<Tokens> {
  return oidc.authorizationCodeGrant(
    rp.config,
    callback,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce, idTokenExpected: true },
    undefined,
    dpop && { DPoP: dpop },
  );
}

async function refused(promise: Promise<unknown>): Promise<{ status?: number; error?: string; error_description?: string }> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught as { status?: number; error?: string; error_description?: string },
  );
  expect(error, 'the request was expected to be refused').toBeDefined();
  return error!;
}

async function dpopKey() {
  const keyPair = await oidc.randomDPoPKeyPair();
  return { handle: oidc.getDPoPHandle(rp.config, keyPair), thumbprint: await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)) };
}

describe('access-token lifetime by level and resource: the shortest wins', () => {
  it.each([
    ['a resource without its own: the level (aal1: 300 s) under the default 600 s', PLAIN, 300],
    ['a shorter resource (90 s) under the level', SHORT, 90],
    ['a longer resource (3600 s): the level still caps it', LONG, 300],
  ])('%s', async (_name, resource, ttl) => {
    const account = await createAccount(provider);
    const tokens = await exchange(await callbackOf(new Browser(CALLBACK), account, { scope: 'openid read', resource }));
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({ aud: resource, acr: 'aal1' });
    expect(claims.exp! - claims.iat!).toBe(ttl);
    expect(tokens.expires_in).toBe(ttl);
  });

  it('caps opaque access tokens (no resource) by the level too', async () => {
    const account = await createAccount(provider);
    const tokens = await exchange(await callbackOf(new Browser(CALLBACK), account, {}));
    expect(tokens.expires_in).toBe(300);
  });

  it("signs with the resource's algorithm (RS256 here, ES256 by default)", async () => {
    const account = await createAccount(provider);
    const rsa = await exchange(await callbackOf(new Browser(CALLBACK), account, { scope: 'openid read', resource: RSA }));
    expect(decodeProtectedHeader(rsa.access_token)).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    const plain = await exchange(await callbackOf(new Browser(CALLBACK), account, { scope: 'openid read', resource: PLAIN }));
    expect(decodeProtectedHeader(plain.access_token)).toMatchObject({ alg: 'ES256', typ: 'at+jwt' });
  });
});

describe('DPoP required by a level (aal2 here)', () => {
  it('refuses the code without a proof (invalid_request, the code stays usable), then binds the 120 s token to the key', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await exchange(await callbackOf(browser, account, {}));
    const stepped = await callbackOf(browser, account, { acr_values: 'aal2', scope: 'openid read', resource: PLAIN });

    const error = await refused(exchange(stepped));
    expect(error).toMatchObject({ status: 400, error: 'invalid_request' });
    expect(error.error_description).toMatch(/DPoP-bound access token is required \(level aal2\)/);

    const key = await dpopKey();
    const tokens = await exchange(stepped, key.handle);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(tokens.expires_in).toBe(120);
    expect(decodeJwt(tokens.access_token)).toMatchObject({ acr: 'aal2', aud: PLAIN, cnf: { jkt: key.thumbprint } });
  });
});

describe('DPoP required by a resource (resource add --dpop)', () => {
  it('refuses a token request for it without a proof and binds the token with one; an aal1 token for another resource stays a bearer token', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const bound = await callbackOf(browser, account, { scope: 'openid read', resource: BOUND });
    expect(await refused(exchange(bound))).toMatchObject({ status: 400, error: 'invalid_request', error_description: expect.stringMatching(/resource https:\/\/bound\.example\.test/) });
    const key = await dpopKey();
    const tokens = await exchange(bound, key.handle);
    expect(tokens.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(tokens.access_token).cnf).toEqual({ jkt: key.thumbprint });

    const plain = await exchange(await callbackOf(browser, account, { scope: 'openid read', resource: PLAIN }));
    expect(plain.token_type.toLowerCase()).toBe('bearer');
    expect(decodeJwt(plain.access_token).cnf).toBeUndefined();
  });

  it('refuses a refresh for it without a proof, and refreshes with one', async () => {
    const account = await createAccount(provider);
    const key = await dpopKey();
    const first = await exchange(await callbackOf(new Browser(CALLBACK), account, { scope: 'openid offline_access read', resource: BOUND, prompt: 'consent' }), key.handle);
    expect(first.refresh_token).toBeTruthy();
    expect(await refused(oidc.refreshTokenGrant(rp.config, first.refresh_token!))).toMatchObject({ status: 400, error: 'invalid_request' });
    const refreshed = await oidc.refreshTokenGrant(rp.config, first.refresh_token!, undefined, { DPoP: key.handle });
    expect(refreshed.token_type.toLowerCase()).toBe('dpop');
    expect(decodeJwt(refreshed.access_token).cnf).toEqual({ jkt: key.thumbprint });
  });

  it('answers a proof whose iat is too old with use_dpop_nonce and a DPoP-Nonce, and accepts the proof that carries it', async () => {
    const refreshToken = await boundRefreshToken();
    const prover = await handMadeProver();
    const stale = await prover.refresh(refreshToken, await prover.proof({ iat: Math.floor(Date.now() / 1000) - 600 }));
    expect(stale.status).toBe(400);
    expect(await stale.json()).toMatchObject({ error: 'use_dpop_nonce' });
    const nonce = stale.headers.get('dpop-nonce');
    expect(nonce).toBeTruthy();
    const fresh = await prover.refresh(refreshToken, await prover.proof({ nonce }));
    expect(fresh.status).toBe(200);
    expect(await fresh.json()).toMatchObject({ token_type: 'DPoP' });
  });

  it('refuses a replayed proof and a proof signed by another key than the one it shows, never a token (oidc-provider checks these once DPoP is on)', async () => {
    const refreshToken = await boundRefreshToken();
    const prover = await handMadeProver();
    const once = await prover.proof({});
    const first = await prover.refresh(refreshToken, once);
    expect(first.status).toBe(200);
    // The refresh token the next request presents is valid (rotated or not): only the proof is replayed.
    const current = ((await first.json()) as { refresh_token?: string }).refresh_token ?? refreshToken;
    const replayed = await prover.refresh(current, once);
    expect(replayed.status).toBe(400);
    expect(await replayed.json()).toMatchObject({ error: 'invalid_grant' });

    const impostor = await handMadeProver();
    const forged = await prover.proof({}, impostor.jwk);
    const refused = await prover.refresh(current, forged);
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: 'invalid_dpop_proof' });
  });
});

/** A refresh token for the DPoP-requiring resource (confidential client: the refresh token itself is not bound). */
async function boundRefreshToken(): Promise<string> {
  const account = await createAccount(provider);
  const key = await dpopKey();
  const tokens = await exchange(await callbackOf(new Browser(CALLBACK), account, { scope: 'openid offline_access read', resource: BOUND, prompt: 'consent' }), key.handle);
  return tokens.refresh_token!;
}

/** DPoP proofs made with jose, to send what openid-client never would (stale, replayed, mismatched keys). */
async function handMadeProver() {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const tokenEndpoint = rp.config.serverMetadata().token_endpoint!;
  const basic = Buffer.from(`${rp.clientId}:secret-${rp.clientId}-0123456789abcdef`).toString('base64');
  return {
    jwk,
    proof: (claims: Record<string, unknown>, shown = jwk) =>
      new SignJWT({ htm: 'POST', htu: tokenEndpoint, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), ...claims })
        .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: shown })
        .sign(privateKey),
    refresh: (refreshToken: string, dpop: string) =>
      fetch(tokenEndpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}`, dpop },
        body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
      }),
  };
}
