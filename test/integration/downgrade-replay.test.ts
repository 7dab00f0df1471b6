// Downgrade and replay attacks on step-up: no token above what was proven, no auth_time after the last active authentication.
import { beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK, relyingParty, type Flow } from './harness/rp.ts';
import { CSRF_COOKIES, SESSION_COOKIES, alertOf, copyCookies, crossInteraction, keepInteraction, post, readForm, uidOf } from './harness/attacks.ts';

const { provider, rp } = useProvider();
let api: string;

beforeAll(async () => {
  api = provider.api;
});

const essential = (...values: string[]) => JSON.stringify({ id_token: { acr: { essential: true, values } } });

async function signedIn(account: TestAccount) {
  const browser = new Browser(CALLBACK);
  const tokens = await rp.signIn(browser, account);
  return { browser, tokens, claims: tokens.claims()! };
}

/** Starts an aal2 request on a signed-in browser and stops on the code page. */
async function openStepUp(browser: Browser, params: Record<string, string> = { acr_values: 'aal2' }) {
  const flow = await rp.start(browser, params);
  expect(formOf(flow.step)).toBe('otp');
  return flow;
}

async function stepUp(browser: Browser, account: TestAccount, params?: Record<string, string>) {
  const flow = await openStepUp(browser, params);
  return rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
}

function resume(browser: Browser, uid: string, query = ''): Promise<Step> {
  return browser.request(`${provider.issuer}/auth/${uid}${query}`);
}

/** The application got this OAuth error and no code. */
function expectErrorAtClient(step: Step, error: string): void {
  const callback = expectCallback(step);
  expect(callback.searchParams.get('error')).toBe(error);
  expect(callback.searchParams.get('code')).toBeNull();
}

/** A page at the provider (no redirect to the application) with this status. */
function expectRefused(step: Step, status: number): void {
  expect(step.kind, 'a refused post must not send the browser back to the application').toBe('page');
  expect(expectPage(step).status).toBe(status);
}

async function signOut(browser: Browser): Promise<void> {
  const confirm = await browser.request(`${provider.issuer}/session/end`);
  const { action, fields } = readForm(confirm, '/session/end/confirm');
  const done = expectPage(await post(browser, action, { ...fields, logout: 'yes' }));
  expect(done.document.querySelector('h1')?.text).toBe('You are signed out');
}

