// When the API asks for a level the account cannot reach (phr without a passkey), the RP shows the provider's error and stops.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, expectPage } from '../integration/harness/browser.ts';
import { startStack, type Stack } from './stack.ts';

let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ transfer: { acr: 'phr', maxAge: 300 } });
}, 120_000);
afterAll(async () => stack?.stop(), 30_000);

describe('a transfer that needs phr, for an account without a passkey', () => {
  it('is challenged for phr, the provider answers unmet_authentication_requirements, and the RP stops without looping', async () => {
    const browser = new Browser('http://callback.invalid/');
    const login = await browser.submit(await browser.request(`${stack.rpUrl}/`), '/login', {});
    const home = await browser.submit(login, '/password', { username: 'demo', password: 'demo-password' });
    const result = expectPage(await browser.submit(home, '/transfer', { to: 'bob', amount: '1.00' }));

    expect(result.url).toBe(`${stack.rpUrl}/result`);
    expect(result.document.querySelector('[data-challenge]')?.text).toMatch(/acr_values="phr", max_age=300$/);
    expect(result.document.querySelector('[data-provider-error]')?.text).toBe('unmet_authentication_requirements');
    expect(result.document.querySelector('[role=alert]')?.text).toMatch(/did not sign you in: unmet_authentication_requirements/);
    expect(result.document.querySelector('[data-retry-status]')).toBeNull();
    // Still signed in at aal1: a failed step-up never costs the session its tokens.
    expect(result.document.querySelector('#token-now [data-claim=acr]')?.text).toBe('aal1');
    // The balance is untouched.
    const balance = expectPage(await browser.request(`${stack.rpUrl}/balance`));
    expect(JSON.parse(balance.document.querySelector('#api-result pre')?.text ?? '{}')).toMatchObject({ balance: '1000.00' });
  });
});
