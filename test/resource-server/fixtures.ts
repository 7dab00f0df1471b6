// Test keys, tokens and a loopback "provider" (discovery, JWKS, introspection) whose requests are counted.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export const AUDIENCE = 'https://api.example';
const LADDER = ['aal1', 'aal2', 'phr'];

export interface TestKey {
  kid: string;
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function testKey(kid: string, alg = 'ES256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

export interface TokenSpec {
  key: TestKey;
  issuer: string;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Claims to leave out, e.g. ['client_id']. */
  omit?: string[];
  now?: number;
}

/** A JWT access token as the provider issues them (RFC 9068), overridable claim by claim. */
export async function accessToken({ key, issuer, claims = {}, header = {}, omit = [], now = Math.floor(Date.now() / 1000) }: TokenSpec): Promise<string> {
  const payload: Record<string, unknown> = {
    iss: issuer,
    aud: AUDIENCE,
    sub: 'account-1',
    client_id: 'demo-rp',
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    iat: now,
    exp: now + 600,
    scope: 'api:read api:write',
    acr: 'aal1',
    amr: ['pwd'],
    auth_time: now - 10,
    ...claims,
  };
  for (const name of omit) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }).sign(key.privateKey);
}

type Introspection = (token: string, request: IncomingMessage) => { status?: number; body: unknown };

export interface FakeProvider {
  issuer: string;
  /** Requests served, by path. */
  hits: Record<string, number>;
  keys: JWK[];
  /** What the introspection endpoint answers. */
  introspection: Introspection;
  acrValues: string[];
  /** Makes every endpoint fail with 500 (an outage). */
  down: boolean;
  close(): Promise<void>;
}

export async function fakeProvider(keys: TestKey[]): Promise<FakeProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const provider: FakeProvider = {
    issuer,
    hits: {},
    keys: keys.map((key) => key.jwk),
    introspection: () => ({ body: { active: false } }),
    acrValues: LADDER,
    down: false,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  server.on('request', (req, res) => {
    const path = new URL(req.url ?? '/', issuer).pathname;
    provider.hits[path] = (provider.hits[path] ?? 0) + 1;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (provider.down) return send(500, { error: 'server_error' });
    if (path === '/.well-known/openid-configuration') {
      return send(200, { issuer, jwks_uri: `${issuer}/jwks`, introspection_endpoint: `${issuer}/token/introspection`, acr_values_supported: provider.acrValues });
    }
    if (path === '/jwks') return send(200, { keys: provider.keys });
    if (path === '/token/introspection' && req.method === 'POST') {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        const answer = provider.introspection(new URLSearchParams(body).get('token') ?? '', req);
        send(answer.status ?? 200, answer.body);
      });
      return;
    }
    send(404, { error: 'not_found' });
  });
  return provider;
}

/** A client's DPoP key pair (RFC 9449), its public JWK and RFC 7638 thumbprint: what the provider puts in cnf.jkt. */
export interface DpopKey {
  alg: string;
  privateKey: CryptoKey;
  jwk: JWK;
  jkt: string;
}

export async function dpopKey(alg = 'ES256'): Promise<DpopKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(publicKey);
  return { alg, privateKey, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

export interface ProofSpec {
  key: DpopKey;
  htm: string;
  htu: string;
  /** The access token the proof is for (its hash becomes ath); omit with `omit: ['ath']`. */
  accessToken?: string;
  iat: number;
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  omit?: string[];
}

/** A DPoP proof JWT as RFC 9449 §4.2 describes it, made with jose, overridable claim by claim. */
export async function dpopProof({ key, htm, htu, accessToken, iat, claims = {}, header = {}, omit = [] }: ProofSpec): Promise<string> {
  const payload: Record<string, unknown> = {
    jti: `proof-${Math.random().toString(36).slice(2)}`,
    htm,
    htu,
    iat,
    ...(accessToken === undefined ? {} : { ath: createHash('sha256').update(accessToken).digest('base64url') }),
    ...claims,
  };
  for (const name of omit) delete payload[name];
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...header }).sign(key.privateKey);
}

/** The approved transfer of issue 12, as the provider puts it in authorization_details. */
export const PAYMENT = {
  type: 'payment',
  instructedAmount: { currency: 'EUR', amount: '500.00' },
  creditorName: 'ACME Ltd',
  creditorAccount: { iban: 'DE89370400440532013000' },
};
