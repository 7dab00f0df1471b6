// The scripted flows over HTTP: authorize with PKCE, answer each page's form in turn, exchange the code; refresh grants.
import { createHash, randomBytes } from 'node:crypto';
import type { Agent } from 'node:http';
import { BENCH_CLIENT, CALLBACK } from './agreed.ts';
import { Browser, callbackOf, formOn, send, type Step } from './browser.ts';

export interface Target {
  issuer: string;
  agent: Agent;
}

export interface Tokens {
  access_token: string;
  id_token: string;
  refresh_token?: string;
}

/** A page's form to submit on the way: the action's suffix and the fields typed in (hidden ones are copied). */
export type Answer = [suffix: string, fields: Record<string, string>];

const BASIC = `Basic ${Buffer.from(`${encodeURIComponent(BENCH_CLIENT.client_id)}:${encodeURIComponent(BENCH_CLIENT.client_secret)}`).toString('base64')}`;

/** Authorize → each answered page → callback → token exchange; throws unless every page is the one expected. */
export async function authorizationCodeFlow(target: Target, browser: Browser, params: Record<string, string>, answers: Answer[]): Promise<Tokens> {
  const verifier = randomBytes(32).toString('base64url');
  const state = randomBytes(16).toString('base64url');
  const url = new URL('/auth', target.issuer);
  const query = {
    client_id: BENCH_CLIENT.client_id,
    response_type: 'code',
    redirect_uri: CALLBACK,
    scope: 'openid',
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
    state,
    nonce: randomBytes(16).toString('base64url'),
    ...params,
  };
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  let step: Step = await browser.go(url);
  for (const [suffix, fields] of answers) {
    const form = formOn(step, suffix);
    step = await browser.go(form.action, { ...form.fields, ...fields });
  }
  const callback = callbackOf(step);
  const code = callback.searchParams.get('code');
  if (!code || callback.searchParams.get('state') !== state) throw new Error(`callback without code: ${callback.search.slice(0, 300)}`);
  return tokenRequest(target, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
}

async function tokenRequest(target: Target, form: Record<string, string>): Promise<Tokens> {
  const reply = await send(target.agent, new URL('/token', target.issuer), {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  if (reply.status !== 200) throw new Error(`token endpoint (${form.grant_type}) answered ${reply.status}: ${reply.body.slice(0, 300)}`);
  return JSON.parse(reply.body) as Tokens;
}

/** The ID token's claims, unverified: only to check the flow reached what it asked for. */
export function idTokenClaims(tokens: Tokens): Record<string, unknown> {
  return JSON.parse(Buffer.from(tokens.id_token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** A refresh token held by one simulated client; replaced when the server rotates it. */
export interface RefreshHolder {
  refreshToken: string;
}

export async function refreshGrant(target: Target, holder: RefreshHolder): Promise<void> {
  const tokens = await tokenRequest(target, { grant_type: 'refresh_token', refresh_token: holder.refreshToken });
  if (!tokens.access_token) throw new Error('refresh grant without access_token');
  if (tokens.refresh_token) holder.refreshToken = tokens.refresh_token;
}

/** A consent flow with offline_access (prompt=consent is what lets oidc-provider keep that scope). */
export async function offlineTokens(target: Target, browser: Browser, answers: Answer[]): Promise<RefreshHolder> {
  const tokens = await authorizationCodeFlow(target, browser, { scope: 'openid offline_access', prompt: 'consent' }, answers);
  if (!tokens.refresh_token) throw new Error('no refresh token issued for offline_access');
  return { refreshToken: tokens.refresh_token };
}
