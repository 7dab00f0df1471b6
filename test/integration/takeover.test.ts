// The takeover that item 7 closes: with a victim's password alone (or one phished code), an attacker enrols a passkey.
// It must not outrank the proof that enrolled it until its cool-off ends, and the owner must be able to remove it.
import { describe, expect, it } from 'vitest';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { askedToSignIn, holdings } from './harness/cut-off.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const { provider, rp } = useProvider({ hostname: 'localhost' });

const options = (step: Step) => JSON.parse(expectPage(step).document.querySelector('#passkey-options')!.text) as { challenge: string };
const error = (step: Step) => expectCallback(step).searchParams.get('error');

async function enrolPasskey(browser: Browser, account: TestAccount, authn: SoftAuthenticator): Promise<string> {
  const page = await browser.request(`${provider.issuer}/account/passkey`);
  const done = expectPage(await browser.submit(page, '/account/passkey', { response: JSON.stringify(authn.register({ challenge: options(page).challenge, userId: account.id })), label: 'Key' }));
  expect(done.html).toContain('Your passkey is ready.');
  const passkeys = (await provider.stores.authenticators.listByAccount(account.id)).filter((record) => record.kind === 'passkey');
  return passkeys.at(-1)!.id;
}

describe('a passkey enrolled with the password alone', () => {
  it('reaches neither phr nor aal2 during its cool-off, the owner at aal1 removes it, and a passkey that completes its cool-off reaches phr', async () => {
    const account = await createAccount(provider);
    const owner = await holdings(rp, account);

    // The attacker signs in with the stolen password in another browser and enrols a passkey.
    const attacker = new Browser(CALLBACK);
    await rp.signIn(attacker, account);
    const attackerKey = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    const id = await enrolPasskey(attacker, account, attackerKey);
    const [raised] = await provider.stores.audit.list({ accountId: account.id, type: 'account.ceiling_raised', limit: 1 });
    expect(raised).toMatchObject({ outcome: 'info', authenticatorId: id, reason: 'aal1 → phr', coolOffCap: 'aal1' });
    // The enrolment is a credential change: the owner's session ended too (and the owner will be told by the audit and the page).
    expect(await askedToSignIn(rp, owner)).toBe(true);

    // phr and aal2 through the new passkey: refused, also after a fresh assertion.
    const phr = await rp.start(attacker, { acr_values: 'phr' });
    expect(error(phr.step)).toBe('unmet_authentication_requirements');
    expect(error((await rp.start(attacker, { acr_values: 'aal2' })).step)).toBe('unmet_authentication_requirements');
    const api = provider.api;
    expect(error((await rp.start(attacker, { scope: 'openid payments', resource: api })).step)).toBe('unmet_authentication_requirements');
    // The passkey alone does not even sign in: it backs no level yet, so the password is asked.
    const fresh = new Browser(CALLBACK);
    const signIn = await rp.start(fresh);
    const afterPasskey = await fresh.submit(signIn.step, '/passkey', { response: JSON.stringify(attackerKey.assert({ challenge: options(signIn.step).challenge })) });
    expect(formOf(afterPasskey)).toBe('password');

    // The owner, with the password only, removes it: during the cool-off the account's ceiling is aal1.
    const ownerBrowser = new Browser(CALLBACK);
    await rp.signIn(ownerBrowser, account);
    const manage = expectPage(await ownerBrowser.request(`${provider.issuer}/account/manage`));
    expect(manage.document.querySelector('.cool-off')?.text).toMatch(/counts only as much as the sign-in that added it/);
    expect(manage.document.querySelector('.cool-off')?.getAttribute('data-cap')).toBe('aal1');
    const removed = expectPage(await ownerBrowser.submit(manage, `/account/authenticators/${id}/remove`, {}));
    expect(removed.html).toContain('The sign-in method was removed.');
    expect(await provider.stores.authenticators.get(id)).toBeUndefined();
    // Removing it ended the attacker's session.
    expect(formOf((await rp.start(attacker)).step)).toBe('password');

    // A passkey whose cool-off completes reaches phr.
    const ownerKey = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    await enrolPasskey(ownerBrowser, account, ownerKey);
    expect(error((await rp.start(ownerBrowser, { acr_values: 'phr' })).step)).toBe('unmet_authentication_requirements');
    provider.clock.advance(provider.config.policy.recovery.coolOff);
    const later = await rp.start(ownerBrowser, { acr_values: 'phr' });
    const tokens = await rp.finish(
      later,
      expectCallback(await ownerBrowser.submit(later.step, '/passkey', { response: JSON.stringify(ownerKey.assert({ challenge: options(later.step).challenge })) })),
    );
    expect(tokens.claims()).toMatchObject({ acr: 'phr' });
  });

  it('with one phished TOTP code: the passkey backs aal2 at most, and the owner at aal2 can remove it', async () => {
    const account = await createAccount(provider, { totp: true });
    const attacker = new Browser(CALLBACK);
    await rp.signIn(attacker, account);
    const aal2 = await rp.start(attacker, { acr_values: 'aal2' });
    expectCallback(await attacker.submit(aal2.step, '/otp', { code: account.code() }));
    const key = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    const id = await enrolPasskey(attacker, account, key);
    expect((await provider.stores.authenticators.get(id))!.coolOff).toMatchObject({ cap: 'aal2', origin: 'enrolment' });

    expect(error((await rp.start(attacker, { acr_values: 'phr' })).step)).toBe('unmet_authentication_requirements');

    provider.clock.advance(30);
    const owner = new Browser(CALLBACK);
    await rp.signIn(owner, account);
    const stepUp = await owner.request(`${provider.issuer}/account/manage`);
    const manage = expectPage(await owner.submit(stepUp, '/otp', { code: account.code() }));
    expect(expectPage(await owner.submit(manage, `/account/authenticators/${id}/remove`, {})).html).toContain('The sign-in method was removed.');
  });
});
