// What the black-box round against recovery and lifecycle found, each reproduced as it was done: a sign-in held across
// a credential change, a cool-off factor resetting the guessing limits, a recovery-code holder replacing the owner's
// codes, and a cool-off code accepted without a word.
import { describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { attemptKeys } from '../../authenticators/index.ts';
import { disableUser, enableUser, setPassword } from '../../cli/lifecycle-commands.ts';
import { revokeSessions } from '../../cli/session-commands.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { copyCookies } from './harness/attacks.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider({ hostname: 'localhost' });
const operator = { operator: 'ops', reason: 'test' };
const quiet = () => {};

const page = (step: Step) => expectPage(step);
const heading = (step: Step) => page(step).document.querySelector('h1')?.text.trim();

async function makeCodes(account: TestAccount): Promise<string[]> {
  const browser = new Browser(CALLBACK);
  await rp.signIn(browser, account);
  const stepUp = await browser.request(`${provider.issuer}/account/recovery-codes`);
  const codesPage = formOf(stepUp) === 'otp' ? await browser.submit(stepUp, '/otp', { code: account.code() }) : stepUp;
  const shown = await browser.submit(codesPage, '/account/recovery-codes', {});
  return page(shown)
    .document.querySelectorAll('ol.codes code')
    .map((code) => code.text);
}

async function recover(browser: Browser, account: TestAccount, code: string): Promise<Step> {
  const form = await browser.request(`${provider.issuer}/account/recover`);
  return browser.submit(form, '/recovery', { username: account.username, password: account.password, code });
}

/** The attacker proves the password and holds the redirect back to the authorization endpoint. */
async function heldSignIn(account: TestAccount) {
  const holder = new Browser(`${provider.issuer}/auth/`);
  const flow = await rp.start(holder, { scope: 'openid offline_access', prompt: 'consent' });
  const resume = expectCallback(await holder.submit(flow.step, '/password', { username: account.username, password: account.password }));
  const browser = new Browser(CALLBACK);
  copyCookies(holder, browser, ['_interaction_resume', '_interaction_resume.sig', '_session', '_session.sig']);
  return { browser, resume, flow };
}

describe('a sign-in held across a credential change', () => {
  it.each([
    ['a password change', (account: TestAccount) => setPassword(provider.stores, provider.config, { username: account.username, password: 'the owner changed it', ...operator }, quiet)],
    ['sessions revoke', (account: TestAccount) => revokeSessions(provider.stores, provider.config, { username: account.username, ...operator }, quiet)],
    ["the owner's recovery", async (account: TestAccount) => void (await recover(new Browser(CALLBACK), account, (account as TestAccount & { codes: string[] }).codes[0]!))],
  ])('after %s, finishing it yields no code, no session', async (_name, change) => {
    const account = Object.assign(await createAccount(provider, { totp: true }), { codes: [] as string[] });
    account.codes = await makeCodes(account);
    const { browser, resume } = await heldSignIn(account);
    await change(account);
    const after = await browser.request(resume.href);
    if (after.kind === 'callback') expect(after.url.searchParams.get('code')).toBeNull();
    else {
      expect(formOf(after)).not.toBe('consent');
      expect(page(after).status).toBeGreaterThanOrEqual(400);
    }
    // Whatever else lives on, no session signed in to the application came out of the held sign-in.
    const live = await provider.stores.sessions.list(account.id, provider.clock.now());
    expect(live.flatMap((session) => session.clients.map((client) => client.clientId))).not.toContain(rp.clientId);
  });

  it('after disable and enable, the held sign-in has left nothing behind', async () => {
    const account = await createAccount(provider);
    const { browser, resume } = await heldSignIn(account);
    await disableUser(provider.stores, provider.config, { username: account.username, ...operator }, quiet);
    await browser.request(resume.href);
    await enableUser(provider.stores, provider.config, { username: account.username, ...operator }, quiet);
    expect(await provider.stores.sessions.list(account.id, provider.clock.now())).toEqual([]);
    const silent = await rp.start(browser, { prompt: 'none' });
    expect(expectCallback(silent.step).searchParams.get('error')).toBe('login_required');
  });
});

describe('a factor in cool-off and the guessing limits', () => {
  async function attackerWithOwnApp(account: TestAccount) {
    const codes = await makeCodes(account);
    const attacker = new Browser(CALLBACK);
    await recover(attacker, account, codes[0]!);
    const enrol = page(await attacker.request(`${provider.issuer}/account/totp`));
    const secret = enrol.document.querySelector('code.secret')!.text.replace(/\s/g, '');
    const own = (offset = 0) => new TOTP({ secret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: (provider.clock.now() + offset) * 1000 });
    expect(page(await attacker.submit(enrol, '/account/totp', { code: own(), label: 'Mine' })).html).toContain('Until its waiting period ends');
    return { attacker, own };
  }

  it("a right code of the attacker's own app does not reset the account's counter, and says it does not count", async () => {
    const account = await createAccount(provider, { totp: true });
    const { attacker, own } = await attackerWithOwnApp(account);
    provider.clock.advance(30);
    const flow = await rp.start(attacker, { acr_values: 'aal2' });
    let step = flow.step;
    for (let i = 0; i < 3; i++) step = await attacker.submit(step, '/otp', { code: '000000' === own() ? '111111' : '000000' });
    const before = (await provider.stores.attempts.get(attemptKeys.totp(account.id)))!.failures;
    expect(before).toBe(3);
    const answered = page(await attacker.submit(step, '/otp', { code: own() }));
    expect(answered.status).toBe(403);
    expect(answered.html).toContain('was added recently');
    expect((await provider.stores.attempts.get(attemptKeys.totp(account.id)))!.failures).toBe(before);
  });

  it('a passkey sign-in with a passkey still in cool-off lifts no lock', async () => {
    const account = await createAccount(provider, { totp: true });
    const codes = await makeCodes(account);
    const attacker = new Browser(CALLBACK);
    await recover(attacker, account, codes[0]!);
    const key = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    const enrol = page(await attacker.request(`${provider.issuer}/account/passkey`));
    const challenge = (JSON.parse(enrol.document.querySelector('#passkey-options')!.text) as { challenge: string }).challenge;
    await attacker.submit(enrol, '/account/passkey', { response: JSON.stringify(key.register({ challenge, userId: account.id })), label: 'Mine' });
    for (let i = 0; i < 4; i++) await provider.stores.attempts.recordFailure(attemptKeys.totp(account.id), provider.clock.now());

    const fresh = new Browser(CALLBACK);
    const signIn = await rp.start(fresh);
    const options = JSON.parse(page(signIn.step).document.querySelector('#passkey-options')!.text) as { challenge: string };
    await fresh.submit(signIn.step, '/passkey', { response: JSON.stringify(key.assert({ challenge: options.challenge })) });
    expect((await provider.stores.attempts.get(attemptKeys.totp(account.id)))!.failures).toBe(4);
    expect(await provider.stores.audit.list({ accountId: account.id, type: 'account.unlock', limit: 5 })).toEqual([]);
  });
});

describe("a recovery-code holder and the owner's other codes", () => {
  it('cannot replace them, even after lowering the account to aal1 by removing its app', async () => {
    const account = await createAccount(provider, { totp: true });
    const codes = await makeCodes(account);
    const attacker = new Browser(CALLBACK);
    expect(heading(await recover(attacker, account, codes[0]!))).toMatch(/^You are recovering/);
    const [app] = await provider.stores.authenticators.listByAccount(account.id);
    const manage = page(await attacker.request(`${provider.issuer}/account/manage`));
    const check = await attacker.submit(manage, `/account/authenticators/${app!.id}/remove`, {});
    await attacker.submit(check, `/account/authenticators/${app!.id}/remove`, { confirm: 'lower' });
    expect(await provider.stores.authenticators.listByAccount(account.id)).toEqual([]);

    // A second browser with the password alone now meets the account's (lowered) level.
    const second = new Browser(CALLBACK);
    await rp.signIn(second, account);
    const codesPage = page(await second.request(`${provider.issuer}/account/recovery-codes`));
    expect(codesPage.html).toContain('Your account was recovered recently');
    expect(
      page(
        await second.request(`${provider.issuer}/account/recovery-codes`, {
          method: 'POST',
          body: new URLSearchParams({ _csrf: codesPage.document.querySelector('input[name=_csrf]')?.getAttribute('value') ?? '' }),
        }),
      ).status,
    ).toBe(403);
    // The owner's other codes still work; after the cool-off new ones can be made.
    expect(heading(await recover(new Browser(CALLBACK), account, codes[1]!))).toMatch(/^You are recovering/);
    provider.clock.advance(provider.config.policy.recovery.coolOff);
    const later = new Browser(CALLBACK);
    await rp.signIn(later, account);
    const renewed = await later.submit(await later.request(`${provider.issuer}/account/recovery-codes`), '/account/recovery-codes', {});
    expect(page(renewed).document.querySelectorAll('ol.codes code')).toHaveLength(provider.config.policy.recovery.codes);
  });
});
