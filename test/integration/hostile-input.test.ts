// Attacks on the sign-in: guessing, CSRF, account switching during step-up, malformed requests. Never a 500.
import { describe, expect, it } from 'vitest';
import { Browser, expectCallback, expectPage, formOf } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';
import { MAX_ENCODED_STATE } from '../../server/redirect-limit.ts';

const { provider, rp } = useProvider();

/** Pushes an authorization request (PAR, RFC 9126) with `state` for the test client; returns its request_uri. */
/** A prompt=none authorization request of the test client, carrying `state`. */
function silentRequest(state: string): URLSearchParams {
  return new URLSearchParams({
    client_id: rp.clientId,
    response_type: 'code',
    scope: 'openid',
    redirect_uri: CALLBACK,
    prompt: 'none',
    state,
    code_challenge: 'a'.repeat(43),
    code_challenge_method: 'S256',
  });
}

async function oidcPush(state: string): Promise<string> {
  const endpoint = rp.config.serverMetadata().pushed_authorization_request_endpoint!;
  const body = silentRequest(state);
  const secret = `secret-${rp.clientId}-0123456789abcdef`;
  const response = await fetch(endpoint, { method: 'POST', body, headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${secret}`).toString('base64')}` } });
  expect(response.status).toBe(201);
  return ((await response.json()) as { request_uri: string }).request_uri;
}

describe('password guessing', () => {
  it('throttles after the free attempts, even for the right password, and says when to retry', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    let step = (await rp.start(browser)).step;
    const free = provider.config.limiter.freeAttempts;
    for (let attempt = 0; attempt <= free; attempt += 1) {
      step = await browser.submit(step, '/password', { username: account.username, password: `guess-${attempt}` });
      expect(expectPage(step).status).toBe(401);
    }
    const throttled = expectPage(await browser.submit(step, '/password', { username: account.username, password: account.password }));
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(throttled.document.querySelector('[role=alert]')?.text).toMatch(/Too many failed attempts/);
    const failures = await provider.stores.audit.list({ accountId: account.id, type: 'factor.verify', limit: 50 });
    expect(failures.filter((event) => event.outcome === 'failure').length).toBe(free + 2);
    expect(JSON.stringify(failures)).not.toContain('guess-');
  });

  it('answers an unknown username exactly like a wrong password', async () => {
    const browser = new Browser(CALLBACK);
    const step = expectPage(await browser.submit((await rp.start(browser)).step, '/password', { username: 'nobody-here', password: 'whatever' }));
    expect(step.status).toBe(401);
    expect(step.document.querySelector('[role=alert]')?.text).toBe('Wrong username or password.');
  });
});

describe('TOTP guessing', () => {
  it('throttles wrong codes per account', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const first = await rp.start(browser);
    await rp.finish(first, expectCallback(await browser.submit(first.step, '/password', { username: account.username, password: account.password })));
    let step = (await rp.start(browser, { acr_values: 'aal2' })).step;
    const right = account.code();
    const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
    for (let attempt = 0; attempt <= provider.config.limiter.freeAttempts; attempt += 1) {
      step = await browser.submit(step, '/otp', { code: wrong });
      expect(expectPage(step).status).toBe(401);
    }
    expect(expectPage(await browser.submit(step, '/otp', { code: right })).status).toBe(429);
  });
});

describe('step-up cannot switch accounts', () => {
  it('ignores a username posted during step-up and checks the password of the session account', async () => {
    const victim = await createAccount(provider);
    const attacker = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const first = await rp.start(browser);
    await rp.finish(first, expectCallback(await browser.submit(first.step, '/password', { username: attacker.username, password: attacker.password })));
    provider.clock.advance(120);

    const flow = await rp.start(browser, { max_age: '60' });
    const page = expectPage(flow.step);
    const form = page.document.querySelector('form[action$="/password"]')!;
    const body = new URLSearchParams({ _csrf: form.querySelector('input[name=_csrf]')!.getAttribute('value')!, username: victim.username, password: victim.password });
    const result = expectPage(await browser.request(new URL(form.getAttribute('action')!, page.url).href, { method: 'POST', body }));
    expect(result.status).toBe(401);
    expect(formOf(result)).toBe('password');
    expect(result.document.querySelector('#username')?.getAttribute('value')).toBe(attacker.username);
  });
});

