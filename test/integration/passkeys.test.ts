// Passkeys over HTTP with a software authenticator: enrolment behind step-up, phr step-up, and the attacks on it.
import { describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider({ hostname: 'localhost' });

function options(step: Step): { challenge: string } {
  return JSON.parse(expectPage(step).document.querySelector('#passkey-options')!.text);
}

function device(): SoftAuthenticator {
  return new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
}

/** Signs in with the password and registers `authn` as a passkey from the account page. */
async function enrolPasskey(browser: Browser, account: TestAccount, authn: SoftAuthenticator) {
  await rp.signIn(browser, account);
  const page = await browser.request(`${provider.issuer}/account/passkey`);
  const response = authn.register({ challenge: options(page).challenge, userId: account.id });
  const done = expectPage(await browser.submit(page, '/account/passkey', { response: JSON.stringify(response), label: 'Soft key' }));
  expect(done.html).toContain('Your passkey is ready.');
  // Enrolled from a session below phr, it counts fully only once its cool-off has ended (test/integration/recovery*.test.ts).
  provider.clock.advance(provider.config.policy.recovery.coolOff);
}

describe('passkey step-up over HTTP', () => {
  it('asks a password session for the passkey only, and issues phr with pop/hwk/user/mfa', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const authn = device();
    // The account reaches aal2 (TOTP): enrolment needs a fresh aal2 first.
    await rp.signIn(browser, account);
    const aal2 = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(aal2.step, '/otp', { code: account.code() }));
    const page = await browser.request(`${provider.issuer}/account/passkey`);
    expect(expectPage(page).document.querySelector('h1')?.text).toBe('Add a passkey');
    const registered = authn.register({ challenge: options(page).challenge, userId: account.id });
    expect(expectPage(await browser.submit(page, '/account/passkey', { response: JSON.stringify(registered), label: 'Soft key' })).html).toContain('Your passkey is ready.');
    const capped = await rp.start(browser, { acr_values: 'phr' });
    expect(expectCallback(capped.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
    provider.clock.advance(provider.config.policy.recovery.coolOff);

    const flow = await rp.start(browser, { acr_values: 'phr' });
    expect(expectPage(flow.step).document.querySelector('h1')?.text).toBe('Confirm with your passkey');
    expect(formOf(flow.step)).toBe('other');
    const assertion = authn.assert({ challenge: options(flow.step).challenge });
    const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/passkey', { response: JSON.stringify(assertion) })));
    // Its attestation was not verified (none was asked for): no claim that the key is hardware-bound.
    expect(tokens.claims()).toMatchObject({ acr: 'phr', amr: ['pop', 'user', 'mfa'] });
  });

  it('uses each challenge once: after any answer, a valid response to the old challenge is refused', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const authn = device();
    await enrolPasskey(browser, account, authn);
    const flow = await rp.start(browser, { acr_values: 'phr' });
    const { challenge } = options(flow.step);
    const kept = JSON.stringify(authn.assert({ challenge }));
    const refused = await browser.submit(flow.step, '/passkey', { response: '{"id":"not-a-credential"}' });
    // Malformed (no signature): a 400, and the challenge is gone all the same.
    expect(expectPage(refused).status).toBe(400);
    expect(options(refused).challenge).not.toBe(challenge);
    const replay = expectPage(await browser.submit(refused, '/passkey', { response: kept }));
    expect(replay.status).toBe(401);
    const fresh = JSON.stringify(authn.assert({ challenge: options(replay).challenge }));
    expect((await rp.finish(flow, expectCallback(await browser.submit(replay, '/passkey', { response: fresh })))).claims()!.acr).toBe('phr');
  });

  it.each([5, {}, true, ['x'], 'not base64url!'])('answers a known credential with userHandle %j with 400, never 500', async (userHandle) => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const authn = device();
    await enrolPasskey(browser, account, authn);
    const flow = await rp.start(browser, { acr_values: 'phr' });
    const assertion = authn.assert({ challenge: options(flow.step).challenge }) as unknown as { response: Record<string, unknown> };
    assertion.response.userHandle = userHandle;
    const refused = expectPage(await browser.submit(flow.step, '/passkey', { response: JSON.stringify(assertion) }));
    expect(refused.status).toBe(400);
    expect(refused.html).toContain('The passkey did not answer. Try again.');
  });

  it('refuses a passkey of another account during step-up', async () => {
    const alice = await createAccount(provider);
    const mallory = await createAccount(provider);
    const alicesBrowser = new Browser(CALLBACK);
    const mallorysBrowser = new Browser(CALLBACK);
    const malloryKey = device();
    await enrolPasskey(alicesBrowser, alice, device());
    await enrolPasskey(mallorysBrowser, mallory, malloryKey);

    const flow = await rp.start(alicesBrowser, { acr_values: 'phr' });
    const wrong = malloryKey.assert({ challenge: options(flow.step).challenge });
    const refused = expectPage(await alicesBrowser.submit(flow.step, '/passkey', { response: JSON.stringify(wrong) }));
    expect(refused.status).toBe(401);
    expect(refused.document.querySelector('[role=alert]')?.text).toContain('could not be verified');
  });

  it('refuses a response for another origin', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const authn = device();
    await enrolPasskey(browser, account, authn);
    const flow = await rp.start(browser, { acr_values: 'phr' });
    const phished = authn.assert({ challenge: options(flow.step).challenge, origin: 'https://login.example-phish.test' });
    expect(expectPage(await browser.submit(flow.step, '/passkey', { response: JSON.stringify(phished) })).status).toBe(401);
  });

  it('signs in username-less with a passkey and reports phr; an account without a passkey gets unmet for phr', async () => {
    const account = await createAccount(provider);
    const setup = new Browser(CALLBACK);
    const authn = device();
    await enrolPasskey(setup, account, authn);

    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { acr_values: 'phr' });
    expect(expectPage(flow.step).document.querySelector('#username')?.getAttribute('autocomplete')).toBe('username webauthn');
    const assertion = authn.assert({ challenge: options(flow.step).challenge });
    const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/passkey', { response: JSON.stringify(assertion) })));
    expect(tokens.claims()).toMatchObject({ sub: account.id, acr: 'phr' });

    const plain = await createAccount(provider, { totp: true });
    const other = new Browser(CALLBACK);
    await rp.signIn(other, plain);
    const unmet = await rp.start(other, { acr_values: 'phr' });
    expect(expectCallback(unmet.step).searchParams.get('error')).toBe('unmet_authentication_requirements');
  });

  it('counts a cloned authenticator (counter going backwards) as a refusal and audits it', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const authn = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer, counter: 10 });
    await enrolPasskey(browser, account, authn);
    const first = await rp.start(browser, { acr_values: 'phr' });
    expectCallback(await browser.submit(first.step, '/passkey', { response: JSON.stringify(authn.assert({ challenge: options(first.step).challenge, counter: 20 })) }));
    const second = await rp.start(browser, { acr_values: 'phr', prompt: 'login' });
    const cloned = expectPage(await browser.submit(second.step, '/passkey', { response: JSON.stringify(authn.assert({ challenge: options(second.step).challenge, counter: 15 })) }));
    expect(cloned.status).toBe(401);
    const audit = await provider.stores.audit.list({ accountId: account.id, type: 'authenticator.suspected_clone', limit: 5 });
    expect(audit).toHaveLength(1);
  });
});
