// Account recovery over HTTP with the real pages and openid-client: recovery codes, the recovery sign-in, what it cuts
// off, the cool-off of what it enrols, single use (also concurrent) and guessing limits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { expectCutOff, holdings, logoutReceiver, type LogoutReceiver } from './harness/cut-off.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

const CODE_FORMAT = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]$/;

let provider: RunningProvider;
let rp: RelyingParty;
let receiver: LogoutReceiver;

beforeAll(async () => {
  provider = await startProvider({ hostname: 'localhost' });
  receiver = await logoutReceiver(provider);
  rp = await relyingParty(provider, { backchannel_logout_uri: receiver.uri, backchannel_logout_session_required: true });
});
afterAll(async () => {
  await receiver?.close();
  await provider?.close();
});

const page = (step: Step) => expectPage(step);
const heading = (step: Step) => page(step).document.querySelector('h1')?.text.trim();

/** Signs in, steps up to the account's top level (aal2: TOTP) and makes a set of recovery codes, read off the page. */
async function makeCodes(account: TestAccount): Promise<{ browser: Browser; codes: string[]; shown: Step }> {
  const browser = new Browser(CALLBACK);
  await rp.signIn(browser, account);
  const stepUp = await browser.request(`${provider.issuer}/account/recovery-codes`);
  const codesPage = formOf(stepUp) === 'otp' ? await browser.submit(stepUp, '/otp', { code: account.code() }) : stepUp;
  expect(heading(codesPage)).toBe('Recovery codes');
  expect(page(codesPage).html).toContain('You have no recovery codes yet.');
  const shown = await browser.submit(codesPage, '/account/recovery-codes', {});
  const codes = page(shown)
    .document.querySelectorAll('ol.codes code')
    .map((code) => code.text);
  return { browser, codes, shown };
}

/** From "Lost your authenticator?" to the recovery session, in `browser`. */
async function recover(browser: Browser, account: TestAccount, code: string): Promise<Step> {
  const form = await browser.request(`${provider.issuer}/account/recover`);
  expect(heading(form)).toBe('Recover your account');
  return browser.submit(form, '/recovery', { username: account.username, password: account.password, code });
}

function newCode(secret: string, offset = 0): string {
  return new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: (provider.clock.now() + offset) * 1000 });
}

describe('recovery codes', () => {
  it('are made behind a fresh step-up to the top level, shown once on a no-store page, stored only as keyed hashes', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes, shown, browser } = await makeCodes(account);
    expect(codes).toHaveLength(provider.config.policy.recovery.codes);
    for (const code of codes) expect(code).toMatch(CODE_FORMAT);
    expect(new Set(codes).size).toBe(codes.length);
    expect(page(shown).headers.get('cache-control')).toContain('no-store');
    const download = page(shown).document.querySelector('a[download]')!;
    expect(decodeURIComponent(download.getAttribute('href')!)).toContain(codes[0]);

    const overview = page(await browser.request(`${provider.issuer}/account`));
    expect(overview.document.querySelector('dl')?.text).toMatch(/10 of 10 left, made/);
    const summary = await provider.stores.recoverySecrets.summary(account.id, 'code', provider.clock.now());
    expect(summary).toMatchObject({ total: 10, remaining: 10 });
    const audit = await provider.stores.audit.list({ accountId: account.id, type: 'recovery_codes.generate', limit: 5 });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(codes[0]!.replace(/-/g, '').slice(0, 8));

    // A new set replaces the old one: the old codes stop working.
    const again = await browser.submit(await browser.request(`${provider.issuer}/account/recovery-codes`), '/account/recovery-codes', {});
    const second = page(again)
      .document.querySelectorAll('ol.codes code')
      .map((code) => code.text);
    const refused = await recover(new Browser(CALLBACK), account, codes[0]!);
    expect(page(refused).status).toBe(401);
    expect(heading(await recover(new Browser(CALLBACK), account, second[0]!))).toBe(`You are recovering ${account.username}`);
  });

  it('cannot be made without the top level: a password-only session of a TOTP account is asked for the code first', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    expect(formOf(await browser.request(`${provider.issuer}/account/recovery-codes`))).toBe('otp');
    const post = await browser.request(`${provider.issuer}/account/recovery-codes`, { method: 'POST', body: new URLSearchParams({}) });
    expect(page(post).status).toBe(403);
  });
});

