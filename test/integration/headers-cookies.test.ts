// Safe by default over HTTP: every cookie HttpOnly, SameSite, Path, no Domain (Secure behind https); pages with a strict CSP, unframable, not cached.
import { createHash, randomBytes } from 'node:crypto';
import { parse } from 'node-html-parser';
import { TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { CookieJar } from '../support/cookie-jar.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { createAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { issueRecoveryLink } from '../../authenticators/index.ts';
import { totpKeyring } from '../../config/keys.ts';

/** The applications' redirect URI: nothing listens there, the browser stops when it is sent to it. */
const CALLBACK = 'https://rp.example.test/callback';

/**
 * Every cookie the provider sets, with the SameSite it must carry and why. A cookie not listed here fails the suite:
 * decide its attributes, then add it.
 */
const COOKIES: Record<string, { sameSite: 'lax' | 'strict'; why: string }> = {
  // oidc-provider's cookies (`cookies.long` / `cookies.short` in server/provider.ts).
  _session: {
    sameSite: 'lax',
    why: 'single sign-on and step-up start with a top-level GET from the application (another site) to /auth; Strict would hide the session there, None would also send it on cross-site posts and frames',
  },
  _interaction: {
    sameSite: 'lax',
    why: 'read on /interaction/:uid, reached through the redirect chain that a cross-site navigation to /auth started: browsers withhold Strict cookies on such a chain',
  },
  _interaction_resume: { sameSite: 'lax', why: 'read on /auth/:uid at the end of the same cross-site-initiated chain' },
  // Ours.
  'stepup.csrf': {
    sameSite: 'lax',
    why: 'its secret is needed to render the form on the sign-in page, reached by the cross-site redirect chain; the forms post same-site, and a cross-site post (no cookie) fails the token check anyway',
  },
  'stepup.account': {
    sameSite: 'lax',
    why: "the state of the account pages' own sign-in, read on /account/callback at the end of a redirect chain through /auth",
  },
  'stepup.totp': { sameSite: 'strict', why: 'the sealed TOTP secret being set up: only ever needed by the same-site form post of the page that set it' },
  'stepup.passkey': { sameSite: 'strict', why: 'the sealed registration challenge: only ever needed by the same-site form post of the page that set it' },
  'stepup.recovery-link': {
    sameSite: 'lax',
    why: "an operator's recovery link, carried from /account/recover to the recovery sign-in page at the end of the redirect chain through /auth (the link itself arrives from outside, e.g. an e-mail)",
  },
};

/** Every page a person can see. `stateful`: it carries secrets or session state, so it must never be cached. */
const PAGES = [
  { name: 'account (signed out)', stateful: true },
  { name: 'sign-in', stateful: true },
  { name: 'sign-in (wrong password)', stateful: true },
  { name: 'account overview', stateful: true },
  { name: 'TOTP step-up', stateful: true },
  { name: 'TOTP enrolment (shows the secret and QR code)', stateful: true },
  { name: 'TOTP enrolment (wrong code, shows the secret again)', stateful: true },
  { name: 'passkey enrolment', stateful: true },
  { name: 'passkey step-up', stateful: true },
  { name: 'manage sign-in methods', stateful: true },
  { name: 'removal confirmation', stateful: true },
  { name: 'recovery codes', stateful: true },
  { name: 'recovery codes (shown once)', stateful: true },
  { name: 'recovery sign-in (code)', stateful: true },
  { name: 'recovery sign-in (operator link)', stateful: true },
  { name: 'recovery session', stateful: true },
  { name: 'consent', stateful: true },
  { name: 'form_post response (carries the code)', stateful: true },
  { name: 'logout confirmation', stateful: true },
  { name: 'logout done', stateful: true },
  { name: 'CSRF refusal', stateful: true },
  { name: 'error page (oidc-provider renderError)', stateful: false },
  { name: 'error page (our routes)', stateful: false },
  { name: 'error page (account callback)', stateful: false },
  { name: 'not found (404)', stateful: false },
] as const;
type PageName = (typeof PAGES)[number]['name'];

const JSON_ENDPOINTS = ['discovery', 'jwks', 'token', 'token (error)', 'userinfo', 'introspection'] as const;
type JsonName = (typeof JSON_ENDPOINTS)[number];

/** One HTTP response seen during the walk. */
interface Seen {
  method: string;
  url: string;
  status: number;
  headers: Headers;
  setCookies: string[];
  body: string;
}

interface SetCookie {
  line: string;
  name: string;
  value: string;
  /** Attribute names lower-cased, values as sent. */
  attributes: Map<string, string>;
  /** Expired or emptied: the server deleting the cookie. */
  deletion: boolean;
}

function parseSetCookie(line: string): SetCookie {
  const [pair, ...rest] = line.split(';');
  const index = pair!.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const [key, ...value] = part.split('=');
    attributes.set(key!.trim().toLowerCase(), value.join('=').trim());
  }
  const value = pair!.slice(index + 1).trim();
  const expires = attributes.get('expires');
  const deletion = value === '' || attributes.get('max-age') === '0' || (expires !== undefined && Date.parse(expires) <= Date.now());
  return { line, name: pair!.slice(0, index).trim(), value, attributes, deletion };
}

