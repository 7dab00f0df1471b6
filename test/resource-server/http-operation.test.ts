// DPoP, operations and single use over real HTTP, through the koa and Node layers and the package entry point; the
// client's proofs come from oauth4webapi (the library under openid-client), its tokens from a local JWKS.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Koa from 'koa';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import { calculateJwkThumbprint, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { createGuard, koaGuard, nodeGuard, type AuthenticatedRequest, type GuardState, type NodeMiddleware, type OperationRequirement } from 'stepup-oidc/resource-server';
import { accessToken, AUDIENCE, dpopProof, fakeProvider, PAYMENT, testKey, type DpopKey, type FakeProvider, type TestKey } from './fixtures.ts';

let provider: FakeProvider;
let key: TestKey;
let keyPair: CryptoKeyPair;
let jkt: string;
const servers: Server[] = [];

/** The transfer as the demo bank's API would declare it: this amount, in this currency, to this account. */
const PAY: OperationRequirement = {
  type: 'payment',
  fields: ({ body }) => {
    const { amount, currency, iban } = (body ?? {}) as Record<string, unknown>;
    return { instructedAmount: { amount, currency }, creditorAccount: { iban } };
  },
};
const TRANSFER = { amount: '500.00', currency: 'EUR', iban: PAYMENT.creditorAccount.iban };

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  key = await testKey('k1');
  provider = await fakeProvider([key]);
  keyPair = await oauth.generateKeyPair('ES256');
  jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey), 'sha256');
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await provider?.close();
});

/** A phr token approving the 500 EUR payment to ACME, bound to the client's DPoP key. */
function paymentToken(claims: Record<string, unknown> = {}) {
  return accessToken({ key, issuer: provider.issuer, claims: { acr: 'phr', amr: ['hwk', 'user'], cnf: { jkt }, authorization_details: [PAYMENT], ...claims } });
}

/** A call as a client library makes it: Authorization: DPoP and a fresh proof for this method, URL and token. */
async function call(url: string, token: string, body: unknown = TRANSFER, method = 'POST', handle = oauth.DPoP({}, keyPair)): Promise<Response> {
  const headers = new Headers({ 'content-type': 'application/json' });
  try {
    return await oauth.protectedResourceRequest(token, method, new URL(url), headers, method === 'POST' ? JSON.stringify(body) : null, {
      DPoP: handle,
      [oauth.allowInsecureRequests]: true,
    });
  } catch (error) {
    // oauth4webapi throws on a WWW-Authenticate challenge; the response is what the tests read.
    if (error instanceof oauth.WWWAuthenticateChallengeError) return error.response;
    throw error;
  }
}

function describeLayer(name: string, start: () => Promise<string>) {
  describe(`${name}: POST /transfer needs phr, the approved payment, DPoP, once`, () => {
    let base: string;
    beforeAll(async () => {
      base = await start();
    });

    it('executes the approved transfer, with the operation and the key in the verified token', async () => {
      const response = await call(`${base}/transfer`, await paymentToken());
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ paid: PAYMENT.instructedAmount, to: PAYMENT.creditorName, jkt });
    });

    it('refuses 5 000 EUR with a token for 500 EUR: 403 insufficient_authorization_details, and the token stays usable', async () => {
      const token = await paymentToken();
      const response = await call(`${base}/transfer`, token, { ...TRANSFER, amount: '5000.00' });
      expect(response.status).toBe(403);
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP error="insufficient_authorization_details", error_description="[^"]+", algs="ES256"$/);
      expect(await response.json()).toMatchObject({ error: 'insufficient_authorization_details' });
      expect((await call(`${base}/transfer`, token)).status).toBe(200);
    });

    it('refuses a payment to another account', async () => {
      expect((await call(`${base}/transfer`, await paymentToken(), { ...TRANSFER, iban: 'GB33BUKB20201555555555' })).status).toBe(403);
    });

    it('refuses a second use of the token, with a fresh proof', async () => {
      const token = await paymentToken();
      expect((await call(`${base}/transfer`, token)).status).toBe(200);
      const again = await call(`${base}/transfer`, token);
      expect(again.status).toBe(401);
      expect(again.headers.get('www-authenticate')).toBe('DPoP error="invalid_token", error_description="the access token was already used: it is valid for one request only", algs="ES256"');
    });

    it('executes one of two simultaneous uses of the token, and only one', async () => {
      const token = await paymentToken();
      const statuses = (await Promise.all([call(`${base}/transfer`, token), call(`${base}/transfer`, token)])).map((response) => response.status).sort();
      expect(statuses).toEqual([200, 401]);
    });

    it('refuses the token sent as a bearer token (stolen without the key)', async () => {
      const response = await fetch(`${base}/transfer`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await paymentToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify(TRANSFER),
      });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_token", /);
    });

    it('refuses a replayed proof, and a proof made for another URL', async () => {
      const token = await paymentToken({ jti: `t-${Math.random()}` });
      const proof = await dpopProofFor(token, `${base}/transfer`);
      const send = (dpop: string) =>
        fetch(`${base}/transfer`, { method: 'POST', headers: { authorization: `DPoP ${token}`, dpop, 'content-type': 'application/json' }, body: JSON.stringify(TRANSFER) });
      const wrongUrl = await send(await dpopProofFor(token, `${base}/transfer/`));
      expect(wrongUrl.status).toBe(401);
      expect(wrongUrl.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="the DPoP proof is for another URL/);
      expect((await send(proof)).status).toBe(200);
      const replayed = await send(proof);
      expect(replayed.status).toBe(401);
      expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP error="invalid_dpop_proof", error_description="the DPoP proof was already used/);
    });

    it('answers a request without a token with a bare DPoP challenge', async () => {
      const response = await fetch(`${base}/transfer`, { method: 'POST' });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`DPoP realm="${AUDIENCE}", algs="ES256"`);
    });

    it('checks the method: a proof for POST does not open GET', async () => {
      const token = await paymentToken();
      const response = await fetch(`${base}/transfer`, { headers: { authorization: `DPoP ${token}`, dpop: await dpopProofFor(token, `${base}/transfer`) } });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/error_description="the DPoP proof is for another method \(htm must be GET\)"/);
    });
  });
}