describe('the recovery sign-in', () => {
  it('offers "Lost your authenticator?" on the code page, with a code field that one-time-code autofill leaves alone', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const otp = await rp.start(browser, { acr_values: 'aal2' });
    const link = page(otp.step).document.querySelector('a[href="/account/recover"]');
    expect(link?.text).toBe('Lost your authenticator?');
    const form = page(await browser.request(`${provider.issuer}/account/recover`));
    const input = form.document.querySelector('#code')!;
    expect(input.getAttribute('autocomplete')).toBe('off');
    expect(form.document.querySelector('label[for=code]')?.text).toBe('Recovery code');
  });

  it('generate codes → lose the TOTP → recover → everything else is cut off → a new TOTP gives RPs aal2 only after the cool-off', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes } = await makeCodes(account);
    const held = await holdings(rp, account);
    const before = receiver.received.length;

    // A new device: the password and one code open a recovery session.
    const device = new Browser(CALLBACK);
    const session = await recover(device, account, codes[3]!);
    expect(heading(session)).toBe(`You are recovering ${account.username}`);
    expect(page(session).html).toContain('9 recovery codes left');

    // What the attacker (or the lost phone) held is cut off, and the relying party was told.
    await expectCutOff(rp, held);
    const logout = receiver.received.slice(before);
    expect(logout.length).toBeGreaterThanOrEqual(1);
    const claims = await Promise.all(logout.map((token) => receiver.verify(token, rp.clientId)));
    expect(claims.map((claim) => claim.sub)).toContain(account.id);
    expect(claims.map((claim) => claim.sid)).toContain(held.sid);

    // The recovery session gives relying parties aal1 at most; the recovery code is not a factor they see.
    const plain = await rp.start(device);
    const tokens = await rp.finish(plain, expectCallback(plain.step));
    expect(tokens.claims()).toMatchObject({ acr: 'aal1', amr: ['pwd'] });
    expect(formOf((await rp.start(device, { acr_values: 'aal2' })).step)).toBe('otp');

    // Remove the lost app and set up a new one, without the old code.
    const manage = page(await device.request(`${provider.issuer}/account/manage`));
    const lost = (await provider.stores.authenticators.listByAccount(account.id))[0]!;
    // The account's only app: removing it lowers the account to aal1, which the page asks to confirm.
    const check = page(await device.submit(manage, `/account/authenticators/${lost.id}/remove`, {}));
    expect(check.document.querySelector('h1')?.text).toBe(`Remove ${lost.label}?`);
    const confirmed = await device.submit(check, `/account/authenticators/${lost.id}/remove`, { confirm: 'lower' });
    expect(page(confirmed).html).toContain('The sign-in method was removed.');
    const enrol = page(await device.request(`${provider.issuer}/account/totp`));
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');
    const enrolledFrom = provider.clock.now();
    const added = page(await device.submit(enrol, '/account/totp', { code: newCode(secret), label: 'New phone' }));
    const enrolledBy = provider.clock.now();
    expect(added.html).toContain('Your authenticator app is set up. Until its waiting period ends');
    expect(added.document.querySelector('.cool-off')?.text).toContain('counts only as much as the sign-in that added it (password sign-in)');
    expect(added.document.querySelector('.cool-off')?.getAttribute('data-cap')).toBe('aal1');
    const [stored] = await provider.stores.authenticators.listByAccount(account.id);
    expect(stored!.coolOff).toMatchObject({ origin: 'recovery', cap: 'aal1' });
    // Measured on the provider's clock while the enrolment ran (a second may turn meanwhile).
    expect(stored!.coolOff!.until).toBeGreaterThanOrEqual(enrolledFrom + provider.config.policy.recovery.coolOff);
    expect(stored!.coolOff!.until).toBeLessThanOrEqual(enrolledBy + provider.config.policy.recovery.coolOff);

    // During the cool-off an RP asking for aal2 gets unmet_authentication_requirements, and the audit says why.
    const early = await rp.start(device, { acr_values: 'aal2' });
    expect(expectCallback(early.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    const [decision] = await provider.stores.audit.list({ accountId: account.id, type: 'policy.decision', limit: 1 });
    expect(decision).toMatchObject({ outcome: 'failure', coolOffUntil: stored!.coolOff!.until });
    expect(decision!.reason).toMatch(/cool-off until/);

    // One second before the end: still refused; at the end: the new app is asked, and aal2 is issued.
    provider.clock.advance(provider.config.policy.recovery.coolOff - 1);
    expect(expectCallback((await rp.start(device, { acr_values: 'aal2' })).step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    provider.clock.advance(31);
    const stepUp = await rp.start(device, { acr_values: 'aal2' });
    expect(formOf(stepUp.step)).toBe('otp');
    const aal2 = await rp.finish(stepUp, expectCallback(await device.submit(stepUp.step, '/otp', { code: newCode(secret) })));
    expect(aal2.claims()).toMatchObject({ acr: 'aal2' });

    // The audit tells a recovery apart from a normal enrolment: how, and what was cut off.
    const [recovery] = await provider.stores.audit.list({ accountId: account.id, type: 'account.recovery', limit: 1 });
    expect(recovery).toMatchObject({ outcome: 'success', factor: 'recovery', reason: 'recovery code' });
    expect(recovery!.revoked!.sessions).toBeGreaterThanOrEqual(2);
    expect(recovery!.revoked!.grants).toBeGreaterThanOrEqual(1);
    const enrolments = await provider.stores.audit.list({ accountId: account.id, type: 'authenticator.enroll', limit: 1 });
    expect(enrolments[0]).toMatchObject({ coolOffCap: 'aal1', reason: expect.stringContaining('in a recovery session') });
  });

  it('a passkey enrolled in a recovery session reaches phr only after the cool-off', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes } = await makeCodes(account);
    const device = new Browser(CALLBACK);
    expect(heading(await recover(device, account, codes[0]!))).toMatch(/^You are recovering/);
    const authn = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    const enrol = page(await device.request(`${provider.issuer}/account/passkey`));
    const options = JSON.parse(enrol.document.querySelector('#passkey-options')!.text) as { challenge: string };
    const done = page(await device.submit(enrol, '/account/passkey', { response: JSON.stringify(authn.register({ challenge: options.challenge, userId: account.id })), label: 'New key' }));
    expect(done.html).toContain('Your passkey is ready. Until its waiting period ends');

    expect(expectCallback((await rp.start(device, { acr_values: 'phr' })).step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    provider.clock.advance(provider.config.policy.recovery.coolOff);
    const phr = await rp.start(device, { acr_values: 'phr' });
    const assertion = authn.assert({ challenge: (JSON.parse(page(phr.step).document.querySelector('#passkey-options')!.text) as { challenge: string }).challenge });
    const tokens = await rp.finish(phr, expectCallback(await device.submit(phr.step, '/passkey', { response: JSON.stringify(assertion) })));
    expect(tokens.claims()).toMatchObject({ acr: 'phr' });
  });

  it('each code works once, also when two devices send the same code at the same moment', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes } = await makeCodes(account);
    const pages = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const browser = new Browser(CALLBACK);
        return { browser, form: await browser.request(`${provider.issuer}/account/recover`) };
      }),
    );
    const results = await Promise.all(pages.map(({ browser, form }) => browser.submit(form, '/recovery', { username: account.username, password: account.password, code: codes[5]! })));
    const recovered = results.filter((step) => heading(step)?.startsWith('You are recovering'));
    expect(recovered).toHaveLength(1);
    for (const refused of results.filter((step) => !recovered.includes(step))) {
      expect(page(refused).status).toBe(401);
      expect(page(refused).html).toContain('Wrong username, password or recovery code.');
    }
    // Used once: later too.
    expect(page(await recover(new Browser(CALLBACK), account, codes[5]!)).status).toBe(401);
    expect((await provider.stores.recoverySecrets.summary(account.id, 'code', provider.clock.now()))!.remaining).toBe(9);
    const verifications = await provider.stores.audit.list({ accountId: account.id, type: 'factor.verify', limit: 50 });
    expect(verifications.filter((event) => event.factor === 'recovery' && event.outcome === 'success')).toHaveLength(1);
  });

  it('needs the right password too, and the recovery session cannot make new codes', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes } = await makeCodes(account);
    const browser = new Browser(CALLBACK);
    const wrongPassword = await browser.submit(await browser.request(`${provider.issuer}/account/recover`), '/recovery', { username: account.username, password: 'not the password', code: codes[0]! });
    expect(page(wrongPassword).status).toBe(401);
    // The code was not spent by the attempt with the wrong password.
    const device = new Browser(CALLBACK);
    expect(heading(await recover(device, account, codes[0]!))).toMatch(/^You are recovering/);
    const codesPage = page(await device.request(`${provider.issuer}/account/recovery-codes`));
    expect(codesPage.html).toContain('New recovery codes can be made once your recovery session is over');
    expect(page(await device.submit(codesPage, '/account/recovery-codes', {})).status).toBe(403);
    expect((await provider.stores.recoverySecrets.summary(account.id, 'code', provider.clock.now()))!.remaining).toBe(9);
  });

  it('the recovery window closes: after it, changing sign-in methods asks for the account level again (password, then the app)', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes } = await makeCodes(account);
    const device = new Browser(CALLBACK);
    await recover(device, account, codes[1]!);
    expect(heading(await device.request(`${provider.issuer}/account/totp`))).toBe('Set up an authenticator app');
    provider.clock.advance(provider.config.policy.recovery.window);
    const asked = await device.request(`${provider.issuer}/account/totp`);
    expect(formOf(asked)).toBe('password');
    expect(formOf(await device.submit(asked, '/password', { username: account.username, password: account.password }))).toBe('otp');
  });
});