async function verifyAccessToken(token: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${provider.issuer}/jwks`)), { issuer: provider.issuer, audience: api });
  return payload;
}

describe('editing the request between the authorization request and the form posts', () => {
  it('ignores acr_values, claims and max_age added to the password post: the aal2 request still asks for the code', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    const { action, fields } = readForm(flow.step, '/password');
    const tampered = `${action}?acr_values=aal1&claims=${encodeURIComponent(essential('aal1'))}&max_age=86400`;
    const otp = await post(browser, tampered, { ...fields, username: account.username, password: account.password, acr_values: 'aal1', claims: essential('aal1'), prompt: 'none' });
    expect(formOf(otp)).toBe('otp');
    const claims = (await rp.finish(flow, expectCallback(await browser.submit(otp, '/otp', { code: account.code() })))).claims()!;
    expect(claims).toMatchObject({ sub: account.id, acr: 'aal2' });
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });

  it.each([
    ['acr_values=aal2', { acr_values: 'aal2' }, '?acr_values=aal1'],
    ['an essential acr claim for aal2', { claims: essential('aal2') }, `?claims=${encodeURIComponent(essential('aal1'))}&acr_values=aal1`],
    ['max_age=0', { max_age: '0' }, '?max_age=86400'],
    ['prompt=login', { prompt: 'login' }, '?prompt=none'],
  ])('ends %s with unmet_authentication_requirements when the resume URL is edited and the factor skipped', async (_name, params, edit) => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await rp.start(browser, params);
    expect(['otp', 'password']).toContain(formOf(flow.step));
    expectErrorAtClient(await resume(browser, uidOf(flow.step), edit), 'unmet_authentication_requirements');
  });

  it('ignores acr_values added to the front channel of a pushed (PAR) aal2 request', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const url = await oidc.buildAuthorizationUrlWithPAR(rp.config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
      acr_values: 'aal2',
    });
    url.searchParams.set('acr_values', 'aal1');
    const step = await browser.request(url.href);
    // Only the pushed parameters count (RFC 9126 §4): the code page, not an aal1 code.
    expect(formOf(step)).toBe('otp');
    const flow: Flow = { step, verifier, state, nonce };
    const claims = (await rp.finish(flow, expectCallback(await browser.submit(step, '/otp', { code: account.code() })))).claims()!;
    expect(claims.acr).toBe('aal2');
  });

  it('a weaker request started in the same browser does not lower the pending aal2 one', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const strong = await rp.start(browser, { acr_values: 'aal2' });
    const strongCookies = keepInteraction(browser);
    const weak = await rp.start(browser);
    expect(formOf(weak.step)).toBe('password');

    // The first page's form with the second interaction's cookie (tampered: a browser keeps each on its own path): refused, nothing proven.
    crossInteraction(browser, strong.step);
    const crossed = await browser.submit(strong.step, '/password', { username: account.username, password: account.password });
    expectRefused(crossed, 400);
    expect(alertOf(crossed)).toContain('does not belong to the current sign-in');

    const weakTokens = await rp.finish(weak, expectCallback(await browser.submit(weak.step, '/password', { username: account.username, password: account.password })));
    expect(weakTokens.claims()!.acr).toBe('aal1');

    // Back to the first request with its own cookies, skipping the code: an error, never an aal1 (or aal2) code.
    strongCookies.restore();
    expectErrorAtClient(await resume(browser, uidOf(strong.step)), 'unmet_authentication_requirements');
  });

  it('a weaker request answered silently in between does not finish the pending step-up', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const strong = await openStepUp(browser);
    const weak = await rp.start(browser, { acr_values: 'aal1', prompt: 'none' });
    expect((await rp.finish(weak, expectCallback(weak.step))).claims()!.acr).toBe('aal1');
    const { action, fields } = readForm(strong.step, '/otp');
    const tampered = await post(browser, `${action}?acr_values=aal1`, { ...fields, code: '000000', acr_values: 'aal1' });
    expectRefused(tampered, 401);
    expect(formOf(tampered)).toBe('otp');
    expectErrorAtClient(await resume(browser, uidOf(strong.step)), 'unmet_authentication_requirements');
  });

  it('a password posted to the code page proves the password again, never the code: the aal2 request ends unmet', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await openStepUp(browser);
    const { action, fields } = readForm(flow.step, '/otp');
    const again = await post(browser, action.replace(/\/otp$/, '/password'), { _csrf: fields._csrf!, username: account.username, password: account.password });
    expect(formOf(again)).toBe('otp');
    expectErrorAtClient(await resume(browser, uidOf(flow.step)), 'unmet_authentication_requirements');
  });

  it("an essential aal1 claim with prompt=none cannot lower a client's minimum level (stepup_min_acr=aal2)", async () => {
    const strictRp = await relyingParty(provider, { stepup_min_acr: 'aal2' });
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await strictRp.start(browser, { claims: essential('aal1'), acr_values: 'aal1', prompt: 'none' });
    expectErrorAtClient(flow.step, 'login_required');
  });

  it('refuses the consent route on a step-up page (400) and an unknown interaction uid (400)', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await openStepUp(browser);
    const { action, fields } = readForm(flow.step, '/otp');
    expectRefused(await post(browser, action.replace(/\/otp$/, '/consent'), fields), 400);
    expectRefused(await post(browser, action.replace(uidOf(flow.step), 'not-this-interaction'), { ...fields, code: account.code() }), 400);
    expectErrorAtClient(await resume(browser, uidOf(flow.step)), 'unmet_authentication_requirements');
  });
});

describe('replaying an interaction after it finished', () => {
  it('answers 400 pages to GET and POST on the finished step-up and its resume URL, with or without the kept cookies', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await openStepUp(browser);
    const uid = uidOf(flow.step);
    const kept = keepInteraction(browser);
    const otpForm = readForm(flow.step, '/otp');
    const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
    expect(tokens.claims()!.acr).toBe('aal2');

    provider.clock.advance(30);
    for (const withKeptCookies of [false, true]) {
      if (withKeptCookies) kept.restore();
      expectRefused(await browser.request(`${provider.issuer}/interaction/${uid}`), 400);
      expectRefused(await post(browser, otpForm.action, { ...otpForm.fields, code: account.code() }), 400);
      expectRefused(await post(browser, `${provider.issuer}/interaction/${uid}/password`, { _csrf: otpForm.fields._csrf!, username: account.username, password: account.password }), 400);
      expectRefused(await resume(browser, uid), 400);
    }
  });

  it('answers 400 to the code posted after the step-up already ended unmet: no second chance, no code', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await openStepUp(browser);
    const uid = uidOf(flow.step);
    const kept = keepInteraction(browser);
    expectErrorAtClient(await resume(browser, uid), 'unmet_authentication_requirements');
    kept.restore();
    expectRefused(await browser.submit(flow.step, '/otp', { code: account.code() }), 400);
    expectRefused(await resume(browser, uid), 400);
  });

  it('answers 400 to another browser replaying a pending step-up URL, and 403 to its form', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await openStepUp(browser);
    const uid = uidOf(flow.step);
    const otpForm = readForm(flow.step, '/otp');

    const other = new Browser(CALLBACK);
    expectRefused(await other.request(`${provider.issuer}/interaction/${uid}`), 400);
    expectRefused(await post(other, otpForm.action, { ...otpForm.fields, code: account.code() }), 403);
    expectRefused(await resume(other, uid), 400);
    // Even with the victim's CSRF cookie, the interaction cookie is missing.
    copyCookies(browser, other, CSRF_COOKIES);
    expectRefused(await post(other, otpForm.action, { ...otpForm.fields, code: account.code() }), 400);

    // The victim's own step-up is untouched.
    const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
    expect(tokens.claims()).toMatchObject({ sub: account.id, acr: 'aal2' });
  });
});

describe('posting a step-up form of one interaction into another', () => {
  it("in one browser: A's form while B is current is refused (400); B finished with A's CSRF token is B's own, truthful step-up", async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const first = await openStepUp(browser);
    const firstCookies = keepInteraction(browser);
    provider.clock.advance(10);
    const second = await openStepUp(browser, { acr_values: 'aal2', max_age: '3600' });
    const firstForm = readForm(first.step, '/otp');

    // A's form with B's interaction cookie (tampered: a browser keeps each on its own path).
    crossInteraction(browser, first.step);
    expectRefused(await post(browser, firstForm.action, { ...firstForm.fields, code: account.code() }), 400);
    // The CSRF token is per browser, so A's token on B's uid is the same user's own post: it finishes B, for this account.
    const before = provider.clock.now();
    const secondTokens = await rp.finish(second, expectCallback(await post(browser, readForm(second.step, '/otp').action, { ...firstForm.fields, code: account.code() })));
    expect(secondTokens.claims()).toMatchObject({ sub: account.id, acr: 'aal2' });
    const stepTime = secondTokens.claims()!.auth_time!;
    expect(stepTime).toBeGreaterThanOrEqual(before);

    // A, resumed afterwards, reports the session's real aal2 proof and its time, never a later one.
    firstCookies.restore();
    const firstTokens = await rp.finish(first, expectCallback(await resume(browser, uidOf(first.step))));
    expect(firstTokens.claims()).toMatchObject({ sub: account.id, acr: 'aal2', auth_time: stepTime });
  });

  it("across browsers: the victim's CSRF token is refused (403), the attacker's own token on the victim's uid is refused (400)", async () => {
    const victim = await createAccount(provider, { totp: true });
    const attacker = await createAccount(provider, { totp: true });
    const victims = (await signedIn(victim)).browser;
    const attackers = (await signedIn(attacker)).browser;
    const target = await openStepUp(victims);
    const own = await openStepUp(attackers);
    const targetForm = readForm(target.step, '/otp');
    const ownForm = readForm(own.step, '/otp');

    expectRefused(await post(attackers, targetForm.action, { ...targetForm.fields, code: attacker.code() }), 403);
    // The attacker's own form aimed at the victim's uid: the attacker's browser holds only its own interaction cookie.
    expectRefused(await post(attackers, targetForm.action, { ...ownForm.fields, code: attacker.code() }), 400);

    // With every cookie of the victim's browser stolen, the attacker's code is checked against the victim's authenticator.
    const thief = new Browser(CALLBACK);
    copyCookies(victims, thief);
    const refused = await post(thief, targetForm.action, { ...targetForm.fields, code: attacker.code() });
    expectRefused(refused, 401);
    expect(formOf(refused)).toBe('otp');
    expectErrorAtClient(await resume(thief, uidOf(target.step)), 'unmet_authentication_requirements');
  });
});

describe('switching account mid-step-up', () => {
  it('checks a password posted with another username against the signed-in account (max_age=0 re-login)', async () => {
    const x = await createAccount(provider, { totp: true });
    const y = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(x);
    const flow = await rp.start(browser, { acr_values: 'aal2', max_age: '0' });
    expect(formOf(flow.step)).toBe('password');
    const { action, fields } = readForm(flow.step, '/password');
    const refused = await post(browser, action, { ...fields, username: y.username, password: y.password });
    expectRefused(refused, 401);
    expect(readForm(refused, '/password').fields.username).toBe(x.username);
    expectErrorAtClient(await resume(browser, uidOf(flow.step)), 'unmet_authentication_requirements');
  });

  it("refuses another account's password and TOTP code on the code page, and never issues aal2 for either", async () => {
    const x = await createAccount(provider, { totp: true });
    const y = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(x);
    const flow = await openStepUp(browser);
    const { action, fields } = readForm(flow.step, '/otp');
    expectRefused(await post(browser, action.replace(/\/otp$/, '/password'), { _csrf: fields._csrf!, username: y.username, password: y.password }), 401);
    const refused = await post(browser, action, { ...fields, code: y.code() });
    expectRefused(refused, 401);
    expect(formOf(refused)).toBe('otp');
    expectErrorAtClient(await resume(browser, uidOf(flow.step)), 'unmet_authentication_requirements');
    const after = await rp.start(browser, { prompt: 'none' });
    expect((await rp.finish(after, expectCallback(after.step))).claims()).toMatchObject({ sub: x.id, acr: 'aal1', amr: ['pwd'] });
  });

  it('fails closed when another account signs in in the same browser while the step-up page is open', async () => {
    const x = await createAccount(provider, { totp: true });
    const y = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(x);
    const flow = await openStepUp(browser);
    const xCookies = keepInteraction(browser);

    // Y signs in with a fresh session (X's still exists server-side), which then replaces X's session cookie in this browser.
    const other = new Browser(CALLBACK);
    copyCookies(browser, other, CSRF_COOKIES);
    await rp.signIn(other, y);
    copyCookies(other, browser, SESSION_COOKIES);

    xCookies.restore();
    const done = await browser.submit(flow.step, '/otp', { code: x.code() });
    expect(done.kind, "X's step-up must not produce a code in a browser now signed in as Y").toBe('page');
    expect(expectPage(done).status).toBeGreaterThanOrEqual(400);
    expect(expectPage(done).status).toBeLessThan(500);

    const silent = await rp.start(browser, { prompt: 'none' });
    expect((await rp.finish(silent, expectCallback(silent.step))).claims()).toMatchObject({ sub: y.id, acr: 'aal1', amr: ['pwd'] });
  });

  it("fails closed when X signs out and Y signs in while X's step-up page is open", async () => {
    const x = await createAccount(provider, { totp: true });
    const y = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(x);
    const flow = await openStepUp(browser);
    const xCookies = keepInteraction(browser);
    await signOut(browser);
    await rp.signIn(browser, y);
    xCookies.restore();
    const done = await browser.submit(flow.step, '/otp', { code: x.code() });
    expectRefused(done, 400);
    expectRefused(await resume(browser, uidOf(flow.step)), 400);
    const silent = await rp.start(browser, { acr_values: 'aal2', prompt: 'none' });
    expectErrorAtClient(silent.step, 'login_required');
  });

  it("a sign-in as Y finished in a page opened before X stepped up signs X out and gives Y only Y's own factors", async () => {
    const x = await createAccount(provider, { totp: true });
    const y = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const early = await rp.start(browser);
    const earlyCookies = keepInteraction(browser);
    await rp.signIn(browser, x);
    expect((await stepUp(browser, x)).claims()!.acr).toBe('aal2');

    earlyCookies.restore();
    const before = provider.clock.now();
    const confirm = await browser.submit(early.step, '/password', { username: y.username, password: y.password });
    // oidc-provider ends X's session first, through a self-submitting form.
    const { action, fields } = readForm(confirm, '/session/end/confirm');
    const claims = (await rp.finish(early, expectCallback(await post(browser, action, fields)))).claims()!;
    expect(claims).toMatchObject({ sub: y.id, acr: 'aal1', amr: ['pwd'] });
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);

    // X's second factor does not count for Y.
    expectErrorAtClient((await rp.start(browser, { acr_values: 'aal2', prompt: 'none' })).step, 'login_required');
  });
});

describe('reusing a consumed authorization code', () => {
  it('answers invalid_grant to the second exchange and revokes the access and refresh tokens of the first', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { scope: 'openid offline_access', prompt: 'consent' });
    const consent = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    const callback = expectCallback(await browser.submit(consent, '/consent', {}));
    const tokens = await rp.finish(flow, callback);
    expect(tokens.refresh_token).toBeTruthy();
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(true);

    await expect(rp.finish(flow, callback)).rejects.toMatchObject({ error: 'invalid_grant' });
    expect((await oidc.tokenIntrospection(rp.config, tokens.access_token)).active).toBe(false);
    await expect(oidc.refreshTokenGrant(rp.config, tokens.refresh_token!)).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('cannot revoke a JWT access token issued from the code: it stays verifiable after the replay (RFC 9068 tokens are self-contained)', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { scope: 'openid api:read', resource: api });
    const callback = expectCallback(await browser.submit(flow.step, '/password', { username: account.username, password: account.password }));
    const tokens = await rp.finish(flow, callback);
    await expect(rp.finish(flow, callback)).rejects.toMatchObject({ error: 'invalid_grant' });
    // Documented limitation: only a resource server that introspects would notice; the claims still tell the truth.
    expect(await verifyAccessToken(tokens.access_token)).toMatchObject({ sub: account.id, acr: 'aal1' });
  });

  it("lets exactly one of two simultaneous exchanges win, and the replay revokes the winner's tokens too", async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser);
    const callback = expectCallback(await browser.submit(flow.step, '/password', { username: account.username, password: account.password }));
    const results = await Promise.allSettled([rp.finish(flow, callback), rp.finish(flow, callback)]);
    const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason as unknown] : []));
    expect(won).toHaveLength(1);
    expect(lost).toEqual([expect.objectContaining({ error: 'invalid_grant' })]);
    expect((await oidc.tokenIntrospection(rp.config, won[0]!.access_token)).active).toBe(false);
  });

  it("refuses a code from a weaker request injected into the aal2 flow's callback (PKCE)", async () => {
    const victim = await createAccount(provider, { totp: true });
    const attacker = await createAccount(provider, { totp: true });
    const victims = (await signedIn(victim)).browser;
    const strong = await openStepUp(victims);
    const attackers = new Browser(CALLBACK);
    const weak = await rp.start(attackers);
    const weakCallback = expectCallback(await attackers.submit(weak.step, '/password', { username: attacker.username, password: attacker.password }));

    const forged = new URL(weakCallback);
    forged.searchParams.set('state', strong.state);
    await expect(rp.finish(strong, forged)).rejects.toMatchObject({ error: 'invalid_grant' });
    // The victim's own aal1 session cannot be swapped in either.
    const own = await rp.start(victims, { prompt: 'none' });
    const ownForged = new URL(expectCallback(own.step));
    ownForged.searchParams.set('state', strong.state);
    await expect(rp.finish(strong, ownForged)).rejects.toMatchObject({ error: 'invalid_grant' });
  });
});

describe('auth_time is never later than the last active authentication', () => {
  it('a silent re-authorization ten minutes later carries the original auth_time in the ID and access tokens', async () => {
    const account = await createAccount(provider);
    const { browser, claims: first } = await signedIn(account);
    provider.clock.advance(600);
    const silent = await rp.start(browser, { prompt: 'none', scope: 'openid api:read', resource: api });
    const tokens = await rp.finish(silent, expectCallback(silent.step));
    expect(tokens.claims()).toMatchObject({ acr: 'aal1', auth_time: first.auth_time });
    expect(await verifyAccessToken(tokens.access_token)).toMatchObject({ acr: 'aal1', auth_time: first.auth_time });
  });

  it("a step-up's auth_time is the time of the step, and later silent answers keep it", async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser, claims: first } = await signedIn(account);
    provider.clock.advance(100);
    const before = provider.clock.now();
    const stepped = (await stepUp(browser, account)).claims()!;
    const after = provider.clock.now();
    expect(stepped.auth_time).toBeGreaterThanOrEqual(before);
    expect(stepped.auth_time).toBeLessThanOrEqual(after);
    expect(stepped.auth_time).toBeGreaterThan(first.auth_time!);

    provider.clock.advance(300);
    for (const params of [{ acr_values: 'aal2', prompt: 'none' }, { prompt: 'none' }] as Record<string, string>[]) {
      const silent = await rp.start(browser, params);
      expect((await rp.finish(silent, expectCallback(silent.step))).claims()).toMatchObject({ acr: 'aal2', auth_time: stepped.auth_time });
    }
    const lower = await rp.start(browser, { acr_values: 'aal1', prompt: 'none' });
    const lowerClaims = (await rp.finish(lower, expectCallback(lower.step))).claims()!;
    expect(lowerClaims.acr).toBe('aal1');
    expect([first.auth_time, stepped.auth_time]).toContain(lowerClaims.auth_time);
  });

  it('uses the time of the code, not of a resume held back for twenty minutes', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await openStepUp(browser);
    const holder = new Browser(`${provider.issuer}/auth/`);
    copyCookies(browser, holder);
    const before = provider.clock.now();
    const resumeUrl = expectCallback(await holder.submit(flow.step, '/otp', { code: account.code() }));
    const after = provider.clock.now();
    copyCookies(holder, browser);
    provider.clock.advance(1200);
    const claims = (await rp.finish(flow, expectCallback(await browser.request(resumeUrl.href)))).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
    expect(claims.auth_time).toBeLessThanOrEqual(after);
  });

  it.each([
    ['max_age=15, consent submitted after 22 s', '15', 22],
    ['max_age=60, a consent page held for 50 minutes', '60', 3000],
    // Inside the 10 s the redirect back may take: that grace is for the redirect, never for a page the user holds.
    ['max_age=3, a consent page held 5 s', '3', 5],
  ])('%s: the password is asked again, and the code carries the new auth_time (OIDC Core 3.1.2.1)', async (_name, maxAge, held) => {
    const account = await createAccount(provider);
    const { browser } = await signedIn(account);
    provider.clock.advance(100);
    const flow = await rp.start(browser, { max_age: maxAge, prompt: 'consent', scope: 'openid offline_access' });
    const consent = await browser.submit(flow.step, '/password', { password: account.password });
    expect(formOf(consent)).toBe('consent');
    provider.clock.advance(held);
    const again = await browser.submit(consent, '/consent', {});
    expect(formOf(again)).toBe('password');
    const before = provider.clock.now();
    // prompt=consent asks for consent in every round: this time it is submitted at once.
    const consentAgain = await browser.submit(again, '/password', { password: account.password });
    expect(formOf(consentAgain)).toBe('consent');
    const claims = (await rp.finish(flow, expectCallback(await browser.submit(consentAgain, '/consent', {})))).claims()!;
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('max_age=60 and the redirect back to /auth/:uid held for 50 minutes: the password is asked again, never a stale code', async () => {
    const account = await createAccount(provider);
    const { browser } = await signedIn(account);
    provider.clock.advance(100);
    const flow = await rp.start(browser, { max_age: '60' });
    const holder = new Browser(`${provider.issuer}/auth/`);
    copyCookies(browser, holder);
    const resumeUrl = expectCallback(await holder.submit(flow.step, '/password', { password: account.password }));
    copyCookies(holder, browser);
    provider.clock.advance(3000);
    const asked = await browser.request(resumeUrl.href);
    expect(formOf(asked)).toBe('password');
    const before = provider.clock.now();
    const claims = (await rp.finish(flow, expectCallback(await browser.submit(asked, '/password', { password: account.password })))).claims()!;
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('max_age=3 and the redirect after consent held 5 s: the password is asked again', async () => {
    const account = await createAccount(provider);
    const { browser } = await signedIn(account);
    provider.clock.advance(100);
    const flow = await rp.start(browser, { max_age: '3', prompt: 'consent', scope: 'openid offline_access' });
    const consent = await browser.submit(flow.step, '/password', { password: account.password });
    expect(formOf(consent)).toBe('consent');
    const holder = new Browser(`${provider.issuer}/auth/`);
    copyCookies(browser, holder);
    const resumeUrl = expectCallback(await holder.submit(consent, '/consent', {}));
    copyCookies(holder, browser);
    provider.clock.advance(5);
    expect(formOf(await browser.request(resumeUrl.href))).toBe('password');
  });

  it('a sign-in that completes within max_age asks for the password once, even when the redirect back takes a few seconds', async () => {
    const account = await createAccount(provider);
    const { browser } = await signedIn(account);
    provider.clock.advance(100);
    const flow = await rp.start(browser, { max_age: '30' });
    const holder = new Browser(`${provider.issuer}/auth/`);
    copyCookies(browser, holder);
    provider.clock.advance(25);
    const resumeUrl = expectCallback(await holder.submit(flow.step, '/password', { password: account.password }));
    copyCookies(holder, browser);
    provider.clock.advance(8);
    expect((await rp.finish({ ...flow, maxAge: undefined }, expectCallback(await browser.request(resumeUrl.href)))).claims()!.auth_time).toBeDefined();
  });

  it('prompt=login for aal2 asks for both factors again: an older code does not make the new password aal2', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const earlier = (await stepUp(browser, account)).claims()!;
    provider.clock.advance(120);
    const flow = await rp.start(browser, { acr_values: 'aal2', prompt: 'login' });
    const otp = await browser.submit(flow.step, '/password', { password: account.password });
    expect(formOf(otp)).toBe('otp');
    // Skipping the code after the new password: unmet, not an aal2 made of a new password and the old code.
    expectErrorAtClient(await resume(browser, uidOf(flow.step)), 'unmet_authentication_requirements');

    const again = await rp.start(browser, { acr_values: 'aal2', prompt: 'login' });
    const secondOtp = await browser.submit(again.step, '/password', { password: account.password });
    provider.clock.advance(30);
    const before = provider.clock.now();
    const claims = (await rp.finish(again, expectCallback(await browser.submit(secondOtp, '/otp', { code: account.code() })))).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
    expect(claims.auth_time).toBeGreaterThan(earlier.auth_time!);
  });

  it('a failed and abandoned step-up moves neither acr nor auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser, claims: first } = await signedIn(account);
    const flow = await openStepUp(browser);
    expectRefused(await browser.submit(flow.step, '/otp', { code: '000000' }), 401);
    provider.clock.advance(60);
    expectErrorAtClient(await resume(browser, uidOf(flow.step)), 'unmet_authentication_requirements');
    const silent = await rp.start(browser, { prompt: 'none' });
    expect((await rp.finish(silent, expectCallback(silent.step))).claims()).toMatchObject({ acr: 'aal1', amr: ['pwd'], auth_time: first.auth_time });
  });
});

describe('acr in ID tokens, access tokens, introspection and refreshes', () => {
  it('agrees between the ID token, the JWT access token and introspection of a step-up', async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const withJwt = await stepUp(browser, account, { acr_values: 'aal2', scope: 'openid api:read', resource: api });
    const claims = withJwt.claims()!;
    expect(claims.acr).toBe('aal2');
    const payload = await verifyAccessToken(withJwt.access_token);
    expect(payload).toMatchObject({ sub: account.id, acr: claims.acr, auth_time: claims.auth_time });
    expect(payload.amr).toEqual(claims.amr);

    const opaque = await rp.start(browser, { acr_values: 'aal2', prompt: 'none' });
    const tokens = await rp.finish(opaque, expectCallback(opaque.step));
    const introspection = await oidc.tokenIntrospection(rp.config, tokens.access_token);
    expect(introspection).toMatchObject({ active: true, sub: account.id, acr: 'aal2', auth_time: claims.auth_time });
    expect(introspection.amr).toEqual(claims.amr);
  });

  it('a refresh after the session stepped up and signed out keeps the original aal1 and auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { scope: 'openid offline_access api:read', resource: api, prompt: 'consent' });
    const consent = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    const original = await rp.finish(flow, expectCallback(await browser.submit(consent, '/consent', {})));
    const { auth_time: authTime } = original.claims()!;
    provider.clock.advance(60);
    expect((await stepUp(browser, account)).claims()!.acr).toBe('aal2');
    await signOut(browser);
    provider.clock.advance(60);

    let refreshToken = original.refresh_token!;
    for (let rotation = 0; rotation < 2; rotation += 1) {
      const refreshed = await oidc.refreshTokenGrant(rp.config, refreshToken, { resource: api });
      expect(refreshed.claims()).toMatchObject({ sub: account.id, acr: 'aal1', amr: ['pwd'], auth_time: authTime });
      expect(await verifyAccessToken(refreshed.access_token)).toMatchObject({ acr: 'aal1', amr: ['pwd'], auth_time: authTime });
      refreshToken = refreshed.refresh_token ?? refreshToken;
    }
  });

  it("a refresh token from an aal2 code keeps the step's auth_time after aal2 has expired on the session", async () => {
    const account = await createAccount(provider, { totp: true });
    const { browser } = await signedIn(account);
    const flow = await rp.start(browser, { scope: 'openid offline_access', prompt: 'consent', acr_values: 'aal2' });
    const consent = await browser.submit(flow.step, '/otp', { code: account.code() });
    expect(formOf(consent)).toBe('consent');
    const stepped = await rp.finish(flow, expectCallback(await browser.submit(consent, '/consent', {})));
    const { auth_time: authTime } = stepped.claims()!;
    const aal2 = provider.config.policy.ladder.find((level) => level.acr === 'aal2')!;
    provider.clock.advance(aal2.maxAge + 60);

    const refreshed = await oidc.refreshTokenGrant(rp.config, stepped.refresh_token!);
    expect(refreshed.claims()).toMatchObject({ acr: 'aal2', auth_time: authTime });
    // The session itself no longer claims aal2 silently.
    expectErrorAtClient((await rp.start(browser, { acr_values: 'aal2', prompt: 'none' })).step, 'login_required');
  });
});

describe('posting a passkey answer of one interaction into another', () => {
  const { provider: keyed, rp: keyedRp } = useProvider({ hostname: 'localhost' });

  const challengeOf = (step: Step): string => JSON.parse(expectPage(step).document.querySelector('#passkey-options')!.text).challenge;

  /** Signs in (and steps up to aal2 when the account has TOTP, as enrolment requires), then registers a passkey. */
  async function withPasskey(account: TestAccount) {
    const browser = new Browser(CALLBACK);
    const authn = new SoftAuthenticator({ rpId: 'localhost', origin: keyed.issuer });
    await keyedRp.signIn(browser, account);
    if (account.totpSecret) {
      const aal2 = await keyedRp.start(browser, { acr_values: 'aal2' });
      expectCallback(await browser.submit(aal2.step, '/otp', { code: account.code() }));
    }
    const enrol = await browser.request(`${keyed.issuer}/account/passkey`);
    const registration = authn.register({ challenge: challengeOf(enrol), userId: account.id });
    expect(expectPage(await browser.submit(enrol, '/account/passkey', { response: JSON.stringify(registration), label: 'Soft key' })).html).toContain('Your passkey is ready.');
    keyed.clock.advance(keyed.config.policy.recovery.coolOff);
    return { browser, authn };
  }

  it("refuses A's signed challenge in B (401) and on A's path with B's cookie (400); A accepts it once", async () => {
    const account = await createAccount(keyed);
    const { browser, authn } = await withPasskey(account);

    const first = await keyedRp.start(browser, { acr_values: 'phr' });
    const firstCookies = keepInteraction(browser);
    const answer = JSON.stringify(authn.assert({ challenge: challengeOf(first.step) }));
    const second = await keyedRp.start(browser, { acr_values: 'phr' });
    expect(challengeOf(second.step)).not.toBe(challengeOf(first.step));

    expectRefused(await browser.submit(second.step, '/passkey', { response: answer }), 401);
    crossInteraction(browser, first.step);
    expectRefused(await browser.submit(first.step, '/passkey', { response: answer }), 400);

    firstCookies.restore();
    const tokens = await keyedRp.finish(first, expectCallback(await browser.submit(first.step, '/passkey', { response: answer })));
    expect(tokens.claims()).toMatchObject({ sub: account.id, acr: 'phr' });
    expectRefused(await browser.submit(first.step, '/passkey', { response: answer }), 400);
  });

  it('a TOTP code posted to a phr step-up reaches aal2 at most: the phr request ends unmet, silent phr stays login_required', async () => {
    const account = await createAccount(keyed, { totp: true });
    const { browser } = await withPasskey(account);
    keyed.clock.advance(30);
    const flow = await keyedRp.start(browser, { acr_values: 'phr' });
    expect(expectPage(flow.step).document.querySelector('h1')?.text).toBe('Confirm with your passkey');
    const { fields } = readForm(flow.step, '/passkey');
    const afterCode = await post(browser, `${keyed.issuer}/interaction/${uidOf(flow.step)}/otp`, { _csrf: fields._csrf!, code: account.code() });
    expect(expectPage(afterCode).document.querySelector('h1')?.text).toBe('Confirm with your passkey');
    expectErrorAtClient(await browser.request(`${keyed.issuer}/auth/${uidOf(flow.step)}?acr_values=aal2`), 'unmet_authentication_requirements');
    expectErrorAtClient((await keyedRp.start(browser, { acr_values: 'phr', prompt: 'none' })).step, 'login_required');
  });
});
