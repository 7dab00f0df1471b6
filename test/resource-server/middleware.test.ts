// The koa and Node (req, res, next) middleware over real HTTP, imported through the package entry point.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Koa from 'koa';
import Router from '@koa/router';
import { createGuard, koaGuard, nodeGuard, type AuthenticatedRequest, type GuardState, type NodeMiddleware } from 'stepup-oidc/resource-server';
import { accessToken, AUDIENCE, fakeProvider, testKey, type FakeProvider, type TestKey } from './fixtures.ts';

let provider: FakeProvider;
let key: TestKey;
const servers: Server[] = [];

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  key = await testKey('k1');
  provider = await fakeProvider([key]);
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  await provider?.close();
});

const bearer = async (claims: Record<string, unknown>) => ({ authorization: `Bearer ${await accessToken({ key, issuer: provider.issuer, claims })}` });

describe('koa middleware', () => {
  let base: string;
  beforeAll(async () => {
    const need = koaGuard(createGuard({ issuer: provider.issuer, audience: AUDIENCE }));
    const router = new Router<GuardState>();
    router.get('/balance', need({ acr: 'aal1' }), (ctx) => {
      ctx.body = { sub: ctx.state.auth.sub, acr: ctx.state.auth.acr };
    });
    router.post('/transfer', need({ acr: 'phr', maxAge: 300 }), (ctx) => {
      ctx.body = { done: true };
    });
    const app = new Koa();
    app.use(router.routes());
    base = await listen(createServer(app.callback()));
  });

  it('lets a sufficient token through with the verified token in ctx.state.auth', async () => {
    const response = await fetch(`${base}/balance`, { headers: await bearer({ acr: 'aal2' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'account-1', acr: 'aal2' });
  });

  it('answers a short token with 401, the RFC 9470 challenge and a JSON body, without running the handler', async () => {
    const response = await fetch(`${base}/transfer`, { method: 'POST', headers: await bearer({ acr: 'aal2' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      'Bearer error="insufficient_user_authentication", error_description="phr is required and the token is at aal2", acr_values="phr", max_age="300"',
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toEqual({ error: 'insufficient_user_authentication', error_description: 'phr is required and the token is at aal2' });
  });

  it('answers a request without a token with 401 and a bare challenge', async () => {
    const response = await fetch(`${base}/balance`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${AUDIENCE}"`);
  });
});

describe('Node (req, res, next) middleware', () => {
  let base: string;
  const errors: unknown[] = [];

  /** The smallest Express-like chain: middleware, then the handler, with next(error) reported as 500. */
  function route(middleware: NodeMiddleware, handler: (req: AuthenticatedRequest, res: import('node:http').ServerResponse) => void) {
    return (req: AuthenticatedRequest, res: import('node:http').ServerResponse) =>
      middleware(req, res, (error?: unknown) => {
        if (error) {
          errors.push(error);
          res.statusCode = 500;
          res.end();
          return;
        }
        handler(req, res);
      });
  }

  beforeAll(async () => {
    const need = nodeGuard(createGuard({ issuer: provider.issuer, audience: AUDIENCE, realm: 'demo api' }));
    const balance = route(need({ acr: 'aal1', scope: 'api:read' }), (req, res) => res.end(JSON.stringify({ acr: req.auth?.acr })));
    // A route whose acr is not on the provider's ladder: a configuration error, found on the first request.
    const misconfigured = route(need({ acr: 'aal9' }), (_req, res) => res.end('unreachable'));
    base = await listen(createServer((req, res) => (req.url === '/balance' ? balance(req, res) : misconfigured(req, res))));
  });

  it('calls next() with req.auth set for a sufficient token', async () => {
    const response = await fetch(`${base}/balance`, { headers: await bearer({ acr: 'aal1' }) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ acr: 'aal1' });
  });

  it('answers itself (no next) with 403 insufficient_scope and the realm', async () => {
    const response = await fetch(`${base}/balance`, { headers: await bearer({ scope: 'openid' }) });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="demo api", error="insufficient_scope", error_description="the token lacks the scope api:read", scope="api:read"');
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
  });

  it('answers an expired token with invalid_token, never 500', async () => {
    const response = await fetch(`${base}/balance`, { headers: await bearer({ exp: Math.floor(Date.now() / 1000) - 60 }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="demo api", error="invalid_token", error_description="the access token expired"');
  });

  it('passes a configuration error to next(error), like any Express error', async () => {
    const response = await fetch(`${base}/misconfigured`, { headers: await bearer({ acr: 'aal1' }) });
    expect(response.status).toBe(500);
    expect(String(errors.at(-1))).toMatch(/GuardConfigError: the route requires acr aal9, which is not on the ladder \(aal1 aal2 phr\)/);
  });
});
