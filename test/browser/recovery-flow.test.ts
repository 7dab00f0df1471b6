// Recovery in real Chromium: recovery codes made on the account page, the phone lost, "Lost your authenticator?", the
// password and a recovery code, a passkey enrolled on a virtual authenticator in cool-off, then phr once it has ended.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { createAccount } from '../integration/harness/accounts.ts';
import { startProvider, type RunningProvider } from '../integration/harness/provider.ts';
import { addVirtualAuthenticator, callbackServer, chromiumAvailable, CHROMIUM_PATH, launchChromium, screenshot } from './chromium.ts';

describe.skipIf(!chromiumAvailable)(`recovery in Chromium (${CHROMIUM_PATH})`, { timeout: 120_000 }, () => {
  let provider: RunningProvider;
  let chromium: Browser;
  let config: oidc.Configuration;
  let rpCallback: Awaited<ReturnType<typeof callbackServer>>;

  beforeAll(async () => {
    rpCallback = await callbackServer();
    provider = await startProvider({ hostname: 'localhost' });
    await provider.stores.clients.upsert({
      client_id: 'recovery-rp',
      client_secret: 'recovery-rp-secret-0123456789',
      client_name: 'Browser test app',
      redirect_uris: [rpCallback.url],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      first_party: true,
    });
    config = await oidc.discovery(new URL(provider.issuer), 'recovery-rp', 'recovery-rp-secret-0123456789', undefined, { execute: [oidc.allowInsecureRequests] });
    chromium = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await provider?.close();
    await rpCallback?.close();
  });

  const heading = (page: Page) => page.locator('h1').textContent();

  async function authorize(page: Page, params: Record<string, string>) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: rpCallback.url,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    await page.goto(url.href);
    return {
      async finish() {
        const callback = await rpCallback.next();
        return callback.searchParams.get('error') ? { error: callback.searchParams.get('error') } : oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      },
    };
  }

  it('recovers with a code, enrols a passkey that reaches phr only after its cool-off', async () => {
    const account = await createAccount(provider, { totp: true });

    // On the old device: sign in, step up with the app, make recovery codes and keep one.
    const old = await chromium.newContext();
    const before = await old.newPage();
    before.setDefaultTimeout(20_000);
    await before.goto(`${provider.issuer}/account/recovery-codes`);
    await before.getByLabel('Username').fill(account.username);
    await before.getByLabel('Password').fill(account.password);
    await before.getByRole('button', { name: 'Continue' }).click();
    await before.getByLabel('Verification code').fill(account.code());
    await before.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => heading(before)).toBe('Recovery codes');
    await before.getByRole('button', { name: /Make 10 recovery codes/ }).click();
    await expect.poll(() => heading(before)).toBe('Save your recovery codes');
    await screenshot(before, 'recovery-01-codes-shown');
    const codes = await before.locator('ol.codes code').allTextContents();
    expect(codes).toHaveLength(10);
    await old.close();

    // The phone is lost. On a new device, the code page offers "Lost your authenticator?".
    const context = await chromium.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await addVirtualAuthenticator(page);
    await authorize(page, { acr_values: 'aal2' });
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await expect.poll(() => heading(page)).toBe('Enter your verification code');
    await screenshot(page, 'recovery-02-lost-authenticator-link');
    await page.getByRole('link', { name: 'Lost your authenticator?' }).click();
    await expect.poll(() => heading(page)).toBe('Recover your account');
    expect(await page.getByLabel('Recovery code').getAttribute('autocomplete')).toBe('off');
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByLabel('Recovery code').fill(codes[2]!.toUpperCase());
    await screenshot(page, 'recovery-03-recovery-sign-in');
    await page.getByRole('button', { name: 'Recover my account' }).click();
    await expect.poll(() => heading(page)).toBe(`You are recovering ${account.username}`);
    await screenshot(page, 'recovery-04-recovery-session');

    // Enrol a passkey on this device's (virtual) authenticator: it is in cool-off.
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect.poll(() => heading(page)).toBe('Add a passkey');
    await page.getByLabel('Name for this passkey').fill('New laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect.poll(() => page.locator('[role=status]').first().textContent()).toMatch(/^Your passkey is ready\. Until its waiting period ends/);
    await expect.poll(() => page.locator('.cool-off').textContent()).toMatch(/counts only as much as the sign-in that added it \(password sign-in\)/);
    expect(await page.locator('main').textContent()).not.toMatch(/\baal1\b/);
    await screenshot(page, 'recovery-05-passkey-in-cool-off');

    const early = await authorize(page, { acr_values: 'phr' });
    expect(await early.finish()).toEqual({ error: 'unmet_authentication_requirements' });

    provider.clock.advance(provider.config.policy.recovery.coolOff);
    const phr = await authorize(page, { acr_values: 'phr' });
    await expect.poll(() => heading(page)).toBe('Confirm with your passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    const tokens = (await phr.finish()) as oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    expect(tokens.claims()).toMatchObject({ acr: 'phr' });
    await context.close();
  });
});