describe('cross-site request forgery', () => {
  it('refuses a sign-in form posted without the token', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const page = expectPage((await rp.start(browser)).step);
    const action = new URL(page.document.querySelector('form[action$="/password"]')!.getAttribute('action')!, page.url).href;
    const refused = expectPage(await browser.request(action, { method: 'POST', body: new URLSearchParams({ username: account.username, password: account.password }) }));
    expect(refused.status).toBe(403);
  });

  it('refuses a token minted for another browser', async () => {
    const account = await createAccount(provider);
    const mallory = new Browser(CALLBACK);
    const token = expectPage((await rp.start(mallory)).step)
      .document.querySelector('input[name=_csrf]')!
      .getAttribute('value')!;
    const victim = new Browser(CALLBACK);
    const page = expectPage((await rp.start(victim)).step);
    const action = new URL(page.document.querySelector('form[action$="/password"]')!.getAttribute('action')!, page.url).href;
    const refused = expectPage(await victim.request(action, { method: 'POST', body: new URLSearchParams({ _csrf: token, username: account.username, password: account.password }) }));
    expect(refused.status).toBe(403);
  });
});

describe('malformed requests get a standard 4xx, never a 500', () => {
  it.each([
    ['an unparsable claims parameter', { claims: '{not json' }],
    ['claims.id_token.acr.values that is not an array', { claims: JSON.stringify({ id_token: { acr: { essential: true, values: 'aal2' } } }) }],
    ['an essential claim with only unknown values', { claims: JSON.stringify({ id_token: { acr: { essential: true, values: ['gold'] } } }) }],
    ['too many acr_values', { acr_values: Array.from({ length: 50 }, (_, index) => `v${index}`).join(' ') }],
    ['an unknown resource', { resource: 'https://evil.example/api' }],
    ['prompt=none mixed with login', { prompt: 'none login' }],
  ])('%s', async (_name, params) => {
    const flow = await rp.start(new Browser(CALLBACK), params as Record<string, string>);
    const callback = expectCallback(flow.step);
    expect(callback.searchParams.get('error')).toMatch(/^(invalid_request|invalid_target|unmet_authentication_requirements)$/);
    expect(callback.searchParams.get('state')).toBe(flow.state);
  });

  it('rejects an oversized form body with 413 and a bad interaction id with 4xx', async () => {
    const browser = new Browser(CALLBACK);
    const page = expectPage((await rp.start(browser)).step);
    const action = new URL(page.document.querySelector('form[action$="/password"]')!.getAttribute('action')!, page.url).href;
    const huge = await fetch(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `password=${'a'.repeat(100_000)}` });
    expect(huge.status).toBe(413);
    const unknown = await fetch(`${provider.issuer}/interaction/does-not-exist`);
    expect(unknown.status).toBeGreaterThanOrEqual(400);
    expect(unknown.status).toBeLessThan(500);
  });

  it('refuses to redirect with a state too long to echo, however the request arrives, and echoes a long one', async () => {
    const browser = new Browser(CALLBACK);
    const state = 'é'.repeat(1000); // 6000 characters once encoded: refused before any page

    const tooLong = expectPage((await rp.start(browser, { state })).step);
    expect(tooLong.status).toBe(400);
    expect(tooLong.document.querySelector('[role=alert]')?.text).toMatch(/state parameter is too long/);
    // Another spelling of the path ends the same way; a pushed request (PAR) carries it in the body, and the redirect
    // that would echo it is refused instead.
    const shouting = new URL(rp.config.serverMetadata().authorization_endpoint!);
    shouting.pathname = shouting.pathname.toUpperCase() + '/';
    shouting.search = silentRequest(state).toString();
    const direct = await fetch(shouting, { redirect: 'manual' });
    expect(direct.status).toBe(400);
    expect(direct.headers.get('location')).toBeNull();
    const pushed = await oidcPush('é'.repeat(1500)); // 9000 characters once echoed
    const viaPar = await fetch(`${rp.config.serverMetadata().authorization_endpoint}?client_id=${rp.clientId}&request_uri=${encodeURIComponent(pushed)}`, { redirect: 'manual' });
    expect(viaPar.status).toBe(400);
    expect(viaPar.headers.get('location')).toBeNull();

    const long = 's'.repeat(MAX_ENCODED_STATE);
    const page = expectPage((await rp.start(browser, { state: long })).step);
    expect(page.status).toBe(200);
    expect(expectCallback(await browser.submit(page, '/abort', {})).searchParams.get('state')).toBe(long);
  });

  it('refuses an over-long password without hashing it for ever', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const step = expectPage(await browser.submit((await rp.start(browser)).step, '/password', { username: account.username, password: 'x'.repeat(5000) }));
    expect(step.status).toBe(400);
  });
});
