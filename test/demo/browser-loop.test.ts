// With passkeys: the demo in real Chromium (virtual authenticator): a 500 EUR transfer approved as an RFC 9396 payment with
// the passkey (the pages show it), executed once by the API with a DPoP-bound token, then its token's misuse refused.
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

  it("signs in with the password, adds a passkey, and a 500 EUR transfer asks for exactly the passkey and the approval, is paid once, its token refused again; a 25 EUR one approved with the code follows the API's phr challenge", async () => {
    const context = await chromium.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const authenticator = await addVirtualAuthenticator(page);
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
    const codePeriod = Math.floor(Date.now() / 30_000);
    await page.getByLabel('Verification code').fill(new TOTP({ secret: DEMO.totpSecret }).generate());
    await page.getByRole('button', { name: 'Verify' }).click();
    await expect.poll(() => heading(page)).toBe('Add a passkey');
    await page.getByRole('button', { name: 'Create passkey' }).click();
    await expect.poll(() => page.locator('[role=status]').textContent()).toMatch(/^Your passkey is ready\./);
    expect(await page.locator('.cool-off').count()).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, (COOL_OFF_SECONDS + 1) * 1000));

    // The transfer, above 100 EUR: the bank sends it as a payment; the provider's policy asks for the passkey only, on a page
    // that shows the payment, then for the approval.
    await page.goto(`${stack.rpUrl}/`);
    await page.getByRole('textbox', { name: 'To', exact: true }).fill('ACME Ltd');
    await page.getByLabel('IBAN').fill('DE89 3704 0044 0532 0130 00');
    await page.getByLabel('Amount (EUR)').fill('500');
    await page.getByRole('button', { name: 'Transfer' }).click();
    await expect.poll(() => heading(page)).toBe('Confirm with your passkey');
    expect(await page.locator('form[action$="/otp"]').count()).toBe(0);
    expect(await page.locator('form[action$="/password"]').count()).toBe(0);
    expect(await page.locator('main').textContent()).toContain('Pay 500.00 EUR to ACME Ltd');
    expect(await page.locator('main').textContent()).toContain('DE89370400440532013000');
    await screenshot(page, 'demo-03-operation-passkey');
    await page.getByRole('button', { name: 'Use passkey' }).click();

    await expect.poll(() => page.locator('form[action$="/consent"]').count()).toBe(1);
    expect(await page.locator('main').textContent()).toContain('Pay 500.00 EUR to ACME Ltd');
    await screenshot(page, 'demo-04-operation-approval');
    await page.getByRole('button', { name: 'Approve' }).click();

    await page.waitForURL(`${stack.rpUrl}/result`);
    await screenshot(page, 'demo-05-result');
    expect(await page.locator('[data-challenge]').count()).toBe(0);
    expect(await page.locator('#api-result').getAttribute('data-status')).toBe('200');
    expect(await page.locator('[data-retry-status]').textContent()).toBe('200');
    const answer = JSON.parse((await page.locator('#api-result pre').textContent())!);
    expect(answer).toMatchObject({ transfer: { creditorName: 'ACME Ltd', iban: 'DE89370400440532013000', amount: '500.00' }, balance: '500.00', token: { acr: 'phr' } });
    expect(answer.token.dpop_jkt).toBeTruthy();
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

    // The same token again: refused (already used), and the page says why.
    await page.getByRole('button', { name: 'Send the same transfer again with the same token' }).click();
    await page.waitForURL(`${stack.rpUrl}/result`);
    await expect.poll(() => page.locator('[data-refusal-error]').textContent()).toBe('invalid_token');
    expect(await page.locator('[role=alert]').textContent()).toMatch(/already used/);
    await screenshot(page, 'demo-06-refused-already-used');
    // Ten times the amount with the token approved for 500.00 EUR: refused (not the approved operation).
    await page.getByRole('button', { name: 'Send 5000.00 EUR with the token approved for 500.00 EUR' }).click();
    await expect.poll(() => page.locator('[data-refusal-error]').textContent()).toBe('insufficient_authorization_details');
    expect(await page.locator('#api-result').getAttribute('data-status')).toBe('403');
    await screenshot(page, 'demo-07-refused-other-amount');
    // Nothing more was paid.
    await page.goto(`${stack.rpUrl}/`);
    await page.getByRole('link', { name: 'View balance' }).click();
    await expect.poll(async () => JSON.parse((await page.locator('#api-result pre').textContent()) ?? '{}').balance).toBe('500.00');
    expect(missing).toEqual([]);

    // Signed in again with the password only: 25 EUR needs aal2 by the policy, the API's route phr. The code
    // approves the payment at aal2; the API's RFC 9470 challenge sends the user back with the payment and acr_values=phr,
    // and the passkey's token is paid.
    // Another browser, without an authenticator until the passkey is asked for (else the sign-in page's passkey autofill
    // would sign in with it at once).
    const second = await chromium.newContext();
    const other = await second.newPage();
    other.setDefaultTimeout(20_000);
    await other.goto(`${stack.rpUrl}/`);
    await other.getByRole('button', { name: 'Sign in' }).click();
    await other.getByLabel('Username').fill(DEMO.username);
    await other.getByLabel('Password').fill(DEMO.password);
    await other.getByRole('button', { name: 'Continue' }).click();
    await other.waitForURL(`${stack.rpUrl}/`);
    await other.getByLabel('Amount (EUR)').fill('25.00');
    await other.getByRole('button', { name: 'Transfer' }).click();
    await expect.poll(() => heading(other)).toBe('Enter your verification code');
    expect(await other.locator('body').textContent()).toContain('Pay 25.00 EUR to ACME Ltd');
    // A code is accepted once: wait for the next period if the account page's code was of this one.
    const period = Math.floor(Date.now() / 30_000);
    if (period === codePeriod) await new Promise((resolve) => setTimeout(resolve, (period + 1) * 30_000 - Date.now() + 500));
    await other.getByLabel('Verification code').fill(new TOTP({ secret: DEMO.totpSecret }).generate());
    await other.getByRole('button', { name: 'Verify' }).click();
    await other.getByRole('button', { name: 'Approve' }).click();
    // The API wanted phr for its route: the RP followed the challenge with the same payment; the provider asks for the passkey.
    await expect.poll(() => heading(other)).toBe('Confirm with your passkey');
    expect(await other.locator('body').textContent()).toContain('Pay 25.00 EUR to ACME Ltd');
    // The same passkey, copied into this browser's authenticator.
    const copy = await addVirtualAuthenticator(other);
    const { credentials } = await authenticator.cdp.send('WebAuthn.getCredentials', { authenticatorId: authenticator.authenticatorId });
    for (const credential of credentials) await copy.cdp.send('WebAuthn.addCredential', { authenticatorId: copy.authenticatorId, credential });
    await other.getByRole('button', { name: 'Use passkey' }).click();
    await other.getByRole('button', { name: 'Approve' }).click();
    await other.waitForURL(`${stack.rpUrl}/result`);
    await screenshot(other, 'demo-08-challenge-followed');
    expect(await other.locator('[data-challenge]').textContent()).toMatch(/^WWW-Authenticate: DPoP error="insufficient_user_authentication", .*acr_values="phr", max_age="300", algs="ES256"$/);
    expect(await other.locator('[data-sent]').textContent()).toBe('acr_values=phr, max_age=300');
    expect(JSON.parse((await other.locator('[data-sent-operation]').textContent())!)).toMatchObject([{ instructedAmount: { amount: '25.00' } }]);
    expect(await other.locator('[data-retry-status]').textContent()).toBe('200');
    expect(JSON.parse((await other.locator('#api-result pre').textContent())!)).toMatchObject({ transfer: { amount: '25.00' }, balance: '475.00', token: { acr: 'phr' } });
    await second.close();
    await context.close();
  });
});
