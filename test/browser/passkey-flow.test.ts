// The whole story in real Chromium with a virtual authenticator: password → TOTP (aal2) → passkey enrolment → phr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createAccount, type TestAccount } from '../integration/harness/accounts.ts';
import { startProvider, type RunningProvider } from '../integration/harness/provider.ts';
import { addVirtualAuthenticator, callbackServer, chromiumAvailable, CHROMIUM_PATH, launchChromium, screenshot, type VirtualAuthenticator } from './chromium.ts';

describe.skipIf(!chromiumAvailable)(`passkeys in Chromium (${CHROMIUM_PATH})`, { timeout: 120_000 }, () => {
  let provider: RunningProvider;
  let chromium: Browser;
  let config: oidc.Configuration;
  let rpCallback: Awaited<ReturnType<typeof callbackServer>>;
  let CALLBACK: string;

  beforeAll(async () => {
    rpCallback = await callbackServer();
    CALLBACK = rpCallback.url;
    provider = await startProvider({ hostname: 'localhost' });
    const clientId = 'browser-rp';
    const clientSecret = 'browser-rp-secret-0123456789';
    await provider.stores.clients.upsert({
      client_id: clientId,
      client_secret: clientSecret,
      client_name: 'Browser test app',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      first_party: true,
    });
    config = await oidc.discovery(new URL(provider.issuer), clientId, clientSecret, undefined, { execute: [oidc.allowInsecureRequests] });
    chromium = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await chromium?.close();
    await provider?.close();
    await rpCallback?.close();
  });

  interface Session {
    context: BrowserContext;
    page: Page;
    authenticator: VirtualAuthenticator;
  }

  /** Not UTC: the pages render times in UTC, and /static/local-time.js shows them in the browser's zone. */
  const TIME_ZONE = 'Europe/Paris';

  async function newSession(): Promise<Session> {
    const context = await chromium.newContext({ timezoneId: TIME_ZONE });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    return { context, page, authenticator: await addVirtualAuthenticator(page) };
  }

  /** Starts an authorization request in the browser; `finish` exchanges the code once the browser is back. */
  async function authorize(session: Session, params: Record<string, string> = {}) {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: CALLBACK,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      ...params,
    });
    await session.page.goto(url.href);
    return {
      async finish() {
        const callback = await rpCallback.next();
        await session.page.waitForURL((current) => current.href.startsWith(CALLBACK));
        expect(callback.searchParams.get('error'), callback.searchParams.get('error_description') ?? '').toBeNull();
        return oidc.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
      },
    };
  }

  async function signInWithPassword(session: Session, account: TestAccount, params: Record<string, string> = {}) {
    const flow = await authorize(session, params);
    await session.page.getByLabel('Username').fill(account.username);
    await session.page.getByLabel('Password').fill(account.password);
    await session.page.getByRole('button', { name: 'Continue' }).click();
    return flow.finish();
  }

  /** A new browser whose account (password only) has just added a passkey on its virtual authenticator. */
  async function passwordUserWithPasskey() {
    const account = await createAccount(provider);
    const session = await newSession();
    const { page } = session;
    await signInWithPassword(session, account);
    await page.goto(`${provider.issuer}/account/passkey`);
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/^Your passkey is ready\./);
    // Enrolled from an aal1 session: it counts fully once its cool-off has ended.
    provider.clock.advance(provider.config.policy.recovery.coolOff);
    return { account, session, page };
  }

  async function typeCode(page: Page, account: TestAccount) {
    await page.getByLabel('Verification code').fill(account.code());
    await page.getByRole('button', { name: 'Verify' }).click();
  }

  it('password → TOTP step-up → passkey enrolment behind step-up → phr with only the passkey → removal behind step-up', async () => {
    const account = await createAccount(provider, { totp: true });
    const session = await newSession();
    const { page } = session;

    const signIn = await authorize(session);
    await screenshot(page, '01-sign-in');
    // Cancel does not look like the passkey button next to it: no border, no fill.
    const look = (name: string) => page.getByRole('button', { name, exact: true }).evaluate((button) => getComputedStyle(button).borderTopWidth + ' ' + getComputedStyle(button).backgroundColor);
    expect(await look('Cancel')).not.toBe(await look('Sign in with a passkey'));
    expect(await look('Cancel')).toMatch(/^0px /);
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    expect((await signIn.finish()).claims()).toMatchObject({ acr: 'aal1', amr: ['pwd'] });

    const aal2 = await authorize(session, { acr_values: 'aal2' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Enter your verification code');
    await screenshot(page, '02-step-up-totp');
    await typeCode(page, account);
    expect((await aal2.finish()).claims()!.acr).toBe('aal2');

    await page.goto(`${provider.issuer}/account/passkey`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Add a passkey');
    await screenshot(page, '03-add-passkey');
    await page.getByLabel('Name for this passkey').fill('Laptop');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/^Your passkey is ready\./);
    // What the new passkey gives, and why the level has not moved yet; in words, with times in the browser's zone.
    expect(await page.locator('[role=status]').textContent()).toMatch(/after that, signing in with it gives phishing-resistant sign-in with a passkey/);
    expect(await page.locator('#level').textContent()).toBe('two-step verification');
    expect(await page.locator('li', { hasText: 'Laptop' }).textContent()).toContain('not used to sign in yet');
    expect(await page.locator('time[data-local]').first().textContent()).toMatch(new RegExp(`\\(${TIME_ZONE} time\\)$`));
    expect(await page.locator('main').textContent()).not.toMatch(/\b(aal1|aal2|phr)\b/);
    await screenshot(page, '04-account-with-passkey');
    const [stored] = (await provider.stores.authenticators.listByAccount(account.id)).filter((record) => record.kind === 'passkey');
    expect(stored).toMatchObject({ label: 'Laptop', kind: 'passkey' });
    expect((await session.authenticator.credentials())[0]?.isResidentCredential).toBe(true);

    // Enrolled from an aal2 session, the passkey backs aal2 at most until its cool-off ends.
    provider.clock.advance(provider.config.policy.recovery.coolOff + 1);
    const before = provider.clock.now();
    const phr = await authorize(session, { acr_values: 'phr' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm with your passkey');
    expect(await page.locator('form[action$="/otp"]').count()).toBe(0);
    expect(await page.locator('.why').textContent()).toBe('Browser test app asks for phishing-resistant sign-in with a passkey.');
    await screenshot(page, '05-step-up-passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    const claims = (await phr.finish()).claims()!;
    expect(claims.acr).toBe('phr');
    expect(claims.amr).toEqual(expect.arrayContaining(['pop', 'user', 'mfa']));
    // Without verified attestation the provider claims no hardware key (the virtual authenticator is not backup-eligible, so no swk either).
    expect(claims.amr).not.toContain('hwk');
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);

    // After phr's short maxAge, phr asks for the passkey again while aal2 is still served silently.
    const phrLevel = provider.config.policy.ladder.find((level) => level.acr === 'phr')!;
    provider.clock.advance(phrLevel.maxAge + 1);
    const silent = await authorize(session, { acr_values: 'aal2' });
    expect((await silent.finish()).claims()!.acr).toBe('aal2');
    const again = await authorize(session, { acr_values: 'phr' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm with your passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    expect((await again.finish()).claims()!.acr).toBe('phr');

    // Removal is behind a fresh step-up to the highest level (phr, just proven), and asks for consent to lose phr.
    await page.goto(`${provider.issuer}/account/manage`);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign-in methods');
    await screenshot(page, '06-manage');
    await page.getByRole('button', { name: 'Remove Laptop' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Remove Laptop?');
    // The safe choice is the primary button and has the focus; removing is marked as destructive.
    expect(await page.getByRole('button', { name: 'Keep it' }).getAttribute('class')).toBeNull();
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it');
    expect(await page.getByRole('button', { name: 'Remove it' }).getAttribute('class')).toBe('danger');
    await screenshot(page, '07-confirm-removal');
    await page.getByLabel('I understand what I lose').check();
    await page.getByRole('button', { name: 'Remove it' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/^The sign-in method was removed\./);
    // The level shown is the one the policy computes: the removed passkey's sign-ins no longer count, so no phr.
    expect(await page.locator('#level').getAttribute('data-acr')).toBe('aal1');
    expect(await page.locator('#level').textContent()).toBe('password sign-in');
    await screenshot(page, '09-account-after-removal');
    expect((await provider.stores.authenticators.listByAccount(account.id)).filter((record) => record.kind === 'passkey')).toEqual([]);
    const audit = await provider.stores.audit.list({ accountId: account.id, limit: 100 });
    expect(audit.map((event) => event.type)).toEqual(expect.arrayContaining(['authenticator.enroll', 'authenticator.remove']));
    await session.context.close();
  });

  it('signs in with a passkey alone (username-less) and reaches phr', async () => {
    const { account, session, page } = await passwordUserWithPasskey();

    await session.context.clearCookies();
    const fresh = await authorize(session, { acr_values: 'phr' });
    // Chromium's passkey autofill (conditional mediation) may answer by itself; otherwise press the button.
    const button = page.getByRole('button', { name: 'Sign in with a passkey' });
    await button.click({ timeout: 3000 }).catch(() => undefined);
    const claims = (await fresh.finish()).claims()!;
    expect(claims).toMatchObject({ sub: account.id, acr: 'phr' });
    await session.context.close();
  });

  it('leads with the passkey before anyone signs in when only a passkey can do (phr); starting with the password still ends at the passkey', async () => {
    const { account, session: owner } = await passwordUserWithPasskey();
    await owner.context.close();
    // Another browser, whose authenticator holds no passkey: nothing answers the page by itself.
    const session = await newSession();
    const { page } = session;
    await authorize(session, { acr_values: 'phr' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Sign in with your passkey');
    expect(await page.locator('.why').textContent()).toBe('Browser test app asks for phishing-resistant sign-in with a passkey.');
    expect(await page.getByRole('button', { name: 'Sign in with a passkey' }).getAttribute('class')).toBeNull();
    expect(await page.getByRole('button', { name: 'Continue with your password' }).getAttribute('class')).toBe('secondary');
    await screenshot(page, '10-sign-in-passkey-first');
    await page.getByLabel('Username').fill(account.username);
    await page.getByLabel('Password').fill(account.password);
    await page.getByRole('button', { name: 'Continue with your password' }).click();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm with your passkey');
    await session.context.close();
  });

  it('refuses when the authenticator cannot verify the user', async () => {
    const { session, page } = await passwordUserWithPasskey();

    await session.authenticator.setUserVerified(false);
    await authorize(session, { acr_values: 'phr' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm with your passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    // Trying again does not help a device that cannot check who is there: the message says what it needs.
    await expect.poll(() => page.locator('[data-passkey-error]').textContent(), { timeout: 20_000 }).toMatch(/check it is you with a PIN, fingerprint or face/);
    await screenshot(page, '08-user-verification-refused');
    expect(page.url()).toContain('/interaction/');
    await session.context.close();
  });
});