describe('guessing recovery codes', () => {
  it('is limited per account like passwords and codes: after the free guesses, even the right code waits', async () => {
    const account = await createAccount(provider, { totp: true });
    const { codes } = await makeCodes(account);
    const { freeAttempts } = provider.config.limiter;
    const statuses: number[] = [];
    for (let i = 0; i < freeAttempts + 3; i++) {
      const step = await recover(new Browser(CALLBACK), account, `aaaa-bbbb-cccc-${'defg'[i % 4]}`);
      statuses.push(page(step).status);
    }
    expect(statuses.slice(0, freeAttempts)).toEqual(Array(freeAttempts).fill(401));
    expect(statuses.slice(freeAttempts + 1)).toEqual([429, 429]);
    const throttled = await recover(new Browser(CALLBACK), account, codes[0]!);
    expect(page(throttled).status).toBe(429);
    expect(page(throttled).headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await provider.stores.recoverySecrets.summary(account.id, 'code', provider.clock.now()))!.remaining).toBe(10);
  });

  it('is limited per client address across accounts', async () => {
    const limited = await startProvider({ env: { STEPUP_ADDRESS_MAX_FAILURES: '3' } });
    try {
      const accounts = await Promise.all([0, 1, 2, 3].map(() => createAccount(limited)));
      const statuses: number[] = [];
      for (const account of accounts) {
        const browser = new Browser(CALLBACK);
        const form = await browser.request(`${limited.issuer}/account/recover`);
        statuses.push(page(await browser.submit(form, '/recovery', { username: account.username, password: account.password, code: 'aaaa-bbbb-cccc-d' })).status);
      }
      expect(statuses).toEqual([401, 401, 401, 429]);
    } finally {
      await limited.close();
    }
  });
});