/** A proof made with jose for the client's key (oauth4webapi always makes correct ones). */
async function dpopProofFor(token: string, htu: string) {
  const client: DpopKey = { alg: 'ES256', privateKey: keyPair.privateKey, jwk: await exportJWK(keyPair.publicKey), jkt };
  return dpopProof({ key: client, htm: 'POST', htu, accessToken: token, iat: Math.floor(Date.now() / 1000) });
}

const guardFor = () => createGuard({ issuer: provider.issuer, audience: AUDIENCE, ladder: ['aal1', 'aal2', 'phr'], dpop: { algorithms: ['ES256'] } });
const REQUIREMENT = { acr: 'phr', maxAge: 300, operation: PAY, singleUse: true, dpop: true } as const;

describeLayer('koa', async () => {
  const need = koaGuard(guardFor());
  const router = new Router<GuardState>();
  router.all('/transfer', need(REQUIREMENT), (ctx) => {
    const { operation, jkt: bound } = ctx.state.auth;
    ctx.body = { paid: operation?.instructedAmount, to: operation?.creditorName, jkt: bound };
  });
  const app = new Koa();
  app.use(bodyParser({ enableTypes: ['json'] }));
  app.use(router.routes());
  return listen(createServer(app.callback()));
});

describeLayer('Node (req, res, next)', async () => {
  const transfer: NodeMiddleware = nodeGuard(guardFor())(REQUIREMENT);
  /** A JSON body parser like express.json(), then the guard, then the handler. */
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (raw += chunk));
    req.on('end', () => {
      (req as AuthenticatedRequest).body = raw ? JSON.parse(raw) : undefined;
      transfer(req, res, (error) => {
        if (error) {
          res.statusCode = 500;
          res.end();
          return;
        }
        const { operation, jkt: bound } = (req as AuthenticatedRequest).auth!;
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ paid: operation?.instructedAmount, to: operation?.creditorName, jkt: bound }));
      });
    });
  };
  return listen(createServer(handle));
});

describe('koa with server-provided nonces: a client library follows use_dpop_nonce', () => {
  let base: string;
  beforeAll(async () => {
    const guard = createGuard({ issuer: provider.issuer, audience: AUDIENCE, dpop: { algorithms: ['ES256'], nonceSecret: 'thirty-two bytes of nonce secret, at least' } });
    const router = new Router<GuardState>();
    router.post('/transfer', koaGuard(guard)({ operation: PAY, dpop: true }), (ctx) => {
      ctx.body = { paid: ctx.state.auth.operation?.instructedAmount };
    });
    const app = new Koa();
    app.use(bodyParser({ enableTypes: ['json'] }));
    app.use(router.routes());
    base = await listen(createServer(app.callback()));
  });

  it('answers the first proof with 401 use_dpop_nonce and DPoP-Nonce; the retry with the nonce passes', async () => {
    const handle = oauth.DPoP({}, keyPair);
    const token = await paymentToken();
    const first = await call(`${base}/transfer`, token, TRANSFER, 'POST', handle);
    expect(first.status).toBe(401);
    expect(first.headers.get('www-authenticate')).toMatch(/^DPoP error="use_dpop_nonce", /);
    expect(first.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // oauth4webapi keeps the nonce from the response in the handle, as openid-client does before its one retry.
    const retried = await call(`${base}/transfer`, token, TRANSFER, 'POST', handle);
    expect(retried.status).toBe(200);
    // The nonce to use next (a new one once the minute turns).
    expect(retried.headers.get('dpop-nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await retried.json()).toEqual({ paid: PAYMENT.instructedAmount });
  });
});

describe('Node layer under a mounted router (Express rewrites req.url, keeps req.originalUrl)', () => {
  let base: string;
  beforeAll(async () => {
    const need = nodeGuard(guardFor())({ dpop: true });
    base = await listen(
      createServer((req, res) => {
        // What app.use('/api', router) does before the router's middleware runs.
        Object.assign(req, { originalUrl: req.url, url: req.url!.slice('/api'.length) });
        need(req, res, () => res.end(JSON.stringify({ url: req.url })));
      }),
    );
  });

  it('checks the proof against the URL the client called, not the rewritten one', async () => {
    const token = await paymentToken();
    const ok = await call(`${base}/api/transfer`, token, undefined, 'GET');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ url: '/transfer' });
  });
});
