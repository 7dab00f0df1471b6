// Property-based hostile input: fast-check throws at least 10 000 generated authorization requests and interaction
// form posts at the running provider (loopback, bounded time, bounded concurrency over keep-alive).
// Property: never a 5xx, a hang or a stack trace; only 4xx or standard OAuth errors; nobody gets signed in.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAccount, type TestAccount } from '../integration/harness/accounts.ts';
import { useProvider } from '../integration/harness/use-provider.ts';
import { CALLBACK } from '../integration/harness/rp.ts';
import { CookieJar } from '../support/cookie-jar.ts';

/** Requests in flight at once: one fast-check run is a batch of this many, sent together. */
const CONCURRENCY = 8;
const AUTH_TARGET = 6_000;
const FORM_TARGET = 4_400;
const REQUIRED_TOTAL = 10_000;
/**
 * Wall-time caps per property: about 30 s and 22 s are enough on an idle 2-core machine; the caps leave room for a
 * loaded one (the count of requests made is asserted separately, and a hang is caught per request).
 */
const AUTH_TIME_LIMIT_MS = 100_000;
const FORM_TIME_LIMIT_MS = 80_000;
/** Parameters our own policy code reads when the interaction page opens. */
const POLICY_KEYS = new Set(['acr_values', 'max_age', 'claims', 'prompt', 'id_token_hint', 'login_hint']);
/** A request that takes longer than this is a hang. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Node refuses request heads above 16 KB (431, then closes): an oversized URL may see the socket closed instead. */
const MAX_HEADER_BYTES = 16 * 1024;

const OAUTH_ERRORS = new Set([
  'invalid_request',
  'unauthorized_client',
  'access_denied',
  'unsupported_response_type',
  'unsupported_response_mode',
  'invalid_scope',
  'interaction_required',
  'login_required',
  'account_selection_required',
  'consent_required',
  'invalid_request_uri',
  'invalid_request_object',
  'request_not_supported',
  'request_uri_not_supported',
  'registration_not_supported',
  'invalid_target',
  'invalid_client',
  'invalid_grant',
  'unmet_authentication_requirements',
  // RFC 9396 §5: authorization_details the policy's operation types refuse.
  'invalid_authorization_details',
]);

/** Stack-trace shapes: "at fn (/path/file.ts:1:2)", "at file:///…:1:2", node_modules paths, "XxxError: …\n    at". */
const STACK_PATTERNS = [/\bat\s+(?:[^\s()]+\s+)?\(?(?:file:\/\/|\/|[A-Za-z]:\\|node:)[^\s)]*:\d+:\d+\)?/, /node_modules[\\/]/, /\b\w*Error: [^\n]*\n\s+at\s/, /\.(?:ts|js|mjs|cjs):\d+:\d+/];

const { provider, rp } = useProvider();
let account: TestAccount;
let authorizationEndpoint: string;
const counts = { auth: 0, form: 0, setup: 0, follow: 0, byStatus: new Map<string, number>(), authOutcomes: new Map<string, number>() };
const outcome = (name: string) => counts.authOutcomes.set(name, (counts.authOutcomes.get(name) ?? 0) + 1);

beforeAll(async () => {
  account = await createAccount(provider, { totp: true });
  authorizationEndpoint = rp.config.serverMetadata().authorization_endpoint!;
});

// ---------- shared helpers ----------

class Violation extends Error {}

function describeRequest(request: { method: string; url: string; headers?: Record<string, string>; body?: Uint8Array }): string {
  const body = request.body ? Buffer.from(request.body).toString('latin1') : '';
  return `${request.method} ${request.url.length > 600 ? `${request.url.slice(0, 600)}… (${request.url.length} chars)` : request.url}\nheaders: ${JSON.stringify(request.headers ?? {})}\nbody (${body.length} bytes): ${body.slice(0, 600)}`;
}

function assertNoStack(text: string, where: string, request: string): void {
  for (const pattern of STACK_PATTERNS) {
    const match = pattern.exec(text);
    if (match) throw new Violation(`stack trace in ${where} (${pattern}): …${text.slice(Math.max(0, match.index - 200), match.index + 300)}…\nrequest: ${request}`);
  }
}

interface Sent {
  status: number;
  location: string | null;
  body: string;
  setCookies: string[];
}

