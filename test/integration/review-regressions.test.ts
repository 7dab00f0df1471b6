// Attacks found in review, kept as regressions: stale factors under max_age, subject hints, consent re-prompts, replays.
import { describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { Browser, expectCallback, expectPage, formOf } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider();

describe('max_age while a sign-in page stays open', () => {
  it('asks again for a password that aged past max_age before the second factor was entered', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { acr_values: 'aal2', max_age: '60' });
    const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(formOf(otp)).toBe('otp');
    provider.clock.advance(3000);
    const again = await browser.submit(otp, '/otp', { code: account.code() });
    expect(formOf(again)).toBe('password');
    const done = await browser.submit(again, '/password', { password: account.password });
    const claims = (await rp.finish(flow, expectCallback(done))).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.auth_time).toBeGreaterThanOrEqual(provider.clock.now() - 60);
  });
});

describe('a request naming another user', () => {
  it('answers login_required to an id_token_hint for someone else, never a token for the signed-in user', async () => {
    const alice = await createAccount(provider);
    const bob = await createAccount(provider);
    const bobsToken = (await rp.signIn(new Browser(CALLBACK), bob)).id_token!;
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, alice);
    const flow = await rp.start(browser, { id_token_hint: bobsToken });
    const callback = expectCallback(flow.step);
    expect(callback.searchParams.get('error')).toBe('login_required');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('answers login_required to a claims sub value for someone else, without a redirect loop', async () => {
    const alice = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, alice);
    const flow = await rp.start(browser, { claims: JSON.stringify({ id_token: { sub: { value: 'someone-else' } } }) });
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('login_required');
  });

  it('still serves a hint that names the signed-in user silently', async () => {
    const alice = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const first = await rp.signIn(browser, alice);
    const flow = await rp.start(browser, { id_token_hint: first.id_token! });
    expect((await rp.finish(flow, expectCallback(flow.step))).claims()!.sub).toBe(alice.id);
  });
});

describe('consent after a fresh login', () => {
  it('asks for the password once, not again after the consent page', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { prompt: 'login consent', scope: 'openid offline_access' });
    const consent = await browser.submit(flow.step, '/password', { password: account.password });
    expect(formOf(consent)).toBe('consent');
    const tokens = await rp.finish(flow, expectCallback(await browser.submit(consent, '/consent', {})));
    expect(tokens.refresh_token).toBeTruthy();
  });
});

describe('factors that no longer exist', () => {
  it('stop counting once their authenticator is removed', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepUp = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(stepUp.step, '/otp', { code: account.code() }));
    for (const authenticator of await provider.stores.authenticators.listByAccount(account.id)) {
      await provider.stores.authenticators.remove(authenticator.id, account.id);
    }
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });
});

describe('replaying the TOTP setup', () => {
  it('does not enrol the same secret twice from a kept setup cookie', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const enrol = expectPage(await browser.request(`${provider.issuer}/account/totp`));
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');
    const kept = { value: browser.cookie('stepup.totp')!, sig: browser.cookie('stepup.totp.sig')! };
    const code = (offset: number) => new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: (provider.clock.now() + offset) * 1000 });
    await browser.submit(enrol, '/account/totp', { code: code(0), label: 'Phone' });
    expect(await provider.stores.authenticators.listByAccount(account.id)).toHaveLength(1);

    // The new app is in its cool-off, so the account's ceiling is still aal1 and the password sign-in is fresh enough:
    // the replay is not stopped by freshness, only by the check that the secret is already enrolled.

    browser.setCookie('stepup.totp', kept.value);
    browser.setCookie('stepup.totp.sig', kept.sig);
    provider.clock.advance(30);
    const again = expectPage(await browser.submit(enrol, '/account/totp', { code: code(0), label: 'Copy' }));
    expect(again.html).toContain('already set up');
    expect(again.status).toBe(400);
    expect(again.html).toContain('already set up');
    expect(await provider.stores.authenticators.listByAccount(account.id)).toHaveLength(1);
  });
});