/** `_session.sig` is `_session`'s signature: same attributes, same rules. */
const baseName = (name: string) => name.replace(/\.sig$/, '');

/**
 * A browser that keeps cookies as a browser does (test/support/cookie-jar.ts), follows redirects by hand and records every
 * response. It sees the public origin (the issuer) and talks to the loopback server, adding the `forwarded` headers a
 * TLS-terminating proxy adds.
 */
class RecordingBrowser {
  readonly seen: Seen[] = [];
  private readonly jar = new CookieJar();

  constructor(
    private readonly base: string,
    readonly publicOrigin: string,
    private readonly forwarded: Record<string, string>,
  ) {}

  resolve(location: string, from: string = this.publicOrigin): URL {
    return new URL(location, from);
  }

  /** One request, no redirect followed (a page's sub-resource, or the application's back channel with `cookies: false`). */
  async fetch(url: string | URL, init: { method?: string; body?: URLSearchParams; headers?: Record<string, string>; cookies?: boolean } = {}): Promise<Seen> {
    const publicUrl = this.resolve(String(url));
    const target = publicUrl.origin === this.publicOrigin ? new URL(publicUrl.pathname + publicUrl.search, this.base) : publicUrl;
    const method = init.method ?? (init.body ? 'POST' : 'GET');
    const withCookies = init.cookies !== false;
    const response = await fetch(target, {
      method,
      redirect: 'manual',
      headers: {
        ...this.forwarded,
        ...(withCookies ? { cookie: this.jar.header(publicUrl) } : {}),
        ...(init.body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        ...init.headers,
      },
      body: init.body,
      signal: AbortSignal.timeout(15_000),
    });
    const setCookies = response.headers.getSetCookie();
    if (withCookies) this.jar.store(publicUrl, setCookies);
    const seen: Seen = { method, url: publicUrl.href, status: response.status, headers: response.headers, setCookies, body: await response.text() };
    this.seen.push(seen);
    return seen;
  }

  /** Navigates: follows redirects to a page, or stops at the application's redirect URI (returned, not fetched). */
  async navigate(url: string | URL, init: { method?: string; body?: URLSearchParams } = {}): Promise<Seen | URL> {
    let current = this.resolve(String(url));
    let request = init;
    for (let hop = 0; hop < 20; hop += 1) {
      if (current.href.startsWith(CALLBACK)) return current;
      const seen = await this.fetch(current, request);
      const location = seen.headers.get('location');
      if (seen.status < 300 || seen.status >= 400 || !location) return seen;
      current = this.resolve(location, current.href);
      request = {};
    }
    throw new Error('more than 20 redirects: a redirect loop');
  }

  /** Fills and submits the page's form whose action ends with `suffix`, hidden fields included. */
  async submit(page: Seen, suffix: string, fields: Record<string, string>): Promise<Seen | URL> {
    const form = parse(page.body)
      .querySelectorAll('form')
      .find((candidate) => (candidate.getAttribute('action') ?? '').endsWith(suffix));
    if (!form) throw new Error(`no form …${suffix} on ${page.url} (${page.status}):\n${page.body.slice(0, 1500)}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      if (name && input.getAttribute('type') !== 'checkbox') body.set(name, input.getAttribute('value') ?? '');
    }
    for (const [name, value] of Object.entries(fields)) body.set(name, value);
    return this.navigate(this.resolve(form.getAttribute('action')!, page.url), { method: 'POST', body });
  }
}

function page(step: Seen | URL): Seen {
  if (step instanceof URL) throw new Error(`expected a page, got the redirect to the application ${step.href}`);
  return step;
}

function callback(step: Seen | URL): URL {
  if (!(step instanceof URL)) throw new Error(`expected the redirect to the application, got ${step.url} (${step.status}):\n${step.body.slice(0, 1500)}`);
  return step;
}

function heading(seen: Seen): string {
  return parse(seen.body).querySelector('h1')?.text.trim() ?? '';
}

function passkeyChallenge(seen: Seen): string {
  return (JSON.parse(parse(seen.body).querySelector('#passkey-options')!.text) as { challenge: string }).challenge;
}

/** What one walk through every flow produced. */
interface Walk {
  browser: RecordingBrowser;
  pages: Map<PageName, Seen>;
  json: Map<JsonName, Seen>;
  /** Scripts and stylesheets the pages load, by URL. */
  assets: Map<string, Seen>;
}

/**
 * Sign-in (from the account page), an application's code flow and its back channel, TOTP step-up, the account pages with
 * TOTP and passkey enrolment, passkey step-up, management, consent, form_post, error pages, logout.
 */
async function walk(provider: RunningProvider, forwarded: Record<string, string>): Promise<Walk> {
  const publicOrigin = provider.config.issuer;
  const browser = new RecordingBrowser(provider.issuer, publicOrigin, forwarded);
  const pages = new Map<PageName, Seen>();
  const json = new Map<JsonName, Seen>();
  const keep = (name: PageName, step: Seen | URL) => {
    pages.set(name, page(step));
    return page(step);
  };

  const clientId = `rp-${randomBytes(4).toString('hex')}`;
  const clientSecret = `secret-${clientId}-0123456789abcdef`;
  const thirdParty = `${clientId}-third-party`;
  for (const [id, firstParty] of [
    [clientId, true],
    [thirdParty, false],
  ] as const) {
    await provider.stores.clients.upsert({
      client_id: id,
      client_secret: clientSecret,
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      first_party: firstParty,
    });
  }
  const basic = { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` };

  const discovery = await browser.fetch('/.well-known/openid-configuration', { cookies: false });
  json.set('discovery', discovery);
  const metadata = JSON.parse(discovery.body) as Record<string, string>;
  json.set('jwks', await browser.fetch(metadata.jwks_uri!, { cookies: false }));

  const authorize = (params: Record<string, string> = {}, client = clientId) => {
    const verifier = randomBytes(32).toString('base64url');
    const url = new URL(metadata.authorization_endpoint!);
    url.search = new URLSearchParams({
      client_id: client,
      response_type: 'code',
      redirect_uri: CALLBACK,
      scope: 'openid profile',
      state: randomBytes(8).toString('hex'),
      nonce: randomBytes(8).toString('hex'),
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      ...params,
    }).toString();
    return { url, verifier };
  };
  const exchange = (code: string, verifier: string) =>
    browser.fetch(metadata.token_endpoint!, {
      cookies: false,
      headers: basic,
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier }),
    });