async function send(request: { method: string; url: string; headers?: Record<string, string>; body?: Uint8Array }, jar?: CookieJar, kind = 'other'): Promise<Sent | 'oversized-closed'> {
  const headers: Record<string, string> = { ...request.headers };
  if (jar) headers.cookie = jar.header(request.url);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: request.method,
      headers,
      body: request.body ? new Uint8Array(request.body) : undefined,
      redirect: 'manual',
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    // An oversized `state` is refused before it can be echoed (server/state-limit.ts): no response head is too large.
    // The only other acceptable transport failure: Node closing the socket on a request head that is too large.
    if (Buffer.byteLength(request.url) + 1024 > MAX_HEADER_BYTES && !(error instanceof DOMException && error.name === 'TimeoutError')) {
      counts.byStatus.set(`${kind} closed`, (counts.byStatus.get(`${kind} closed`) ?? 0) + 1);
      return 'oversized-closed';
    }
    throw new Violation(
      `request failed (${(error as Error).name}: ${(error as Error).message}; cause ${String((error as { cause?: unknown }).cause)}) — a hang or a dropped connection\nrequest: ${describeRequest(request)}`,
    );
  }
  const body = await response.text();
  counts.byStatus.set(`${kind} ${response.status}`, (counts.byStatus.get(`${kind} ${response.status}`) ?? 0) + 1);
  const sent = { status: response.status, location: response.headers.get('location'), body, setCookies: response.headers.getSetCookie() };
  jar?.store(request.url, sent.setCookies);
  const described = describeRequest(request);
  if (sent.status >= 500) throw new Violation(`${sent.status} for\n${described}\nresponse body: ${body.slice(0, 2000)}`);
  assertNoStack(body, 'the body', described);
  if (sent.location) assertNoStack(decodeSafely(sent.location), 'the Location header', described);
  return sent;
}

