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
    await provider.stores.clients.upsert({ client_id: clientId, client_secret: clientSecret, client_name: 'Browser test app', redirect_uris: [CALLBACK], grant_types: ['authorization_code'], response_types: ['code'], first_party: true });
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

  async function newSession(): Promise<Session> {
    const context = await chromium.newContext();
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
    await screenshot(page, '07-confirm-removal');
    await page.getByLabel('I understand what I lose').check();
    await page.getByRole('button', { name: 'Remove it' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toBe('The sign-in method was removed.');
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

  it('refuses when the authenticator cannot verify the user', async () => {
    const { session, page } = await passwordUserWithPasskey();

    await session.authenticator.setUserVerified(false);
    await authorize(session, { acr_values: 'phr' });
    await expect.poll(() => page.locator('h1').textContent()).toBe('Confirm with your passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();
    await expect.poll(() => page.locator('[data-passkey-error]').textContent(), { timeout: 20_000 }).toMatch(/cancelled|could not|passkey/i);
    await screenshot(page, '08-user-verification-refused');
    expect(page.url()).toContain('/interaction/');
    await session.context.close();
  });
});