  const account = await createAccount(provider, { totp: true });
  const authenticator = new SoftAuthenticator({ rpId: provider.config.webauthn.rpId, origin: publicOrigin });

  // Signing in from the account page (its own authorization request), a wrong password first.
  const signedOut = keep('account (signed out)', await browser.navigate('/account'));
  const signIn = keep('sign-in', await browser.navigate(browser.resolve(parse(signedOut.body).querySelector('form[action="/account/login"]')!.getAttribute('action')!)));
  const wrong = keep('sign-in (wrong password)', await browser.submit(signIn, '/password', { username: account.username, password: 'wrong password' }));
  const overview = keep('account overview', await browser.submit(wrong, '/password', { username: account.username, password: account.password }));
  expect(heading(overview)).toBe(account.username);

  // An application's code flow on that session, and its back channel: token, userinfo, introspection, a replayed code.
  const silent = authorize();
  const code = callback(await browser.navigate(silent.url)).searchParams.get('code')!;
  const tokens = await exchange(code, silent.verifier);
  json.set('token', tokens);
  const accessToken = (JSON.parse(tokens.body) as { access_token: string }).access_token;
  json.set('userinfo', await browser.fetch(metadata.userinfo_endpoint!, { cookies: false, headers: { authorization: `Bearer ${accessToken}` } }));
  json.set('introspection', await browser.fetch(metadata.introspection_endpoint!, { cookies: false, headers: basic, body: new URLSearchParams({ token: accessToken }) }));
  json.set('token (error)', await exchange(code, silent.verifier));

