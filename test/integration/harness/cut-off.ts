// What an attacker may hold of an account (a signed-in browser, a refresh token, an opaque access token), the checks
// that a credential change cut it off, and a relying party's back-channel logout endpoint that records what it is told.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { Browser, expectCallback, formOf } from './browser.ts';
import type { TestAccount } from './accounts.ts';
import type { RunningProvider } from './provider.ts';
import { CALLBACK, type RelyingParty } from './rp.ts';

export interface Holdings {
  browser: Browser;
  refreshToken: string;
  accessToken: string;
  /** The sid the relying party was given for this session. */
  sid: string;
}

/** A password sign-in with consent (so offline_access yields a refresh token) in a browser of its own. */
export async function holdings(rp: RelyingParty, account: TestAccount): Promise<Holdings> {
  const browser = new Browser(CALLBACK);
  const flow = await rp.start(browser, { scope: 'openid offline_access', prompt: 'consent' });
  let step = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
  if (step.kind === 'page' && formOf(step) === 'consent') step = await browser.submit(step, '/consent', {});
  const tokens = await rp.finish(flow, expectCallback(step));
  expect(tokens.refresh_token).toBeDefined();
  return { browser, refreshToken: tokens.refresh_token!, accessToken: tokens.access_token, sid: String(tokens.claims()!.sid) };
}

/** True while the holdings still work: the refresh token refreshes, the access token introspects active. */
export async function stillWorks(rp: RelyingParty, held: Holdings): Promise<{ refresh: boolean; introspection: boolean }> {
  const refresh = await oidc.refreshTokenGrant(rp.config, held.refreshToken).then(
    (tokens) => {
      held.refreshToken = tokens.refresh_token ?? held.refreshToken;
      return true;
    },
    (error: unknown) => {
      expect(error).toMatchObject({ error: 'invalid_grant' });
      return false;
    },
  );
  const introspection = (await oidc.tokenIntrospection(rp.config, held.accessToken)).active;
  return { refresh, introspection };
}

/** The browser's session is gone: the next sign-in asks for the password again. */
export async function askedToSignIn(rp: RelyingParty, held: Holdings): Promise<boolean> {
  const flow = await rp.start(held.browser);
  return flow.step.kind === 'page' && formOf(flow.step) === 'password';
}

export async function expectCutOff(rp: RelyingParty, held: Holdings): Promise<void> {
  expect(await stillWorks(rp, held)).toEqual({ refresh: false, introspection: false });
  expect(await askedToSignIn(rp, held)).toBe(true);
}

export async function expectStillHeld(rp: RelyingParty, held: Holdings): Promise<void> {
  expect(await stillWorks(rp, held)).toEqual({ refresh: true, introspection: true });
  expect(await askedToSignIn(rp, held)).toBe(false);
}

/** A relying party's back-channel logout endpoint (OIDC Back-Channel Logout 1.0 §2.5): records the logout tokens it receives. */
export interface LogoutReceiver {
  uri: string;
  received: string[];
  /** Verifies a received logout token as an RP must (§2.6), returning its claims. */
  verify(token: string, clientId: string): Promise<JWTPayload>;
  close(): Promise<void>;
}

export async function logoutReceiver(provider: RunningProvider): Promise<LogoutReceiver> {
  const received: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const token = new URLSearchParams(body).get('logout_token');
      if (req.method === 'POST' && token) received.push(token);
      res.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const jwks = createRemoteJWKSet(new URL(`${provider.issuer}/jwks`));
  return {
    uri: `http://127.0.0.1:${(server.address() as AddressInfo).port}/backchannel-logout`,
    received,
    async verify(token, clientId) {
      const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: provider.issuer, audience: clientId, typ: 'logout+jwt', maxTokenAge: 120 });
      expect(protectedHeader.alg).not.toBe('none');
      expect(payload.events).toEqual({ 'http://schemas.openid.net/event/backchannel-logout': {} });
      expect(payload.jti).toEqual(expect.any(String));
      expect(payload).not.toHaveProperty('nonce');
      return payload;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