function decodeSafely(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The parameters of a redirect to the client, from the query or the fragment. */
function callbackParams(location: URL): URLSearchParams {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of new URLSearchParams(location.hash.replace(/^#/, ''))) params.append(key, value);
  return params;
}

function isCallback(url: URL): boolean {
  return url.href.startsWith(CALLBACK);
}

function assertCallbackError(url: URL, request: string): void {
  const params = callbackParams(url);
  const error = params.get('error');
  if (params.has('code') || params.has('id_token') || params.has('access_token')) throw new Violation(`a credential was issued without sign-in: ${url.href}\nrequest: ${request}`);
  if (!error || !OAUTH_ERRORS.has(error)) throw new Violation(`non-standard or missing error in redirect to the client: ${url.href}\nrequest: ${request}`);
}

/** A 200 is only acceptable as a form_post / web_message answer carrying a standard error to the client. */
function assertFormPostError(body: string, request: string): void {
  const error = /name="error"\s+value="([^"]*)"/.exec(body)?.[1];
  if (body.includes('name="code"') || body.includes('"code"')) throw new Violation(`a code was posted to the client without sign-in\nrequest: ${request}\nbody: ${body.slice(0, 1000)}`);
  if (!error || !OAUTH_ERRORS.has(error)) throw new Violation(`2xx that is not a standard error response\nrequest: ${request}\nbody: ${body.slice(0, 1000)}`);
}

/** Runs a batch of requests concurrently; the first violation fails the run (and fast-check shrinks it). */
async function runBatch<T>(items: T[], each: (item: T) => Promise<void>): Promise<void> {
  const results = await Promise.allSettled(items.map(each));
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
  if (failed) throw failed.reason;
}

// ---------- generated values ----------

const b64url = (text: string | Uint8Array) => Buffer.from(text).toString('base64url');

/** A query/form value, either text to be percent-encoded or a raw (already encoded, possibly invalid) piece. */
type Piece = { text: string } | { raw: string };

const INVALID_UTF8 = [
  '%C3%28',
  '%FF',
  '%FE',
  '%C0%AF',
  '%C0%80',
  '%ED%A0%80',
  '%ED%BF%BF',
  '%E2%82',
  '%F0%9F%98',
  '%F8%88%80%80%80',
  '%80',
  '%BF',
  '%',
  '%G1',
  '%2',
  '%00',
  '%0A%0D',
  '%25',
  '+',
  '&',
  '=',
  'a',
];

const invalidUtf8Raw = fc.array(fc.constantFrom(...INVALID_UTF8), { minLength: 1, maxLength: 12 }).map((parts) => ({ raw: parts.join('') }) as Piece);

const hugeText = fc
  .tuple(fc.constantFrom('a', 'é', '%', ' ', '\u{1F600}', '<script>', '"', '\u0000', 'aal2 '), fc.integer({ min: 1_000, max: 8_000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

const anyText = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
  { weight: 1, arbitrary: hugeText },
);

const numberish = fc.oneof(
  fc.integer().map(String),
  fc.integer({ min: -100_000, max: 100_000 }).map(String),
  fc.double().map(String),
  fc.constantFrom('-1', '0', '-0', '1.5', '-0.5', '1e400', '1e-400', 'NaN', 'Infinity', '-Infinity', '0x1F', '9'.repeat(400), ' 60', '60 ', '+60', '٣٠', '60s', '', '00060', '1_000'),
);

const acrWords = fc.oneof(fc.constantFrom('aal1', 'aal2', 'aal3', 'phr', 'phrh', 'urn:mace:incommon:iap:silver', '0', '1', 'AAL2', 'aal2\u0000', 'aal2,aal1'), fc.string({ maxLength: 12 }));
const acrValues = fc.oneof(
  fc.array(acrWords, { maxLength: 60 }).map((words) => words.join(' ')),
  fc.array(acrWords, { maxLength: 5 }).map((words) => words.join('  \t')),
);

const promptValue = fc
  .array(fc.oneof(fc.constantFrom('none', 'login', 'consent', 'select_account', 'create', '', 'NONE', 'login login'), fc.string({ maxLength: 10 })), { maxLength: 6 })
  .map((words) => words.join(' '));

const claimLeaf = fc.oneof(
  fc.constant(null),
  fc.record({ essential: fc.oneof(fc.boolean(), fc.jsonValue()), values: fc.oneof(fc.array(acrWords, { maxLength: 5 }), fc.jsonValue()) }, { requiredKeys: [] }),
  fc.record({ essential: fc.boolean(), value: fc.oneof(acrWords, fc.jsonValue()) }, { requiredKeys: [] }),
  fc.jsonValue(),
);
const claimsShaped = fc
  .record(
    {
      id_token: fc.dictionary(fc.oneof(fc.constantFrom('acr', 'auth_time', 'amr', 'sub', 'email', 'name'), fc.string({ maxLength: 8 })), claimLeaf, { maxKeys: 4 }),
      userinfo: fc.dictionary(fc.oneof(fc.constantFrom('acr', 'sub', 'email'), fc.string({ maxLength: 8 })), claimLeaf, { maxKeys: 3 }),
      other: fc.jsonValue(),
    },
    { requiredKeys: [] },
  )
  .map((claims) => JSON.stringify(claims));
const claimsValue = fc.oneof(
  { weight: 4, arbitrary: claimsShaped },
  { weight: 2, arbitrary: fc.jsonValue().map((value) => JSON.stringify(value)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '{',
      '[]',
      'null',
      '"x"',
      '{"id_token":null}',
      '{"id_token":{"acr":{"values":"aal2"}}}',
      '{"id_token":{"acr":{"essential":true,"values":[]}}}',
      '{"__proto__":{"x":1}}',
      '{"constructor":{"prototype":{"x":1}}}',
      `{"id_token":${'['.repeat(3000)}`,
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
);

function jwtLike(issuer: string, clientId: string) {
  const header = fc.oneof(
    fc.constantFrom(
      '{"alg":"none"}',
      '{"alg":"RS256","kid":"k"}',
      '{"alg":"HS256","typ":"JWT"}',
      '{"alg":"ES256"}',
      '{"alg":"dir","enc":"A128GCM"}',
      '{"alg":"RSA-OAEP","enc":"A256GCM"}',
      '{}',
      'not json',
    ),
    fc.jsonValue().map((value) => JSON.stringify(value)),
  );
  const payload = fc.oneof(
    fc
      .record(
        {
          iss: fc.constantFrom(issuer, 'https://evil.example', ''),
          aud: fc.oneof(fc.constantFrom(clientId, 'other'), fc.constant([clientId, 'x'])),
          sub: fc.oneof(fc.constant(account?.id ?? 'x'), fc.string({ maxLength: 20 })),
          exp: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 5 })),
          iat: fc.integer(),
          acr: acrWords,
          auth_time: numberish,
        },
        { requiredKeys: [] },
      )
      .map((value) => JSON.stringify(value)),
    fc.jsonValue().map((value) => JSON.stringify(value)),
    fc.string({ maxLength: 30 }),
  );
  const signature = fc.uint8Array({ maxLength: 80 }).map(b64url);
  return fc.oneof(
    fc.tuple(header, payload, signature).map(([h, p, s]) => `${b64url(h)}.${b64url(p)}.${s}`),
    fc.tuple(header, signature, signature, signature, signature).map(([h, ...rest]) => [b64url(h), ...rest].join('.')),
    fc.array(fc.base64String({ maxLength: 40 }), { maxLength: 6 }).map((parts) => parts.join('.')),
  );
}

// ---------- authorization requests ----------

interface Mutation {
  op: 'set' | 'add' | 'delete';
  key: Piece;
  value: Piece;
  bare: boolean;
}

interface AuthRequest {
  method: 'GET' | 'POST';
  mutations: Mutation[];
}

function authRequests(issuer: string, clientId: string) {
  const text = (arb: fc.Arbitrary<string>) => arb.map((value) => ({ text: value }) as Piece);
  const generic = fc.oneof({ weight: 5, arbitrary: text(anyText) }, { weight: 2, arbitrary: invalidUtf8Raw }, { weight: 1, arbitrary: text(numberish) });
  const valueFor: Record<string, fc.Arbitrary<Piece>> = {
    acr_values: fc.oneof(text(acrValues), generic),
    max_age: fc.oneof(text(numberish), generic),
    claims: fc.oneof(text(claimsValue), generic),
    prompt: fc.oneof(text(promptValue), generic),
    id_token_hint: fc.oneof(text(jwtLike(issuer, clientId)), generic),
    login_hint: fc.oneof(text(fc.constantFrom(account.username, account.id, `${account.username}@x`)), generic),
    request: fc.oneof(text(jwtLike(issuer, clientId)), generic),
    request_uri: fc.oneof(text(fc.constantFrom('urn:ietf:params:oauth:request_uri:x', 'https://evil.example/r', 'http://127.0.0.1:1/r')), generic),
    response_type: fc.oneof(text(fc.constantFrom('code', 'token', 'id_token', 'code id_token', 'none', 'code token id_token', '')), generic),
    response_mode: fc.oneof(text(fc.constantFrom('query', 'fragment', 'form_post', 'web_message', 'jwt', 'query.jwt', 'form_post.jwt', '')), generic),
    redirect_uri: fc.oneof(text(fc.constantFrom(CALLBACK, `${CALLBACK}/x`, `${CALLBACK}?x=1`, 'https://evil.example/cb', 'javascript:alert(1)', '')), generic),
    client_id: fc.oneof(text(fc.constantFrom(clientId, `${clientId} `, 'unknown', '')), generic),
    scope: fc.oneof(text(fc.array(fc.constantFrom('openid', 'profile', 'email', 'offline_access', 'admin', ''), { maxLength: 6 }).map((words) => words.join(' '))), generic),
    code_challenge_method: fc.oneof(text(fc.constantFrom('S256', 'plain', 'none', '')), generic),
    resource: fc.oneof(text(fc.constantFrom('https://evil.example/api', 'urn:x', '')), generic),
  };
  const namedKeys = [
    ...Object.keys(valueFor),
    'code_challenge',
    'state',
    'nonce',
    'ui_locales',
    'claims_locales',
    'display',
    'registration',
    'dpop_jkt',
    'authorization_details',
    'acr',
    'max_age[]',
    'claims[id_token]',
  ];
  const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    {
      weight: 8,
      arbitrary: fc.constantFrom(...namedKeys).chain((key) =>
        fc.record({
          op: fc.constantFrom('set', 'set', 'add', 'delete') as fc.Arbitrary<Mutation['op']>,
          key: fc.constant({ text: key } as Piece),
          value: valueFor[key] ?? generic,
          bare: fc.constant(false),
        }),
      ),
    },
    {
      weight: 2,
      arbitrary: fc.record({ op: fc.constant('add') as fc.Arbitrary<Mutation['op']>, key: fc.oneof(text(fc.string({ maxLength: 20 })), invalidUtf8Raw), value: generic, bare: fc.boolean() }),
    },
  );
  return fc.record({
    method: fc.constantFrom('GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'GET', 'POST') as fc.Arbitrary<AuthRequest['method']>,
    mutations: fc.array(mutation, { minLength: 1, maxLength: 6 }),
  });
}

function encodePiece(piece: Piece): string {
  if ('raw' in piece) return piece.raw;
  try {
    return encodeURIComponent(piece.text);
  } catch {
    // A lone surrogate cannot be encoded as UTF-8: send its WTF-8 bytes (invalid UTF-8) instead.
    return piece.text
      .replace(/[\uD800-\uDFFF]/g, '%ED%A0%80')
      .split('%ED%A0%80')
      .map((part) => encodeURIComponent(part))
      .join('%ED%A0%80');
  }
}

function buildAuth(request: AuthRequest, base: Array<[string, string]>): { method: string; url: string; headers?: Record<string, string>; body?: Uint8Array } {
  let pairs: Array<{ key: string; value: string | undefined }> = base.map(([key, value]) => ({ key: encodeURIComponent(key), value: encodeURIComponent(value) }));
  for (const change of request.mutations) {
    const key = encodePiece(change.key);
    const value = change.bare ? undefined : encodePiece(change.value);
    if (change.op === 'delete') pairs = pairs.filter((pair) => pair.key !== key);
    else if (change.op === 'set' && pairs.some((pair) => pair.key === key)) pairs = pairs.map((pair) => (pair.key === key ? { key, value } : pair));
    else pairs.push({ key, value });
  }
  const query = pairs.map(({ key, value }) => (value === undefined ? key : `${key}=${value}`)).join('&');
  if (request.method === 'GET') return { method: 'GET', url: `${authorizationEndpoint}?${query}` };
  return { method: 'POST', url: authorizationEndpoint, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(query, 'latin1') };
}

// ---------- form posts ----------

interface Lane {
  uid: string;
  csrf: string;
  jar: CookieJar;
  finished: boolean;
}

const ENDPOINTS = ['password', 'otp', 'passkey', 'consent', 'abort'] as const;
const CONTENT_TYPES = [
  'application/x-www-form-urlencoded',
  'application/x-www-form-urlencoded; charset=utf-8',
  'application/x-www-form-urlencoded; charset=latin1',
  'application/x-www-form-urlencoded; charset=utf-16',
  'application/x-www-form-urlencoded; charset=bogus-9',
  'application/x-www-form-urlencoded;;;charset=',
  'application/json',
  'application/json; charset=utf-8',
  'multipart/form-data; boundary=XyZ',
  'multipart/form-data',
  'text/plain',
  'text/html',
  'application/xml',
  'application/octet-stream',
  '*/*',
  '',
];

interface FormPost {
  lane: number;
  endpoint: string;
  target: 'own' | 'other-lane' | 'random' | 'finished';
  randomUid: string;
  csrf: 'valid' | 'missing' | 'wrong' | 'foreign' | 'duplicated-valid-first' | 'duplicated-wrong-first' | 'empty' | 'array' | 'nested';
  wrongToken: string;
  fields: Array<{ name: string; value: Piece }>;
  /** Prefix the fields with the real account's username and a guessed password. */
  login: boolean;
  contentType: { kind: 'form' | 'listed' | 'random' | 'none'; value: string };
  encoding: 'urlencoded' | 'json' | 'multipart' | 'raw-bytes' | 'latin1-bytes';
  rawBytes: Uint8Array;
}

function formPosts(lanes: number) {
  const hugeField = fc
    .tuple(fc.constantFrom('a', 'é', '%', '&', '=', '\u{1F600}'), fc.integer({ min: 8_000, max: 64 * 1024 }))
    .map(([unit, length]) => ({ text: unit.repeat(Math.ceil(length / unit.length)).slice(0, length) }) as Piece);
  const fieldValue = fc.oneof(
    { weight: 6, arbitrary: fc.string({ maxLength: 40 }).map((text) => ({ text }) as Piece) },
    { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((text) => ({ text }) as Piece) },
    { weight: 2, arbitrary: invalidUtf8Raw },
    { weight: 2, arbitrary: fc.constantFrom(account.username, account.password.slice(0, 5), '000000', '123456', '{"id":"x","response":{}}').map((text) => ({ text }) as Piece) },
    { weight: 1, arbitrary: hugeField },
  );
  const fieldName = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom('username', 'password', 'code', 'response', 'username', 'password[]', 'code[0]', 'response[id]', '__proto__', 'constructor[prototype][x]', 'prompt', 'accountId'),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  );
  return fc.record({
    lane: fc.nat({ max: lanes - 1 }),
    endpoint: fc.oneof({ weight: 10, arbitrary: fc.constantFrom(...ENDPOINTS) }, { weight: 1, arbitrary: fc.constantFrom('', 'password/', 'PASSWORD', 'otp/extra', '..%2Fabort', 'consent%00') }),
    target: fc.constantFrom('own', 'own', 'own', 'own', 'own', 'own', 'own', 'own', 'other-lane', 'random', 'finished') as fc.Arbitrary<FormPost['target']>,
    randomUid: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('%FF', '%C3%28', '..', '%2e%2e', 'x'.repeat(300))),
    csrf: fc.constantFrom(
      'valid',
      'valid',
      'valid',
      'valid',
      'valid',
      'valid',
      'valid',
      'valid',
      'missing',
      'wrong',
      'foreign',
      'duplicated-valid-first',
      'duplicated-wrong-first',
      'empty',
      'array',
      'nested',
    ) as fc.Arbitrary<FormPost['csrf']>,
    wrongToken: fc.oneof(fc.string({ maxLength: 60 }), fc.base64String({ maxLength: 60 })),
    fields: fc.array(fc.record({ name: fieldName, value: fieldValue }), { maxLength: 6 }),
    login: fc.boolean(),
    contentType: fc.oneof(
      { weight: 12, arbitrary: fc.constant({ kind: 'form' as const, value: 'application/x-www-form-urlencoded' }) },
      { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES).map((value) => ({ kind: 'listed' as const, value })) },
      { weight: 1, arbitrary: fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/).map((value) => ({ kind: 'random' as const, value: value.trim() })) },
      { weight: 1, arbitrary: fc.constant({ kind: 'none' as const, value: '' }) },
    ),
    encoding: fc.constantFrom(
      'urlencoded',
      'urlencoded',
      'urlencoded',
      'urlencoded',
      'urlencoded',
      'urlencoded',
      'urlencoded',
      'urlencoded',
      'json',
      'multipart',
      'raw-bytes',
      'latin1-bytes',
    ) as fc.Arbitrary<FormPost['encoding']>,
    rawBytes: fc.uint8Array({ maxLength: 2_000 }),
  });
}