  // Step-up to aal2 with the authenticator app.
  const otp = keep('TOTP step-up', await browser.navigate(authorize({ acr_values: 'aal2' }).url));
  callback(await browser.submit(otp, '/otp', { code: account.code() }));

  // The account pages: a second authenticator app (the page that shows a secret), then a passkey.
  const enrol = keep('TOTP enrolment (shows the secret and QR code)', await browser.navigate('/account/totp'));
  const secret = parse(enrol.body).querySelector('code.secret')!.text.replace(/\s/g, '');
  const totp = new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 });
  const valid = [-30, 0, 30].map((offset) => totp.generate({ timestamp: (provider.clock.now() + offset) * 1000 }));
  const wrongCode = ['000000', '111111', '222222', '333333'].find((candidate) => !valid.includes(candidate))!;
  const again = keep('TOTP enrolment (wrong code, shows the secret again)', await browser.submit(enrol, '/account/totp', { code: wrongCode, label: 'Second phone' }));
  const secondCode = totp.generate({ timestamp: provider.clock.now() * 1000 });
  expect(page(await browser.submit(again, '/account/totp', { code: secondCode, label: 'Second phone' })).body).toContain('Your authenticator app is set up.');
  const passkeyEnrol = keep('passkey enrolment', await browser.navigate('/account/passkey'));
  const registration = authenticator.register({ challenge: passkeyChallenge(passkeyEnrol), userId: account.id });
  expect(page(await browser.submit(passkeyEnrol, '/account/passkey', { response: JSON.stringify(registration), label: 'Soft key' })).body).toContain('Your passkey is ready.');
  // Enrolled from an aal2 session, the passkey backs no more than aal2 until its cool-off ends.
  provider.clock.advance(provider.config.policy.recovery.coolOff);

  // Step-up to phr with the passkey, then management (the passkey alone gives phr: removing it asks first).
  const passkeyStep = keep('passkey step-up', await browser.navigate(authorize({ acr_values: 'phr' }).url));
  callback(await browser.submit(passkeyStep, '/passkey', { response: JSON.stringify(authenticator.assert({ challenge: passkeyChallenge(passkeyStep) })) }));
  const manage = keep('manage sign-in methods', await browser.navigate('/account/manage'));
  const passkey = (await provider.stores.authenticators.listByAccount(account.id)).find((record) => record.kind === 'passkey')!;
  keep('removal confirmation', await browser.submit(manage, `/account/authenticators/${passkey.id}/remove`, {}));

  // Recovery codes (shown once), then a recovery sign-in with one of them, and the page of an operator's recovery link.
  const codesPage = keep('recovery codes', await browser.navigate('/account/recovery-codes'));
  const shown = keep('recovery codes (shown once)', await browser.submit(codesPage, '/account/recovery-codes', {}));
  const recoveryCode = parse(shown.body).querySelector('ol.codes code')!.text;
  const recoverySignIn = keep('recovery sign-in (code)', await browser.navigate('/account/recover'));
  keep('recovery session', await browser.submit(recoverySignIn, '/recovery', { username: account.username, password: account.password, code: recoveryCode }));
  const { token } = await issueRecoveryLink(account.id, 600, { secrets: provider.stores.recoverySecrets, keyring: totpKeyring(provider.config.keys), now: provider.clock.now() });
  keep('recovery sign-in (operator link)', await browser.navigate(`/account/recover?link=${token}`));

  // Consent for a third-party application, and a response delivered by form_post.
  const consent = keep('consent', await browser.navigate(authorize({}, thirdParty).url));
  callback(await browser.submit(consent, '/consent', {}));
  keep('form_post response (carries the code)', await browser.navigate(authorize({ response_mode: 'form_post' }).url));

  // Refusals and errors: a forged form post, oidc-provider's error page, ours, an unknown path.
  keep('CSRF refusal', await browser.navigate('/account/totp', { method: 'POST', body: new URLSearchParams({ code: '123456', _csrf: 'forged' }) }));
  keep('error page (oidc-provider renderError)', await browser.navigate(authorize({}, 'no-such-client').url));
  keep('error page (our routes)', await browser.navigate('/interaction/no-such-interaction'));
  keep('error page (account callback)', await browser.navigate('/account/callback?state=forged'));
  keep('not found (404)', await browser.navigate('/no-such-page'));

  // Signing out: the confirmation, then the success page.
  const logout = keep('logout confirmation', await browser.navigate('/session/end'));
  keep('logout done', await browser.submit(logout, '/session/end/confirm', { logout: 'yes' }));

  const assets = new Map<string, Seen>();
  for (const seen of pages.values()) {
    for (const element of parse(seen.body).querySelectorAll('script[src], link[href]')) {
      const url = browser.resolve(element.getAttribute('src') ?? element.getAttribute('href')!, seen.url).href;
      if (!assets.has(url)) assets.set(url, await browser.fetch(url, { cookies: false }));
    }
  }
  return { browser, pages, json, assets };
}

