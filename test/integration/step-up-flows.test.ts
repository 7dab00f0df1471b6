// The step-up core over real HTTP: openid-client as the RP, the real forms, the real provider.
import { describe, expect, it } from 'vitest';
import { Browser, expectCallback, expectPage, formOf } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider();

describe('when a user signs in with a password', () => {
  it('issues acr=aal1, amr with pwd and auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const before = provider.clock.now();
    const tokens = await rp.signIn(browser, account);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(account.id);
    expect(claims.acr).toBe('aal1');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('refuses a wrong password with a clear message and no redirect', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser);
    const step = expectPage(await browser.submit(flow.step, '/password', { username: account.username, password: 'wrong' }));
    expect(step.status).toBe(401);
    expect(step.document.querySelector('[role=alert]')?.text).toContain('Wrong username or password');
  });
});

describe('when the same session asks for aal2', () => {
  it('asks only for the TOTP code and issues aal2 with pwd, otp, mfa and a new auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const first = (await rp.signIn(browser, account)).claims()!;
    provider.clock.advance(5);

    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expect(formOf(flow.step)).toBe('otp');
    expect(expectPage(flow.step).document.querySelector('.why')?.text).toMatch(/asks for two-step verification\.$/);
    const done = await browser.submit(flow.step, '/otp', { code: account.code() });
    const claims = (await rp.finish(flow, expectCallback(done))).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.auth_time).toBeGreaterThan(first.auth_time!);
  });

  it('refuses the same TOTP code twice (replay)', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const code = account.code();
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(flow.step, '/otp', { code }));

    const other = new Browser(CALLBACK);
    await rp.signIn(other, account);
    const again = await rp.start(other, { acr_values: 'aal2' });
    const refused = expectPage(await other.submit(again.step, '/otp', { code }));
    expect(refused.status).toBe(401);
    expect(refused.document.querySelector('[role=alert]')?.text).toContain('already used');
  });
});

describe('when max_age is requested', () => {
  it('re-authenticates actively when the session is older, and moves auth_time forward', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const first = (await rp.signIn(browser, account)).claims()!;
    provider.clock.advance(120);

    const flow = await rp.start(browser, { max_age: '60' });
    expect(formOf(flow.step)).toBe('password');
    const page = expectPage(flow.step);
    expect(page.document.querySelector('#username')?.getAttribute('value')).toBe(account.username);
    expect(page.document.querySelector('#username')?.hasAttribute('readonly')).toBe(true);
    const done = await browser.submit(flow.step, '/password', { password: account.password });
    const claims = (await rp.finish(flow, expectCallback(done))).claims()!;
    expect(claims.auth_time).toBeGreaterThan(first.auth_time!);
    expect(claims.acr).toBe('aal1');
  });

  it('does not prompt when the session is fresh enough', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const first = (await rp.signIn(browser, account)).claims()!;
    const flow = await rp.start(browser, { max_age: '300' });
    const claims = (await rp.finish(flow, expectCallback(flow.step))).claims()!;
    expect(claims.auth_time).toBe(first.auth_time);
  });

  it('treats max_age=0 as a fresh login without looping', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { max_age: '0' });
    expect(formOf(flow.step)).toBe('password');
    provider.clock.advance(2);
    const done = await browser.submit(flow.step, '/password', { password: account.password });
    expectCallback(done);
  });

  it.each(['-1', 'abc', '1.5'])('rejects max_age=%s with invalid_request at the redirect URI', async (value) => {
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { max_age: value });
    const callback = expectCallback(flow.step);
    expect(callback.searchParams.get('error')).toBe('invalid_request');
    expect(callback.searchParams.get('state')).toBe(flow.state);
  });
});

describe('when a level decays on its own clock', () => {
  it('asks for the second factor again after aal2 expires, while aal1 is still served silently', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepUp = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(stepUp.step, '/otp', { code: account.code() }));

    const aal2 = provider.config.policy.ladder.find((level) => level.acr === 'aal2')!;
    provider.clock.advance(aal2.maxAge + 1);

    const silent = await rp.start(browser, { acr_values: 'aal1' });
    const claims = (await rp.finish(silent, expectCallback(silent.step))).claims()!;
    expect(claims.acr).toBe('aal1');

    const again = await rp.start(browser, { acr_values: 'aal2' });
    expect(formOf(again.step)).toBe('otp');
    const done = await browser.submit(again.step, '/otp', { code: account.code() });
    expect((await rp.finish(again, expectCallback(done))).claims()!.acr).toBe('aal2');
  });
});

describe('when the account cannot reach the requested level', () => {
  it('answers unmet_authentication_requirements for acr_values=aal2 without TOTP (strict mode), never a lower token', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    const callback = expectCallback(flow.step);
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('code')).toBeNull();
    expect(callback.searchParams.get('state')).toBe(flow.state);
  });

  it('answers unmet for an essential acr in the claims parameter, also on the first login', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const claims = JSON.stringify({ id_token: { acr: { essential: true, values: ['aal2'] } } });
    const flow = await rp.start(browser, { claims });
    const done = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(expectCallback(done).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('answers unmet for phr, which nothing can reach until passkeys exist', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { acr_values: 'phr' });
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('ends with the error, not a loop, when the interaction is resumed without reaching the level', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expect(formOf(flow.step)).toBe('otp');
    // Skip the TOTP page: go straight back to the authorization endpoint's resume URL.
    const uid = new URL(expectPage(flow.step).url).pathname.split('/').pop()!;
    const callback = expectCallback(await browser.request(`${provider.issuer}/auth/${uid}`));
    expect(callback.searchParams.get('error')).toBe('unmet_authentication_requirements');
    expect(callback.searchParams.get('code')).toBeNull();
  });

  it('ends with the error when the factor disappears during the interaction', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(formOf(otp)).toBe('otp');
    for (const authenticator of await provider.stores.authenticators.listByAccount(account.id)) {
      await provider.stores.authenticators.remove(authenticator.id, account.id);
    }
    const done = await browser.submit(otp, '/otp', { code: account.code() });
    expect(expectCallback(done).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });
});

describe('when prompt=none needs a step-up', () => {
  it('answers login_required at the redirect URI without showing a page', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { acr_values: 'aal2', prompt: 'none' });
    const callback = expectCallback(flow.step);
    expect(callback.searchParams.get('error')).toBe('login_required');
  });

  it('answers login_required without a session', async () => {
    const flow = await rp.start(new Browser(CALLBACK), { prompt: 'none' });
    expect(expectCallback(flow.step).searchParams.get('error')).toBe('login_required');
  });
});

describe('reporting a requested lower level (OIDC Core 5.5.1.1)', () => {
  it('answers an essential acr value with that value without downgrading the session', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepUp = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(stepUp.step, '/otp', { code: account.code() }));

    const essential = await rp.start(browser, { claims: JSON.stringify({ id_token: { acr: { essential: true, value: 'aal1' } } }) });
    expect((await rp.finish(essential, expectCallback(essential.step))).claims()!.acr).toBe('aal1');

    const plain = await rp.start(browser);
    const claims = (await rp.finish(plain, expectCallback(plain.step))).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
  });
});

describe('first sign-in straight to aal2', () => {
  it('asks for the password, then the code, and never for the password twice', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expect(formOf(flow.step)).toBe('password');
    const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(formOf(otp)).toBe('otp');
    const claims = (await rp.finish(flow, expectCallback(await browser.submit(otp, '/otp', { code: account.code() })))).claims()!;
    expect(claims).toMatchObject({ acr: 'aal2', sub: account.id });
  });
});