function buildPost(post: FormPost, lanes: Lane[], finishedUids: string[]): { request: { method: string; url: string; headers?: Record<string, string>; body?: Uint8Array }; lane: Lane } {
  const lane = lanes[post.lane]!;
  const other = lanes[(post.lane + 1) % lanes.length]!;
  const uid =
    post.target === 'own'
      ? lane.uid
      : post.target === 'other-lane'
        ? other.uid
        : post.target === 'finished'
          ? (finishedUids[post.lane % Math.max(1, finishedUids.length)] ?? lane.uid)
          : encodePiece({ text: post.randomUid });
  const url = `${provider.issuer}/interaction/${uid}/${post.endpoint}`;

  const fields: Array<[string, Piece]> = [];
  const wrong = { text: post.wrongToken } as Piece;
  const valid = { text: lane.csrf } as Piece;
  switch (post.csrf) {
    case 'valid':
      fields.push(['_csrf', valid]);
      break;
    case 'missing':
      break;
    case 'wrong':
      fields.push(['_csrf', wrong]);
      break;
    case 'foreign':
      fields.push(['_csrf', { text: other.csrf }]);
      break;
    case 'duplicated-valid-first':
      fields.push(['_csrf', valid], ['_csrf', wrong]);
      break;
    case 'duplicated-wrong-first':
      fields.push(['_csrf', wrong], ['_csrf', valid]);
      break;
    case 'empty':
      fields.push(['_csrf', { text: '' }]);
      break;
    case 'array':
      fields.push(['_csrf[]', valid]);
      break;
    case 'nested':
      fields.push(['_csrf[a]', valid]);
      break;
  }
  if (post.login) fields.push(['username', { text: account.username }], ['password', { text: `guess ${post.wrongToken}` }]);
  for (const field of post.fields) fields.push([field.name, field.value]);

  let body: Buffer;
  switch (post.encoding) {
    case 'urlencoded':
      body = Buffer.from(fields.map(([name, value]) => `${encodePiece({ text: name })}=${encodePiece(value)}`).join('&'), 'latin1');
      break;
    case 'json':
      body = Buffer.from(JSON.stringify(Object.fromEntries(fields.map(([name, value]) => [name, 'text' in value ? value.text : value.raw]))));
      break;
    case 'multipart':
      body = Buffer.concat([
        Buffer.from(fields.map(([name, value]) => `--XyZ\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${'text' in value ? value.text : value.raw}\r\n`).join('')),
        post.rawBytes,
        Buffer.from('--XyZ'),
      ]);
      break;
    case 'raw-bytes':
      body = Buffer.from(post.rawBytes);
      break;
    case 'latin1-bytes':
      // Un-encoded non-UTF-8 bytes inside an otherwise well-formed url-encoded body.
      body = Buffer.concat([
        Buffer.from(`_csrf=${encodeURIComponent(lane.csrf)}&username=`),
        Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]),
        post.rawBytes,
        Buffer.from('&password=\xe9\xff', 'latin1'),
      ]);
      break;
  }
  const headers: Record<string, string> = {};
  if (post.contentType.kind !== 'none' && post.contentType.value !== '') headers['content-type'] = post.contentType.value;
  return { request: { method: 'POST', url, headers, body }, lane };
}