/** Every Set-Cookie line of the walk, with where it came from. */
function cookieLines(walked: Walk): Array<SetCookie & { url: string }> {
  return walked.browser.seen.flatMap((seen) => seen.setCookies.map((line) => ({ ...parseSetCookie(line), url: `${seen.method} ${new URL(seen.url).pathname}` })));
}

function cspDirectives(csp: string): Map<string, string[]> {
  const directives = new Map<string, string[]>();
  for (const directive of csp.split(';')) {
    const [name, ...values] = directive.trim().split(/\s+/);
    if (name) directives.set(name.toLowerCase(), values);
  }
  return directives;
}

/** What is wrong with a page's security headers (an empty list when nothing is). */
function headerProblems(seen: Seen): string[] {
  const problems: string[] = [];
  const csp = seen.headers.get('content-security-policy');
  if (!csp) problems.push('no Content-Security-Policy');
  else {
    const directives = cspDirectives(csp);
    const fallback = directives.get('default-src');
    if (!fallback || !(fallback.length === 1 && ["'none'", "'self'"].includes(fallback[0]!))) problems.push(`default-src is not 'none' or 'self': ${fallback?.join(' ')}`);
    for (const name of ['script-src', 'style-src']) {
      const sources = directives.get(name) ?? fallback ?? [];
      const loose = sources.filter((source) => ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", '*', 'data:', 'http:', 'https:'].includes(source));
      if (loose.length) problems.push(`${name} allows ${loose.join(' ')}`);
    }
    if (directives.get('frame-ancestors')?.join(' ') !== "'none'") problems.push(`frame-ancestors is not 'none': ${directives.get('frame-ancestors')?.join(' ')}`);
    if ((directives.get('object-src') ?? fallback)?.join(' ') !== "'none'") problems.push("object-src is not 'none'");
    if (!["'none'", "'self'"].includes(directives.get('base-uri')?.join(' ') ?? '')) problems.push("base-uri is not 'none' or 'self'");
  }
  if (seen.headers.get('x-frame-options')?.toUpperCase() !== 'DENY') problems.push(`X-Frame-Options: ${seen.headers.get('x-frame-options')}`);
  if (seen.headers.get('x-content-type-options')?.toLowerCase() !== 'nosniff') problems.push(`X-Content-Type-Options: ${seen.headers.get('x-content-type-options')}`);
  if (!['no-referrer', 'same-origin', 'strict-origin'].includes(seen.headers.get('referrer-policy')?.toLowerCase() ?? '')) {
    problems.push(`Referrer-Policy: ${seen.headers.get('referrer-policy')}`);
  }
  return problems;
}

/** What in a page's HTML its CSP would block (so the page would be broken): inline code and styles, foreign resources. */
function markupProblems(seen: Seen, publicOrigin: string): string[] {
  const problems: string[] = [];
  const directives = cspDirectives(seen.headers.get('content-security-policy') ?? '');
  const allowed = (directive: string, element: { getAttribute(name: string): string | undefined }, text: string) => {
    const sources = directives.get(directive) ?? [];
    const nonce = element.getAttribute('nonce');
    const hash = `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    return (nonce !== undefined && sources.includes(`'nonce-${nonce}'`)) || sources.includes(hash);
  };
  const sameOrigin = (url: string) => new URL(url, seen.url).origin === publicOrigin;
  for (const element of parse(seen.body).querySelectorAll('*')) {
    const tag = element.rawTagName.toLowerCase();
    for (const [name, value] of Object.entries(element.attributes)) {
      const attribute = name.toLowerCase();
      if (attribute.startsWith('on')) problems.push(`<${tag} ${name}>: an inline event handler`);
      if (attribute === 'style') problems.push(`<${tag} style="${value}">: an inline style`);
      if (['href', 'src', 'action', 'formaction'].includes(attribute) && /^\s*javascript:/i.test(value)) problems.push(`<${tag} ${name}="${value}">`);
    }
    if (tag === 'script') {
      const src = element.getAttribute('src');
      const type = (element.getAttribute('type') ?? '').toLowerCase();
      if (src !== undefined) {
        if (!sameOrigin(src)) problems.push(`<script src="${src}"> from another origin`);
      } else if (!['application/json', 'application/ld+json'].includes(type) && !allowed('script-src', element, element.innerHTML)) {
        problems.push(`an inline <script> without a nonce or hash in script-src: ${element.innerHTML.trim().slice(0, 80)}`);
      }
    }
    if (tag === 'style' && !allowed('style-src', element, element.innerHTML)) problems.push('an inline <style> without a nonce or hash in style-src');
    if (tag === 'link' && /stylesheet/i.test(element.getAttribute('rel') ?? '') && !sameOrigin(element.getAttribute('href') ?? '')) {
      problems.push(`<link rel=stylesheet href="${element.getAttribute('href')}"> from another origin`);
    }
    if (tag === 'img' && !/^data:/.test(element.getAttribute('src') ?? '') && !sameOrigin(element.getAttribute('src') ?? '')) problems.push('<img> from another origin');
  }
  return problems;
}

async function productionEnv(issuer: string): Promise<Record<string, string>> {
  const keys = serializeKeys(await generateKeyMaterial());
  return { NODE_ENV: 'production', ISSUER: issuer, STEPUP_DEMO: '0', STEPUP_JWKS: keys.jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys };
}

const PUBLIC_ISSUER = 'https://idp.example.test';
/** What a TLS-terminating reverse proxy in front of the provider adds to every request. */
const BEHIND_TLS_PROXY = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'idp.example.test' };

const DEPLOYMENTS = [
  {
    name: 'in development (NODE_ENV=test, http://localhost issuer)',
    secure: false,
    start: () => startProvider({ hostname: 'localhost' }),
    forwarded: {},
  },
  {
    name: `in production (NODE_ENV=production, ISSUER=${PUBLIC_ISSUER}) behind a TLS-terminating proxy`,
    secure: true,
    start: async () => startProvider({ env: await productionEnv(PUBLIC_ISSUER) }),
    forwarded: BEHIND_TLS_PROXY,
  },
];

describe.each(DEPLOYMENTS)('$name', ({ secure, start, forwarded }) => {
  let provider: RunningProvider;
  let walked: Walk;

  beforeAll(async () => {
    provider = await start();
    walked = await walk(provider, forwarded);
  });
  afterAll(async () => provider?.close());

  describe('cookies', () => {
    it.each(Object.entries(COOKIES))('%s and its .sig are HttpOnly, SameSite as listed, with a Path and no Domain', (name, { sameSite }) => {
      const lines = cookieLines(walked).filter((cookie) => baseName(cookie.name) === name && !cookie.deletion);
      expect(
        lines.map((cookie) => cookie.name),
        `the walk never set ${name}`,
      ).toEqual(expect.arrayContaining([name, `${name}.sig`]));
      for (const cookie of lines) {
        const where = `${cookie.url}: ${cookie.line.replace(/=[^;]*/, '=…')}`;
        expect(cookie.attributes.has('httponly'), where).toBe(true);
        expect(cookie.attributes.get('samesite')?.toLowerCase(), where).toBe(sameSite);
        expect(cookie.attributes.get('path'), where).toMatch(/^\//);
        expect(cookie.attributes.has('domain'), where).toBe(false);
      }
    });

    it(secure ? 'are all Secure' : 'are not Secure (the issuer is http: a Secure cookie cannot be sent over it)', () => {
      const lines = cookieLines(walked);
      expect(lines.length).toBeGreaterThan(20);
      for (const cookie of lines) expect(cookie.attributes.has('secure'), `${cookie.url}: ${cookie.line.replace(/=[^;]*/, '=…')}`).toBe(secure);
    });

    it('are all in the inventory above (a new cookie must be reviewed and listed)', () => {
      const names = new Set(cookieLines(walked).map((cookie) => baseName(cookie.name)));
      expect([...names].sort()).toEqual(Object.keys(COOKIES).sort());
    });

    it('are deleted on the path they were set with, never with a Domain', () => {
      const lines = cookieLines(walked);
      const deletions = lines.filter((cookie) => cookie.deletion);
      expect(deletions.map((cookie) => baseName(cookie.name))).toEqual(expect.arrayContaining(['_session', '_interaction_resume', 'stepup.totp', 'stepup.passkey', 'stepup.account']));
      for (const cookie of deletions) {
        const paths = lines.filter((set) => !set.deletion && set.name === cookie.name).map((set) => set.attributes.get('path'));
        expect(paths, `${cookie.url}: ${cookie.line}`).toContain(cookie.attributes.get('path'));
        expect(cookie.attributes.has('domain'), cookie.line).toBe(false);
      }
    });
  });

  describe('pages', () => {
    it.each(PAGES.map(({ name }) => name))('the walk saw %s', (name) => {
      expect(walked.pages.get(name), name).toBeDefined();
    });

    for (const { name, stateful } of PAGES) {
      it(`${name}: CSP without unsafe-inline/eval and frame-ancestors 'none', X-Frame-Options DENY, nosniff, Referrer-Policy`, () => {
        expect(headerProblems(walked.pages.get(name)!)).toEqual([]);
      });

      // oidc-provider's form_post page has an inline script, allowed by the hash it adds to our CSP's script-src.
      it(`${name}: no inline script, style or event handler the CSP would block, no foreign resource`, () => {
        expect(markupProblems(walked.pages.get(name)!, provider.config.issuer)).toEqual([]);
      });

      if (stateful) {
        it(`${name}: Cache-Control no-store`, () => {
          expect(walked.pages.get(name)!.headers.get('cache-control')).toMatch(/(^|,\s*)no-store(,|$)/);
        });
      }
    }

    it('every HTML response of the walk is one of the pages checked above, or a redirect', () => {
      const checked = new Set(walked.pages.values());
      const unchecked = walked.browser.seen.filter((seen) => (seen.status < 300 || seen.status >= 400) && /html/.test(seen.headers.get('content-type') ?? '') && !checked.has(seen));
      // Pages the walk saw without naming them are of a kind named above (account overview after a change).
      for (const seen of unchecked) {
        expect(new URL(seen.url).pathname, seen.url).toBe('/account');
        expect(headerProblems(seen)).toEqual([]);
        expect(seen.headers.get('cache-control')).toBe('no-store');
      }
    });

    it('the TOTP enrolment page really carries the secret it must not let a cache keep', () => {
      const enrol = walked.pages.get('TOTP enrolment (shows the secret and QR code)')!;
      expect(parse(enrol.body).querySelector('code.secret')?.text.replace(/\s/g, '')).toMatch(/^[A-Z2-7]{16,}$/);
      expect(parse(enrol.body).querySelector('.qr svg')).toBeTruthy();
    });

    it('loads its scripts and stylesheet from this origin, with their real content types and nosniff', () => {
      const types = [...walked.assets].map(([url, seen]) => {
        expect(new URL(url).origin).toBe(provider.config.issuer);
        expect(seen.status, url).toBe(200);
        expect(seen.headers.get('x-content-type-options'), url).toBe('nosniff');
        return [new URL(url).pathname, seen.headers.get('content-type')];
      });
      expect(Object.fromEntries(types)).toEqual({
        '/static/app.css': 'text/css; charset=utf-8',
        '/static/webauthn.js': 'text/javascript; charset=utf-8',
        '/static/simplewebauthn-browser.js': 'text/javascript; charset=utf-8',
        '/static/print.js': 'text/javascript; charset=utf-8',
        '/static/local-time.js': 'text/javascript; charset=utf-8',
        '/static/favicon.svg': 'image/svg+xml',
      });
    });
  });

  describe('JSON endpoints', () => {
    it.each([
      ['discovery', 200, /^application\/json; charset=utf-8$/],
      ['jwks', 200, /^application\/jwk-set\+json; charset=utf-8$/],
      ['token', 200, /^application\/json; charset=utf-8$/],
      ['token (error)', 400, /^application\/json; charset=utf-8$/],
      ['userinfo', 200, /^application\/json; charset=utf-8$/],
      ['introspection', 200, /^application\/json; charset=utf-8$/],
    ] as const)('%s answers %i with its JSON content type and a body that parses', (name, status, type) => {
      const seen = walked.json.get(name)!;
      expect(seen.status, seen.body).toBe(status);
      expect(seen.headers.get('content-type')).toMatch(type);
      expect(() => JSON.parse(seen.body)).not.toThrow();
    });

    it.each(['token', 'token (error)', 'userinfo', 'introspection'] as const)('%s: Cache-Control no-store (it carries tokens or what they grant)', (name) => {
      expect(walked.json.get(name)!.headers.get('cache-control')).toBe('no-store');
    });

    // RFC 6749 §5.1 (and §5.2 for errors): oidc-provider sets only Cache-Control; server/security-headers.ts adds Pragma.
    it.each(['token', 'token (error)'] as const)('%s: Pragma no-cache (RFC 6749 §5.1)', (name) => {
      expect(walked.json.get(name)!.headers.get('pragma')).toBe('no-cache');
    });

    it('the back-channel endpoints set no cookie', () => {
      for (const name of JSON_ENDPOINTS) expect(walked.json.get(name)!.setCookies, name).toEqual([]);
    });
  });
});

describe('how cookies become Secure', () => {
  // The product marks every cookie Secure exactly when the issuer is https (one decision, `secureCookies` in
  // config/cookies.ts, which every cookie setter uses through `cookieOptions`), and production requires an https issuer
  // (config/index.ts). The `cookies` package refuses to set a Secure cookie unless koa sees the request as https, which
  // behind a TLS-terminating proxy it does only when `provider.proxy` is on (then X-Forwarded-Proto is trusted):
  // server/provider.ts turns it on when STEPUP_PROXY_HOPS > 0, which defaults to 1 with an https issuer (0 is refused).
  let production: RunningProvider;
  beforeAll(async () => {
    production = await startProvider({ env: await productionEnv(PUBLIC_ISSUER) });
  });
  afterAll(async () => production?.close());

  it('in production, a request that reached the provider over plain http (no X-Forwarded-Proto) gets a clear 400 and no cookie', async () => {
    const browser = new RecordingBrowser(production.issuer, PUBLIC_ISSUER, {});
    const client = `rp-${randomBytes(4).toString('hex')}`;
    await production.stores.clients.upsert({
      client_id: client,
      client_secret: `secret-${client}-0123456789abcdef`,
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      first_party: true,
    });
    await browser.navigate('/account');
    await browser.navigate(`/auth?client_id=${client}&response_type=code&scope=openid&redirect_uri=${encodeURIComponent(CALLBACK)}&code_challenge=${'a'.repeat(43)}&code_challenge_method=S256`);
    expect(browser.seen.length).toBeGreaterThan(0);
    for (const seen of browser.seen) {
      expect(seen.status, `${seen.method} ${seen.url}`).toBe(400);
      expect(seen.body).toMatch(/only reachable over HTTPS/);
      expect(seen.setCookies, `${seen.method} ${seen.url}`).toEqual([]);
    }
    // Probes from the load balancer are answered over plain http.
    expect((await fetch(`${production.issuer}/healthz`)).status).toBe(200);
  });

  /** A staging instance: https issuer behind the same proxy, NODE_ENV left at its default (development). */
  async function stagingSignIn(env: Record<string, string>): Promise<{ signIn: Seen; cookies: string[] }> {
    const staging = await startProvider({ env: { NODE_ENV: 'development', ISSUER: PUBLIC_ISSUER, ...env } });
    try {
      const browser = new RecordingBrowser(staging.issuer, PUBLIC_ISSUER, BEHIND_TLS_PROXY);
      const signIn = page(await browser.navigate('/account/login'));
      return { signIn, cookies: browser.seen.flatMap((seen) => seen.setCookies) };
    } finally {
      await staging.close();
    }
  }

  it('with an https issuer outside production, STEPUP_PROXY_HOPS=1 makes the pages work behind the proxy, with Secure cookies', async () => {
    const { signIn, cookies } = await stagingSignIn({ STEPUP_PROXY_HOPS: '1' });
    expect(signIn.status).toBe(200);
    expect(heading(signIn)).toBe('Sign in');
    expect(cookies.length).toBeGreaterThan(0);
    for (const line of cookies) expect(line).toMatch(/;\s*secure(;|$)/i);
  });

  // The default follows the issuer: an https issuer means TLS is terminated in front, so one proxy hop is trusted.
  it('with an https issuer outside production and the default STEPUP_PROXY_HOPS, the pages work behind the proxy (or the start is refused)', async () => {
    const { signIn } = await stagingSignIn({});
    expect(signIn.status).toBe(200);
  });
});
