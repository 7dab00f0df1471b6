// An operation token for a resource registered `--format opaque`: the provider stores it, so the API introspects it
// (RFC 7662) and sees the approved operation with acr, amr, auth_time and the DPoP binding, the resource-server guard
// executes only that operation, and a revocation (RFC 7009) ends it at once. JWT access tokens cannot be introspected.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import { createGuard, koaGuard, type GuardState, type OperationRequirement } from 'stepup-oidc/resource-server';
import { Browser, expectCallback, formOf, type Step } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { startProvider } from './harness/provider.ts';
import { useProvider } from './harness/use-provider.ts';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { revokeSessions } from '../../cli/session-commands.ts';
import { CALLBACK, relyingParty, type Flow, type RelyingParty } from './harness/rp.ts';

const API_SCOPES = 'api:read api:write payments';
// The first resource is the API the payments go to (opaque tokens); the second a JWT one, to show the difference.
const { provider, rp } = useProvider(
  {
    hostname: 'localhost',
    resources: (issuer) => [
      { indicator: `${issuer}/ledger`, scope: API_SCOPES, format: 'opaque' },
      { indicator: `${issuer}/api`, scope: API_SCOPES, format: 'jwt' },
    ],
  },
  // Operators allow each client the operation types it may ask for (`client add --operation-type`).
  { authorization_details_types: ['payment'] },
);

function payment(amount: string) {
  return [{ type: 'payment', instructedAmount: { currency: 'EUR', amount }, creditorName: 'ACME Ltd', creditorAccount: { iban: 'DE89370400440532013000' } }];
}

interface Approved {
  accessToken: string;
  tokenType: string | undefined;
  authorizationDetails: unknown;
  dpop: oidc.DPoPHandle;
  jkt: string;
  username: string;
}

/** Signs in at aal1 with the password, asks for `details` at `resource`, answers the code page and approves. */
async function approvedPayment(details: unknown, resource = provider.api): Promise<Approved> {
  const account = await createAccount(provider, { totp: true });
  const browser = new Browser(CALLBACK);
  // The password alone (aal1); the account's first TOTP code is used once, below, so the test clock never moves and the
  // guard (on the real clock) sees the same time as the provider.
  await rp.signIn(browser, account);
  const flow = await rp.start(browser, { authorization_details: JSON.stringify(details), resource, scope: 'openid api:write' });
  expect(formOf(flow.step)).toBe('otp');
  const consent = await browser.submit(flow.step, '/otp', { code: account.code() });
  return { ...(await redeem(flow, await approve(browser, consent))), username: account.username };
}

async function approve(browser: Browser, step: Step): Promise<URL> {
  expect(formOf(step)).toBe('consent');
  return expectCallback(await browser.submit(step, '/consent', {}));
}

/** Exchanges the code with a DPoP proof, as payment tokens require (the policy's `dpop: true` for the type). */
async function redeem(flow: Flow, callback: URL): Promise<Omit<Approved, 'username'>> {
  const keyPair = await oidc.randomDPoPKeyPair();
  const dpop = oidc.getDPoPHandle(rp.config, keyPair);
  const tokens = await oidc.authorizationCodeGrant(rp.config, callback, { pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce }, {}, { DPoP: dpop });
  const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
  return { accessToken: tokens.access_token, tokenType: tokens.token_type, authorizationDetails: tokens.authorization_details, dpop, jkt };
}

// The API's own client, allowed to introspect other clients' access tokens (`client add --resource-server`).
let api: RelyingParty;
let apiSecret: string;
beforeAll(async () => {
  api = await relyingParty(provider, { stepup_resource_server: true });
  apiSecret = String(api.config.clientMetadata().client_secret);
});

