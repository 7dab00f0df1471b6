// TOTP enrolment from the account page, behind a fresh step-up to the account's highest level.
import { describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { decryptSecret } from '../../authenticators/secret-box.ts';
import { cookieSealKeyring, totpKeyring } from '../../config/keys.ts';
import { Browser, expectCallback, expectPage, formOf } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider();

const codeFor = (secret: string, now: number) => new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: now * 1000 });

describe('the account page', () => {
  it('asks a signed-out visitor to sign in', async () => {
    const page = expectPage(await new Browser(CALLBACK).request(`${provider.issuer}/account`));
    expect(page.document.querySelector('h1')?.text).toBe('Your account');
    expect(page.html).toContain('Sign in');
  });

  it('enrols TOTP after a fresh sign-in, then step-up to aal2 asks for that app', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);

    const enrol = expectPage(await browser.request(`${provider.issuer}/account/totp`));
    expect(enrol.document.querySelector('h1')?.text).toBe('Set up an authenticator app');
    expect(enrol.document.querySelector('.qr svg')).toBeTruthy();
    expect(enrol.document.querySelector('#code')?.getAttribute('autocomplete')).toBe('one-time-code');
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');

    const wrong = expectPage(await browser.submit(enrol, '/account/totp', { code: '000000', label: 'Phone' }));
    expect(wrong.status).toBe(400);
    expect(await provider.stores.authenticators.listByAccount(account.id)).toHaveLength(0);
    expect(wrong.document.querySelector('code.secret')!.text.replace(/\s/g, '')).toBe(secret);

    const done = expectPage(await browser.submit(wrong, '/account/totp', { code: codeFor(secret, provider.clock.now()), label: 'Phone' }));
    expect(done.html).toContain('Your authenticator app is set up.');
    const stored = await provider.stores.authenticators.listByAccount(account.id);
    expect(stored).toMatchObject([{ kind: 'totp', label: 'Phone' }]);
    expect(JSON.stringify(stored)).not.toContain(secret);

    // Enrolled from an aal1 session, the app cannot lift the account to aal2 before its cool-off ends.
    const early = await rp.start(browser, { acr_values: 'aal2' });
    expect(expectCallback(early.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    provider.clock.advance(provider.config.policy.recovery.coolOff);
    const stepUp = await rp.start(browser, { acr_values: 'aal2' });
    expect(formOf(stepUp.step)).toBe('otp');
    const tokens = await rp.finish(stepUp, expectCallback(await browser.submit(stepUp.step, '/otp', { code: codeFor(secret, provider.clock.now()) })));
    expect(tokens.claims()!.acr).toBe('aal2');

    const audit = await provider.stores.audit.list({ accountId: account.id, type: 'authenticator.enroll', limit: 10 });
    expect(audit.map((event) => event.outcome)).toEqual(['success', 'failure']);
  });

  it('seals the candidate secret in its cookie with the cookie-sealing keyring, which opens no TOTP secret at rest', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const otp = await browser.request(`${provider.issuer}/account/totp`);
    expect(formOf(otp)).toBe('otp');
    const enrol = expectPage(await browser.submit(otp, '/otp', { code: account.code() }));
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');

    const sealed = browser.cookie('stepup.totp')!;
    expect(JSON.parse(await decryptSecret(sealed, cookieSealKeyring(provider.config.keys)))).toMatchObject({ accountId: account.id, value: secret });
    await expect(decryptSecret(sealed, totpKeyring(provider.config.keys))).rejects.toMatchObject({ name: 'SecretBoxError' });

    const [atRest] = await provider.stores.authenticators.listByAccount(account.id);
    await expect(decryptSecret(atRest!.data.secret as string, totpKeyring(provider.config.keys))).resolves.toMatch(/^[A-Z2-7]+=*$/);
    await expect(decryptSecret(atRest!.data.secret as string, cookieSealKeyring(provider.config.keys))).rejects.toMatchObject({ name: 'SecretBoxError' });
  });

  it('requires a fresh step-up to the highest reachable level (aal2) before adding another factor', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    provider.clock.advance(provider.config.sensitiveActionMaxAge + 1);

    const password = await browser.request(`${provider.issuer}/account/totp`);
    expect(formOf(password)).toBe('password');
    expect(expectPage(password).document.querySelector('.why')?.text).toContain('Your account asks for two-step verification');
    expect(expectPage(password).document.querySelector('main')?.text).not.toMatch(/\baal2\b/);
    const otp = await browser.submit(password, '/password', { password: account.password });
    expect(formOf(otp)).toBe('otp');
    const enrol = expectPage(await browser.submit(otp, '/otp', { code: account.code() }));
    expect(enrol.url).toBe(`${provider.issuer}/account/totp`);
    expect(enrol.document.querySelector('h1')?.text).toBe('Set up an authenticator app');

    // Once the proof is older than the limit, the form no longer accepts the change.
    provider.clock.advance(provider.config.sensitiveActionMaxAge + 1);
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');
    const refused = expectPage(await browser.submit(enrol, '/account/totp', { code: codeFor(secret, provider.clock.now()), label: 'Second' }));
    expect(refused.status).toBe(403);
    expect(await provider.stores.authenticators.listByAccount(account.id)).toHaveLength(1);
  });

  it('accepts a code of either of two apps, and refuses a third app (each app multiplies the odds of a guess)', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepUp = await browser.request(`${provider.issuer}/account/totp`);
    const enrol = expectPage(await browser.submit(stepUp, '/otp', { code: account.code() }));
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');
    provider.clock.advance(30);
    expect(expectPage(await browser.submit(enrol, '/account/totp', { code: codeFor(secret, provider.clock.now()), label: 'Spare' })).html).toContain('Your authenticator app is set up.');

    // A code from the second app steps up too (once its cool-off has ended: it was added from an aal2 session, so it has none).
    provider.clock.advance(30);
    const flow = await rp.start(browser, { acr_values: 'aal2', max_age: '0' });
    const otp = await browser.submit(flow.step, '/password', { password: account.password });
    expect((await rp.finish(flow, expectCallback(await browser.submit(otp, '/otp', { code: codeFor(secret, provider.clock.now()) })))).claims()!.acr).toBe('aal2');

    const third = expectPage(await browser.request(`${provider.issuer}/account/totp`));
    const refused = expectPage(
      await browser.submit(third, '/account/totp', { code: codeFor(third.document.querySelector('code.secret')!.text.replace(/\s/g, ''), provider.clock.now()), label: 'Third' }),
    );
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('at most 2 authenticator apps');
    expect(await provider.stores.authenticators.listByAccount(account.id)).toHaveLength(2);
  });

  it('refuses a form post without the CSRF token', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    await browser.request(`${provider.issuer}/account/totp`);
    const refused = expectPage(await browser.request(`${provider.issuer}/account/totp`, { method: 'POST', body: new URLSearchParams({ code: '123456', label: 'x' }) }));
    expect(refused.status).toBe(403);
  });
});

describe('signing out', () => {
  it('ends the session after a confirmation, so the account page and the RP ask to sign in again', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const confirm = expectPage(await browser.request(`${provider.issuer}/session/end`));
    expect(confirm.document.querySelector('h1')?.text).toBe('Sign out?');
    const form = confirm.document.querySelector('form#op\\.logoutForm')!;
    const body = new URLSearchParams({ xsrf: form.querySelector('input[name=xsrf]')!.getAttribute('value')!, logout: 'yes' });
    const done = expectPage(await browser.request(new URL(form.getAttribute('action')!, confirm.url).href, { method: 'POST', body }));
    expect(done.document.querySelector('h1')?.text).toBe('You are signed out');
    expect(expectPage(await browser.request(`${provider.issuer}/account`)).html).toContain('Sign in to see and manage');
    expect(formOf((await rp.start(browser)).step)).toBe('password');
  });
});