async function newLane(): Promise<Lane> {
  const jar = new CookieJar();
  const url = new URL(authorizationEndpoint);
  url.search = new URLSearchParams({
    client_id: rp.clientId,
    redirect_uri: CALLBACK,
    response_type: 'code',
    scope: 'openid profile',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM',
    code_challenge_method: 'S256',
    state: 'lane',
    nonce: 'lane',
  }).toString();
  const start = await send({ method: 'GET', url: url.href }, jar);
  counts.setup += 1;
  if (start === 'oversized-closed' || start.status !== 303 || !start.location) throw new Error(`could not start an interaction: ${JSON.stringify(start)}`);
  const pageUrl = new URL(start.location, url).href;
  const page = await send({ method: 'GET', url: pageUrl }, jar);
  counts.setup += 1;
  if (page === 'oversized-closed') throw new Error('unreachable');
  const uid = /\/interaction\/([^/?#]+)/.exec(pageUrl)?.[1];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  if (!uid || !csrf) throw new Error(`no interaction page: ${page.status} ${page.body.slice(0, 500)}`);
  return { uid, csrf, jar, finished: false };
}

/** Follows a redirect out of an interaction with the lane's cookies: it must never reach the client with a code. */
async function followOut(location: string, from: string, jar: CookieJar, described: string): Promise<void> {
  let current = new URL(location, from);
  for (let hop = 0; hop < 10; hop += 1) {
    if (isCallback(current)) return assertCallbackError(current, described);
    let answer: Awaited<ReturnType<typeof send>>;
    try {
      answer = await send({ method: 'GET', url: current.href }, jar, 'follow');
    } catch (error) {
      if (error instanceof Violation) throw new Violation(`${error.message}\n… reached after: ${described}`);
      throw error;
    }
    counts.follow += 1;
    if (answer === 'oversized-closed') return;
    if (answer.status >= 300 && answer.status < 400 && answer.location) {
      current = new URL(answer.location, current);
      continue;
    }
    if (answer.status === 200 && /<form[^>]+action="[^"]*\/callback"/.test(answer.body)) assertFormPostError(answer.body, described);
    return;
  }
  throw new Violation(`redirect loop after ${described}`);
}

// ---------- the properties ----------

describe('hostile input never yields a 5xx, a hang or a stack trace', () => {
  it(`authorization endpoint: ${AUTH_TARGET} generated requests`, async () => {
    const base: Array<[string, string]> = [
      ['client_id', rp.clientId],
      ['redirect_uri', CALLBACK],
      ['response_type', 'code'],
      ['scope', 'openid'],
      ['code_challenge', 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSstw-cM'],
      ['code_challenge_method', 'S256'],
      ['state', 'st-123'],
      ['nonce', 'n-456'],
    ];
    const started = Date.now();
    const followedBefore = counts.follow;
    await fc.assert(
      fc.asyncProperty(fc.array(authRequests(provider.issuer, rp.clientId), { minLength: CONCURRENCY, maxLength: CONCURRENCY }), (batch) =>
        runBatch(batch, async (generated) => {
          const request = buildAuth(generated, base);
          const jar = new CookieJar();
          const answer = await send(request, jar, 'auth');
          counts.auth += 1;
          if (answer === 'oversized-closed') return;
          const described = describeRequest(request);
          if (answer.status >= 300 && answer.status < 400) {
            if (!answer.location) throw new Violation(`${answer.status} without Location\nrequest: ${described}`);
            const target = new URL(answer.location, authorizationEndpoint);
            if (isCallback(target)) {
              assertCallbackError(target, described);
              return void outcome(`error=${callbackParams(target).get('error')}`);
            }
            if (target.origin === provider.issuer && /^\/interaction\/[^/]+$/.test(target.pathname)) {
              outcome('interaction');
              // The interaction page is where our own policy code reads the hostile step-up parameters: open it like a browser.
              if (!generated.mutations.some((change) => 'text' in change.key && POLICY_KEYS.has(change.key.text))) return;
              outcome('interaction page opened');
              return followOut(target.href, authorizationEndpoint, jar, described);
            }
            throw new Violation(`unexpected redirect to ${target.href}\nrequest: ${described}`);
          }
          if (answer.status >= 200 && answer.status < 300) {
            assertFormPostError(answer.body, described);
            return void outcome('form_post error');
          }
          if (answer.status < 400) throw new Violation(`unexpected ${answer.status}\nrequest: ${described}`);
        }),
      ),
      { numRuns: Math.ceil(AUTH_TARGET / CONCURRENCY), interruptAfterTimeLimit: AUTH_TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    console.info(
      `authorization endpoint: ${counts.auth} requests (+${counts.follow - followedBefore} interaction pages and redirects followed) in ${((Date.now() - started) / 1000).toFixed(1)} s; redirects: ${JSON.stringify(Object.fromEntries(counts.authOutcomes))}`,
    );
  }, 150_000);

  it(`interaction forms: ${FORM_TARGET} generated posts`, async () => {
    const LANES = 4;
    const lanes: Lane[] = [];
    for (let index = 0; index < LANES; index += 1) lanes.push(await newLane());
    const finishedUids: string[] = [];
    const started = Date.now();
    const followedBefore = counts.follow;
    await fc.assert(
      fc.asyncProperty(fc.array(formPosts(LANES), { minLength: CONCURRENCY, maxLength: CONCURRENCY }), async (batch) => {
        // Interactions finished by an accepted abort are replaced between batches; the old uid keeps being attacked.
        for (let index = 0; index < lanes.length; index += 1) {
          if (lanes[index]!.finished) {
            finishedUids.push(lanes[index]!.uid);
            lanes[index] = await newLane();
          }
        }
        await runBatch(batch, async (generated) => {
          const { request, lane } = buildPost(generated, lanes, finishedUids);
          const answer = await send(request, lane.jar, 'form');
          counts.form += 1;
          if (answer === 'oversized-closed') throw new Violation(`connection closed on a form post\nrequest: ${describeRequest(request)}`);
          const described = describeRequest(request);
          if (answer.status >= 300 && answer.status < 400) {
            if (!answer.location) throw new Violation(`${answer.status} without Location\nrequest: ${described}`);
            // Leaving the interaction: only an abort (or a policy refusal) may do that, and never with a code.
            lane.finished = true;
            await followOut(answer.location, request.url, lane.jar, described);
            return;
          }
          if (answer.status >= 200 && answer.status < 300 && !/<form/.test(answer.body))
            throw new Violation(`unexpected ${answer.status} page\nrequest: ${described}\nbody: ${answer.body.slice(0, 500)}`);
        });
      }),
      { numRuns: Math.ceil(FORM_TARGET / CONCURRENCY), interruptAfterTimeLimit: FORM_TIME_LIMIT_MS, markInterruptAsFailure: false },
    );
    console.info(
      `interaction forms: ${counts.form} posts (+${counts.setup} setup, +${counts.follow - followedBefore} redirects followed) in ${((Date.now() - started) / 1000).toFixed(1)} s; ${finishedUids.length} interactions aborted and replaced`,
    );

    // Nobody was signed in: no factor was ever verified successfully.
    const verified = await provider.stores.audit.query({ type: 'factor.verify', outcome: 'success', limit: 100 });
    expect(verified).toEqual([]);
  }, 150_000);

  it(`made at least ${REQUIRED_TOTAL} generated requests within the time bound`, () => {
    console.info(`statuses: ${JSON.stringify(Object.fromEntries([...counts.byStatus].sort(([a], [b]) => a.localeCompare(b))))}`);
    expect(counts.auth + counts.form).toBeGreaterThanOrEqual(REQUIRED_TOTAL);
  });
});