describe('a payment approved for a resource registered --format opaque', () => {
  let approved: Approved;
  const details = payment('50.00');
  beforeAll(async () => {
    approved = await approvedPayment(details);
  });

  it('yields an opaque, DPoP-bound access token carrying the approved details in the token response', () => {
    expect(provider.api).toBe(`${provider.issuer}/ledger`);
    // Not a JWS (three base64url parts): a reference to what the provider stores.
    expect(approved.accessToken.split('.')).toHaveLength(1);
    expect(approved.tokenType?.toLowerCase()).toBe('dpop');
    expect(approved.authorizationDetails).toEqual(details);
  });

  it('introspects, for the resource server, as active with the operation, acr, amr, auth_time and the DPoP key', async () => {
    const answer = await oidc.tokenIntrospection(api.config, approved.accessToken);
    expect(answer).toMatchObject({ active: true, client_id: rp.clientId, aud: provider.api, acr: 'aal2', token_type: 'DPoP', cnf: { jkt: approved.jkt } });
    expect(answer.authorization_details).toEqual(details);
    expect(answer.amr).toEqual(expect.arrayContaining(['pwd', 'otp']));
    expect(answer.auth_time).toEqual(expect.any(Number));
    // The time the code was given (the provider's clock, which the tests move): within the last minute.
    expect(answer.auth_time as number).toBeLessThanOrEqual(provider.clock.now());
    expect(answer.auth_time as number).toBeGreaterThan(provider.clock.now() - 60);
    // The payment type's short lifetime (120 s by default) holds for opaque tokens too.
    expect((answer.exp as number) - (answer.iat as number)).toBeLessThanOrEqual(120);
  });

  it('is refused to a client that neither holds it nor is a resource server (inactive)', async () => {
    const stranger = await relyingParty(provider);
    expect(await oidc.tokenIntrospection(stranger.config, approved.accessToken)).toEqual({ active: false });
  });
});

