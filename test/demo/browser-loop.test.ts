// With passkeys: the demo loop in real Chromium (virtual authenticator), the transfer route at phr within 300 s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { TOTP } from 'otpauth';
import { addVirtualAuthenticator, chromiumAvailable, CHROMIUM_PATH, launchChromium, screenshot } from '../browser/chromium.ts';
import { startStack, type Stack } from './stack.ts';

const COOL_OFF_SECONDS = 4;
const DEMO = { username: 'demo', password: 'demo-password', totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' };

describe.skipIf(!chromiumAvailable)(`the demo in Chromium (${CHROMIUM_PATH}) with a passkey`, { timeout: 150_000 }, () => {
  let stack: Stack;
  let chromium: Browser;

  beforeAll(async () => {
    // A passkey added from an aal2 session reaches phr only after its cool-off: a few seconds here instead of a day.
    stack = await startStack({ host: 'localhost', transfer: { acr: 'phr', maxAge: 300 }, coolOffSeconds: COOL_OFF_SECONDS });
    chromium = await launchChromium();
  }, 150_000);
  afterAll(async () => {
    await chromium?.close();
    await stack?.stop();
  }, 30_000);

  const heading = (page: Page) => page.locator('h1').textContent();

  it('signs in with the password, adds a passkey, and a transfer asks for exactly the passkey, then succeeds at phr', async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    await addVirtualAuthenticator(page);
    // Nothing any page loads may be missing (the icon was).
    const missing: string[] = [];
    page.on('response', (response) => void (response.status() === 404 && missing.push(response.url())));

    // Sign in at the RP: the provider asks for the password.
    await page.goto(`${stack.rpUrl}/`);
    await screenshot(page, 'demo-01-home');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Username').fill(DEMO.username);
    await page.getByLabel('Password').fill(DEMO.password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.waitForURL(`${stack.rpUrl}/`);
    expect(await page.locator('#token-now [data-claim=acr]').textContent()).toBe('aal1');
    await screenshot(page, 'demo-02-signed-in');

    // Add a passkey at the provider's account page, which first asks for the account's highest level (aal2: the code).
    await page.goto(`${stack.issuer}/account/passkey`);
    await expect.poll(() => heading(page)).toBe('Enter your verification code');
    await page.getByLabel('Verification code').fill(new TOTP({ secret: DEMO.totpSecret }).generate());
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => heading(page)).toBe('Add a passkey');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/^Your passkey is ready\./);
    expect(await page.locator('.cool-off').count()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, (COOL_OFF_SECONDS + 1) * 1000));

    // The transfer: the API challenges for phr within 300 s; the provider asks for the passkey only.
    await page.goto(`${stack.rpUrl}/`);
    await page.getByRole('textbox', { name: 'To', exact: true }).fill('bob');
    await page.getByLabel('Amount (EUR)').fill('25.00');
    await page.getByRole('button', { name: 'Transfer' }).click();
    await expect.poll(() => heading(page)).toBe('Confirm with your passkey');
    expect(await page.locator('form[action$="/otp"]').count()).toBe(0);
    expect(await page.locator('form[action$="/password"]').count()).toBe(0);
    await screenshot(page, 'demo-03-provider-asks-passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();

    await page.waitForURL(`${stack.rpUrl}/result`);
    await screenshot(page, 'demo-04-result');
    expect(await page.locator('[data-challenge]').textContent()).toMatch(/acr_values="phr", max_age=300$/);
    expect(await page.locator('#api-result').getAttribute('data-status')).toBe('200');
    expect(await page.locator('[data-retry-status]').textContent()).toBe('200');
    const proven = (await page.locator('[data-proven]').getAttribute('data-proven'))!.split(' ');
    expect(proven).toContain('pop');
    expect(proven).not.toContain('otp');
    expect(proven).not.toContain('pwd');
    expect(await page.locator('#token-now [data-claim=acr]').textContent()).toBe('phr');
    const before = Number(await page.locator('#before-after [data-claim=auth_time] [data-before] [data-value]').getAttribute('data-value'));
    const after = Number(await page.locator('#token-now [data-claim=auth_time]').getAttribute('data-value'));
    expect(after).toBeGreaterThan(before);
    // The result's table heads every column.
    expect(await page.locator('#before-after thead th').allTextContents()).toEqual(['claim', 'token before', 'token after']);
    expect(missing).toEqual([]);
    await context.close();
  });
});
