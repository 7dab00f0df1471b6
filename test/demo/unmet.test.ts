// When the API asks for a level the account cannot reach (phr without a passkey), the RP follows its challenge once, with the
// payment, shows the provider's error and stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { Browser, expectPage, formOf } from '../integration/harness/browser.ts';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ transfer: { acr: 'phr', maxAge: 300 } });
}, 120_000);
afterAll(async () => stack?.stop(), 30_000);

describe('a transfer that the API wants at phr, for an account without a passkey', () => {
  it('is approved at aal2 as the policy asks, challenged by the API for phr, and the provider answers unmet_authentication_requirements: the RP stops without looping', async () => {
    const browser = new Browser('http://callback.invalid/');
    const login = await browser.submit(await browser.request(`${stack.rpUrl}/`), '/login', {});
    const home = await browser.submit(login, '/password', { username: 'demo', password: 'demo-password' });
    // 1.00 EUR: the provider's policy asks aal2 (the code) and the approval.
    const otp = await browser.submit(home, '/transfer', { creditorName: 'ACME Ltd', iban: 'DE89370400440532013000', amount: '1.00' });
    expect(formOf(otp)).toBe('otp');
    const code = new TOTP({ secret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' }).generate();
    const approval = await browser.submit(otp, '/otp', { code });
    expect(formOf(approval)).toBe('consent');
    // The API wants more than the policy gave (DEMO_TRANSFER_ACR=phr): its RFC 9470 challenge sends the user back, with the payment.
    const result = expectPage(await browser.submit(approval, '/consent', {}));

    expect(result.url).toBe(`${stack.rpUrl}/result`);
    expect(result.document.querySelector('[data-challenge]')?.text).toMatch(/^WWW-Authenticate: DPoP error="insufficient_user_authentication", .*acr_values="phr", max_age="300", algs="ES256"$/);
    expect(result.document.querySelector('[data-sent]')?.text).toBe('acr_values=phr, max_age=300');
    expect(JSON.parse(result.document.querySelector('[data-sent-operation]')?.text ?? '[]')).toMatchObject([{ type: 'payment', instructedAmount: { amount: '1.00' } }]);
    expect(result.document.querySelector('[data-provider-error]')?.text).toBe('unmet_authentication_requirements');
    expect(result.document.querySelector('[role=alert]')?.text).toMatch(/did not sign you in: unmet_authentication_requirements/);
    expect(result.document.querySelector('[data-retry-status]')).toBeNull();
    // Still signed in, at the level the approval reached: a failed step-up never costs the session its tokens.
    expect(result.document.querySelector('#token-now [data-claim=acr]')?.text).toBe('aal2');
    // The balance is untouched.
    const balance = expectPage(await browser.request(`${stack.rpUrl}/balance`));
    expect(JSON.parse(balance.document.querySelector('#api-result pre')?.text ?? '{}')).toMatchObject({ balance: '1000.00' });
  });
});