describe('the resource-server guard, introspecting', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const server of servers) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  /** POST /transfer as the demo bank's API declares it: this amount, in this currency, to this account; DPoP. */
  const PAY: OperationRequirement = {
    type: 'payment',
    fields: ({ body }) => {
      const { amount, currency, iban } = (body ?? {}) as Record<string, unknown>;
      return { instructedAmount: { amount, currency }, creditorAccount: { iban } };
    },
  };
  const TRANSFER = { amount: '50.00', currency: 'EUR', iban: 'DE89370400440532013000' };

  /** An API on loopback whose guard introspects (its answers cached for `cacheTtl` seconds). */
  async function startApi(cacheTtl?: number): Promise<string> {
    const guard = createGuard({
      issuer: provider.issuer,
      audience: provider.api,
      introspection: { clientId: api.clientId, clientSecret: apiSecret, ...(cacheTtl !== undefined && { cacheTtl }) },
      dpop: { algorithms: ['ES256'] },
    });
    const router = new Router<GuardState>();
    router.post('/transfer', koaGuard(guard)({ acr: 'aal2', operation: PAY, dpop: true }), (ctx) => {
      const { operation, jkt, acr, format } = ctx.state.auth;
      ctx.body = { paid: operation?.instructedAmount, to: operation?.creditorName, acr, jkt, format };
    });
    const app = new Koa();
    app.use(bodyParser({ enableTypes: ['json'] }));
    app.use(router.routes());
    const server = createServer(app.callback());
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** A call as the client library makes it: Authorization: DPoP with a fresh proof for this method, URL and token. */
  async function transfer(base: string, approved: Approved, body: unknown = TRANSFER): Promise<Response> {
    const headers = new Headers({ 'content-type': 'application/json' });
    try {
      return await oidc.fetchProtectedResource(rp.config, approved.accessToken, new URL(`${base}/transfer`), 'POST', JSON.stringify(body), headers, { DPoP: approved.dpop });
    } catch (error) {
      // openid-client throws on a WWW-Authenticate challenge; the response is what the tests read.
      if (error instanceof oidc.WWWAuthenticateChallengeError) return error.response;
      throw error;
    }
  }

  it('executes the approved payment with the DPoP proof, and refuses a changed amount with 403 insufficient_authorization_details', async () => {
    const approved = await approvedPayment(payment('50.00'));
    const base = await startApi();

    const paid = await transfer(base, approved);
    expect(paid.headers.get('www-authenticate')).toBeNull();
    expect(paid.status).toBe(200);
    expect(await paid.json()).toEqual({ paid: { currency: 'EUR', amount: '50.00' }, to: 'ACME Ltd', acr: 'aal2', jkt: approved.jkt, format: 'introspected' });

    const changed = await transfer(base, approved, { ...TRANSFER, amount: '5000.00' });
    expect(changed.status).toBe(403);
    expect(changed.headers.get('www-authenticate')).toMatch(/^DPoP error="insufficient_authorization_details", /);
    expect(await changed.json()).toMatchObject({ error: 'insufficient_authorization_details' });
  });

  it('refuses the token without the key it is bound to (sent as a bearer token)', async () => {
    const approved = await approvedPayment(payment('50.00'));
    const base = await startApi();
    const stolen = await fetch(`${base}/transfer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${approved.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(TRANSFER),
    });
    expect(stolen.status).toBe(401);
    expect(stolen.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token", /);
  });

  it('after a revocation (RFC 7009) by the client: introspection answers inactive and the guard refuses at once', async () => {
    const approved = await approvedPayment(payment('50.00'));
    // No cache: the API sees each introspection answer as it is now.
    const base = await startApi(0);
    expect((await oidc.tokenIntrospection(api.config, approved.accessToken)).active).toBe(true);
    expect((await transfer(base, approved)).status).toBe(200);

    await oidc.tokenRevocation(rp.config, approved.accessToken, { token_type_hint: 'access_token' });

    expect(await oidc.tokenIntrospection(api.config, approved.accessToken)).toEqual({ active: false });
    const refused = await transfer(base, approved);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token", error_description="the access token is not active/);
  });
});

describe("an operator ending the account's sessions (`user sessions revoke`, also done by `user disable`)", () => {
  it('ends its opaque operation tokens at once: introspection answers inactive', async () => {
    const approved = await approvedPayment(payment('50.00'));
    expect((await oidc.tokenIntrospection(api.config, approved.accessToken)).active).toBe(true);
    await revokeSessions(provider.stores, provider.config, { username: approved.username, operator: 'test', reason: 'stolen phone' }, () => undefined);
    expect(await oidc.tokenIntrospection(api.config, approved.accessToken)).toEqual({ active: false });
  });
});

describe('the same payment for a resource registered --format jwt', () => {
  it('yields a JWT access token, which the provider refuses to introspect (the API verifies it locally)', async () => {
    const approved = await approvedPayment(payment('50.00'), `${provider.issuer}/api`);
    expect(approved.accessToken.split('.')).toHaveLength(3);
    const refused = await oidc.tokenIntrospection(api.config, approved.accessToken).catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: 'unsupported_token_type' });
  });
});

describe('an opaque resource and the signing keys', () => {
  it("needs none for its algorithm: an RSA-only STEPUP_JWKS starts with it (the record's ES256 unused) and serves it", async () => {
    const material = await generateKeyMaterial();
    const keys = serializeKeys({ ...material, jwks: { keys: material.jwks.keys.filter((key) => key.kty === 'RSA') } });
    const env = { STEPUP_JWKS: keys.jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys };
    // The same registration as jwt is refused at start-up, naming the setting.
    await expect(startProvider({ env, resources: (issuer) => [{ indicator: `${issuer}/ledger`, scope: 'read', format: 'jwt', alg: 'ES256' }] })).rejects.toThrow(/STEPUP_JWKS has no key for ES256/);
    const rsa = await startProvider({ env, resources: (issuer) => [{ indicator: `${issuer}/ledger`, scope: 'read', format: 'opaque', alg: 'ES256' }] });
    try {
      const client = await relyingParty(rsa);
      const tokens = await client.signIn(new Browser(CALLBACK), await createAccount(rsa), { scope: 'openid read', resource: rsa.api });
      expect(tokens.access_token.split('.')).toHaveLength(1);
      expect(await oidc.tokenIntrospection(client.config, tokens.access_token)).toMatchObject({ active: true, aud: rsa.api, scope: 'read', acr: 'aal1', token_type: 'Bearer' });
    } finally {
      await rsa.close();
    }
  });
});
