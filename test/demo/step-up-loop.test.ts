// The whole loop over real HTTP between three processes: a transfer approved at the provider as an RFC 9396 payment (the code, the
// approval), executed once by the API with a DPoP-bound token; its misuse refused with the reasons shown; and the audit trail.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import canonicalize from 'canonicalize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { Browser, expectPage, formOf, type Step } from '../integration/harness/browser.ts';
import { startStack, type Stack } from './stack.ts';

/** The demo account the provider seeds in development (published on purpose). */
const DEMO = { username: 'demo', password: 'demo-password', totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' };
const PERIOD_MS = 30_000;
let lastStep = -1;

/**
 * A code of a time step later than any used in this file: each step is accepted once, and only up to one step ahead of
 * the provider's clock, so a third code within one period waits for the next one.
 */
async function freshCode(): Promise<string> {
  const step = Math.max(lastStep + 1, Math.floor(Date.now() / PERIOD_MS));
  while (Math.floor(Date.now() / PERIOD_MS) + 1 < step) await sleep(PERIOD_MS - (Date.now() % PERIOD_MS) + 50);
  lastStep = step;
  return new TOTP({ secret: DEMO.totpSecret, algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: step * PERIOD_MS + 1000 });
}

let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  stack = await startStack();
  // Never a prefix of a real URL: the browser follows every redirect, the RP's callback included.
  browser = new Browser('http://callback.invalid/');
}, 120_000);
afterAll(async () => stack?.stop(), 30_000);

function claims(step: Step, id: string) {
  const page = expectPage(step);
  const list = page.document.querySelector(`#${id}`);
  if (!list) throw new Error(`no #${id} on ${page.url}:\n${page.document.querySelector('main')?.text.slice(0, 800)}`);
  return {
    acr: list.querySelector('[data-claim=acr]')?.text,
    amr: list.querySelector('[data-claim=amr]')?.text,
    authTime: Number(list.querySelector('[data-claim=auth_time]')?.getAttribute('data-value')),
  };
}

function text(step: Step, selector: string): string | undefined {
  return expectPage(step).document.querySelector(selector)?.text.trim();
}

let before: ReturnType<typeof claims>;
let sentAt: number;

/** The payment the first transfer sends, as the token carries it. */
const PAYMENT_25 = [{ type: 'payment', instructedAmount: { currency: 'EUR', amount: '25.00' }, creditorName: 'ACME Ltd', creditorAccount: { iban: 'DE89370400440532013000' } }];

async function balance(): Promise<string | undefined> {
  const page = expectPage(await browser.request(`${stack.rpUrl}/balance`));
  return JSON.parse(page.document.querySelector('#api-result pre')?.text ?? '{}').balance;
}

describe('a transfer, RP → provider (approval) → API', () => {
  it('signs in with the password only: the token held is at aal1', async () => {
    const home = await browser.request(`${stack.rpUrl}/`);
    const login = await browser.submit(home, '/login', {});
    expect(formOf(login)).toBe('password');
    const back = await browser.submit(login, '/password', { username: DEMO.username, password: DEMO.password });
    expect(expectPage(back).url).toBe(`${stack.rpUrl}/`);
    before = claims(back, 'token-now');
    expect(before).toMatchObject({ acr: 'aal1', amr: 'pwd' });
    expect(before.authTime).toBeGreaterThan(0);
  });

  it('sends the transfer as a payment to approve: the code page and the approval page show it, and the API executes it with the DPoP-bound token', async () => {
    // auth_time has a one-second resolution: make the step-up visibly later.
    await sleep(1100);
    const home = await browser.request(`${stack.rpUrl}/`);
    sentAt = Math.floor(Date.now() / 1000);
    const otp = await browser.submit(home, '/transfer', { creditorName: 'ACME Ltd', iban: 'DE89 3704 0044 0532 0130 00', amount: '25' });
    // Straight to the provider: the RP describes the payment instead of trying the API with a token that cannot approve it.
    expect(expectPage(otp).url.startsWith(`${stack.issuer}/interaction/`)).toBe(true);
    expect(formOf(otp)).toBe('otp');
    // The operation in words, with its fields: what the code will approve (the RP normalized the amount and the IBAN).
    expect(text(otp, 'main')).toContain('Pay 25.00 EUR to ACME Ltd');
    expect(text(otp, 'main')).toContain('DE89370400440532013000');
    // The level in words: its acr code is for the tokens and the audit, not for people.
    expect(text(otp, 'main')).not.toMatch(/\baal2\b/);

    const approval = await browser.submit(otp, '/otp', { code: await freshCode() });
    expect(formOf(approval)).toBe('consent');
    expect(text(approval, 'main')).toContain('Pay 25.00 EUR to ACME Ltd');
    expect(expectPage(approval).document.querySelector('form[action$="/consent"] button')?.text.trim()).toBe('Approve');

    const result = await browser.submit(approval, '/consent', {});
    const page = expectPage(result);
    expect(page.url).toBe(`${stack.rpUrl}/result`);

    // What the RP sent: the payment, and no level: the provider's policy decided it.
    expect(page.document.querySelector('[data-challenge]')).toBeNull();
    expect(JSON.parse(text(result, '[data-sent-operation]') ?? '[]')).toEqual(PAYMENT_25);
    // What the provider asked for: only the missing factor.
    expect(page.document.querySelector('[data-proven]')?.getAttribute('data-proven')).toBe('otp');
    // The call with the operation's token: executed, exactly as approved.
    expect(text(result, '[data-retry-status]')).toBe('200');
    expect(page.document.querySelector('#api-result')?.getAttribute('data-status')).toBe('200');
    const answer = JSON.parse(text(result, '#api-result pre') ?? '{}');
    expect(answer).toMatchObject({ transfer: { creditorName: 'ACME Ltd', iban: 'DE89370400440532013000', amount: '25.00', currency: 'EUR' }, balance: '975.00', token: { acr: 'aal2' } });
    expect(answer.approved).toEqual(PAYMENT_25[0]);
    // Sender-constrained: the API saw the token's key thumbprint (cnf.jkt), checked against the proof.
    expect(answer.token.dpop_jkt).toMatch(/^[\w-]{43}$/);
    // Short-lived: the payment type's 120 s, not the resource's 600 s.
    expect(answer.token.exp - answer.token.auth_time).toBeLessThanOrEqual(125);
    expect(answer.token.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));

    // The sign-in now: the new acr and a later auth_time, which the API saw too.
    const after = claims(result, 'token-now');
    expect(after.acr).toBe('aal2');
    expect((after.amr ?? '').split(' ')).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(after.authTime).toBeGreaterThan(before.authTime);
    expect(after.authTime).toBeGreaterThanOrEqual(sentAt);
    expect(answer.token.auth_time).toBe(after.authTime);
    expect(page.document.querySelector('#before-after [data-claim=acr] [data-before]')?.text).toBe('aal1');
    expect(page.document.querySelector('#before-after [data-claim=acr] [data-after]')?.text).toBe('aal2');
    // The token stays on the page, with the two ways to misuse it.
    expect(JSON.parse(text(result, '[data-authorization-details]') ?? '[]')).toEqual(PAYMENT_25);
    expect(page.document.querySelector('form[action="/transfer/changed"] button')?.text).toBe('Send 250.00 EUR with the token approved for 25.00 EUR');
    expect(page.document.querySelector('#operation [data-used]')?.text).toBe('the API executed it already');
  });

  it('refuses the same transfer again with the same token (already used), and shows why; nothing is paid', async () => {
    const home = await browser.request(`${stack.rpUrl}/`);
    const result = expectPage(await browser.submit(home, '/transfer/again', {}));
    expect(result.url).toBe(`${stack.rpUrl}/result`);
    expect(result.document.querySelector('#api-result')?.getAttribute('data-status')).toBe('401');
    expect(result.document.querySelector('[data-refusal-error]')?.text).toBe('invalid_token');
    expect(result.document.querySelector('[data-refusal-reason]')?.text).toMatch(/already used/);
    expect(result.document.querySelector('#api-result .header')?.text).toMatch(/^WWW-Authenticate: DPoP error="invalid_token"/);
    expect(result.document.querySelector('[role=alert]')?.text).toMatch(/^The API refused the token \(invalid_token: .*already used.*\)\. A payment's token is accepted once/);
    // Shown, not followed: no trip to the provider.
    expect(result.document.querySelector('#story')).toBeNull();
    expect(await balance()).toBe('975.00');
  });

  it('refuses ten times the amount with the token approved for 25.00 EUR (not the approved operation), and shows why; nothing is paid', async () => {
    const home = await browser.request(`${stack.rpUrl}/`);
    const result = expectPage(await browser.submit(home, '/transfer/changed', {}));
    expect(result.document.querySelector('h1')?.text).toBe('transfer 250.00 EUR to ACME Ltd with the token approved for 25.00 EUR');
    expect(result.document.querySelector('#api-result')?.getAttribute('data-status')).toBe('403');
    expect(result.document.querySelector('[data-refusal-error]')?.text).toBe('insufficient_authorization_details');
    expect(result.document.querySelector('#api-result .header')?.text).toMatch(/^WWW-Authenticate: DPoP error="insufficient_authorization_details"/);
    expect(result.document.querySelector('[role=alert]')?.text).toMatch(
      /^The API refused the call \(insufficient_authorization_details.*\)\. The token approves one operation, and this call is another one/,
    );
    expect(result.document.querySelector('#story')).toBeNull();
    expect(await balance()).toBe('975.00');
  });

  it('a second transfer gets its own approval and its own token', async () => {
    const home = await browser.request(`${stack.rpUrl}/`);
    // Each payment is approved by a factor proven for it (dynamic linking): the code again, on a page showing this one.
    const otp = await browser.submit(home, '/transfer', { creditorName: 'Bob', iban: 'FR1420041010050500013M02606', amount: '10.50' });
    expect(formOf(otp)).toBe('otp');
    expect(text(otp, 'main')).toContain('Pay 10.50 EUR to Bob');
    const approval = await browser.submit(otp, '/otp', { code: await freshCode() });
    expect(formOf(approval)).toBe('consent');
    expect(text(approval, 'main')).toContain('Pay 10.50 EUR to Bob');
    const result = expectPage(await browser.submit(approval, '/consent', {}));
    expect(result.document.querySelector('#api-result')?.getAttribute('data-status')).toBe('200');
    expect(JSON.parse(result.document.querySelector('#api-result pre')?.text ?? '{}')).toMatchObject({ transfer: { creditorName: 'Bob', amount: '10.50' }, balance: '964.50' });
  });

  it('is not paid above 100 EUR without a passkey (unmet), nor when the user cancels on the approval page; the page says so', async () => {
    const home = await browser.request(`${stack.rpUrl}/`);
    const approval = await browser.submit(home, '/transfer', { creditorName: 'Mallory', iban: 'DE89370400440532013000', amount: '900' });
    // Above 100 EUR: a passkey, which this account does not have.
    expect(formOf(approval)).toBe('other');
    expect(expectPage(approval).url).toBe(`${stack.rpUrl}/result`);
    expect(text(approval, '[data-provider-error]')).toBe('unmet_authentication_requirements');
    const small = await browser.submit(await browser.request(`${stack.rpUrl}/`), '/transfer', { creditorName: 'Mallory', iban: 'DE89370400440532013000', amount: '90' });
    // Cancelled on the code page that shows the payment.
    expect(formOf(small)).toBe('otp');
    const result = expectPage(await browser.submit(small, '/abort', {}));
    expect(result.url).toBe(`${stack.rpUrl}/result`);
    expect(text(result, '[role=alert]')).toBe('You did not approve the payment at the provider (access_denied): nothing was paid.');
    expect(await balance()).toBe('964.50');
  });

  it('refuses a form it cannot make a payment of before any redirect (400, the reason on the page)', async () => {
    const home = await browser.request(`${stack.rpUrl}/`);
    const refused = expectPage(await browser.submit(home, '/transfer', { creditorName: 'ACME Ltd', iban: 'not an iban', amount: '1' }));
    expect(refused.status).toBe(400);
    expect(refused.url).toBe(`${stack.rpUrl}/transfer`);
    expect(refused.document.querySelector('[role=alert]')?.text).toMatch(/IBAN/);
  });

  it('uses the stepped-up token on a route that needs less (aal2 satisfies aal1)', async () => {
    const result = await browser.request(`${stack.rpUrl}/balance`);
    expect(expectPage(result).document.querySelector('#api-result')?.getAttribute('data-status')).toBe('200');
    expect(JSON.parse(text(result, '#api-result pre') ?? '{}')).toMatchObject({ balance: '964.50', token: { acr: 'aal2' } });
    expect(expectPage(result).document.querySelector('#story')).toBeNull();
  });

  it('leaves an audit trail an operator can follow: the decision for the payment with its hash, the code, the result', async () => {
    const listed = stack.cli(['audit', 'list', '--account', 'demo', '--json', '--limit', '50']);
    expect(listed.status, listed.stderr).toBe(0);
    const events = (JSON.parse(listed.stdout) as Array<Record<string, unknown>>).reverse();
    const ours = events.filter((event) => event.clientId === stack.clientId);
    const stepUp = ours.findIndex((event) => event.type === 'policy.decision' && event.outcome === 'info');
    expect(ours[stepUp], JSON.stringify(ours, null, 1)).toMatchObject({ reason: expect.stringMatching(/needs otp$/) });
    const rest = ours.slice(stepUp + 1);
    expect(rest.find((event) => event.type === 'factor.verify')).toMatchObject({ factor: 'otp', outcome: 'success' });
    const hash = createHash('sha256').update(canonicalize(PAYMENT_25)!).digest('hex');
    // The code was proven for this payment, and the decision that issued its token (after the approval) names it.
    expect(rest.find((event) => event.type === 'factor.verify')).toMatchObject({ operation: { types: ['payment'], hash } });
    expect(rest.find((event) => event.type === 'policy.decision' && event.outcome === 'success' && event.operation)).toMatchObject({ achievedAcr: 'aal2', operation: { types: ['payment'], hash } });
  });
});

describe('back-channel logout', () => {
  it("an operator's sessions revoke signs the user out of the demo application too", async () => {
    expect(expectPage(await browser.request(`${stack.rpUrl}/`)).document.querySelector('#token-now')).toBeTruthy();
    const revoked = stack.cli(['user', 'sessions', 'revoke', DEMO.username, '--reason', 'e2e: lost laptop', '--operator', 'e2e']);
    expect(revoked.status, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/notified 1 relying party/);
    const home = expectPage(await browser.request(`${stack.rpUrl}/`));
    expect(home.document.querySelector('#token-now')).toBeNull();
    expect(home.html).toContain('You are not signed in.');
  });

  it('a transfer asked for before signing in: the password, the code and the approval, then it is paid', async () => {
    const fresh = new Browser('http://callback.invalid/');
    const login = await fresh.submit(await fresh.request(`${stack.rpUrl}/`), '/transfer', { creditorName: 'Carol', iban: 'DE89370400440532013000', amount: '5' });
    expect(formOf(login)).toBe('password');
    expect(text(login, 'body')).toContain('Pay 5.00 EUR to Carol');
    const otp = await fresh.submit(login, '/password', { username: DEMO.username, password: DEMO.password });
    expect(formOf(otp)).toBe('otp');
    const approval = await fresh.submit(otp, '/otp', { code: await freshCode() });
    expect(formOf(approval), text(approval, 'main')).toBe('consent');
    const result = expectPage(await fresh.submit(approval, '/consent', {}));
    expect(result.document.querySelector('#api-result')?.getAttribute('data-status')).toBe('200');
    expect(JSON.parse(result.document.querySelector('#api-result pre')?.text ?? '{}')).toMatchObject({ transfer: { creditorName: 'Carol', amount: '5.00' }, token: { acr: 'aal2' } });
  });

  it('the RP refuses a forged logout token with 400', async () => {
    const response = await fetch(`${stack.rpUrl}/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJkZW1vLWFjY291bnQifQ.' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('the demo API answers bad tokens over HTTP with challenges, never 500', () => {
  // The transfer route requires DPoP (RFC 9449): every refusal there uses the DPoP scheme, with the algorithms it accepts.
  it.each([
    ['no token', undefined, 401, (api: string) => `DPoP realm="${api}", algs="ES256"`],
    ['a forged JWT', 'Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2ln', 401, () => 'DPoP error="invalid_token", error_description="the token signature is invalid", algs="ES256"'],
    [
      'a forged JWT sent as DPoP without a proof',
      'DPoP eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2ln',
      401,
      () => /^DPoP error="invalid_(token|dpop_proof)", error_description="[^"]+", algs="ES256"$/,
    ],
    [
      'an opaque token',
      'Bearer c29tZS1vcGFxdWUtdG9rZW4',
      401,
      () => 'DPoP error="invalid_token", error_description="the access token is not a JWT and this API does not introspect opaque tokens", algs="ES256"',
    ],
    ['a malformed header', 'Bearer a b', 400, () => /^DPoP error="invalid_request", error_description="[^"]+", algs="ES256"$/],
  ])('%s', async (_name, authorization, status, challenge) => {
    const response = await fetch(`${stack.apiUrl}/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify({ creditorName: 'mallory', iban: 'DE89370400440532013000', amount: '1.00', currency: 'EUR' }),
    });
    expect(response.status).toBe(status);
    const expected = challenge(stack.apiUrl);
    if (typeof expected === 'string') expect(response.headers.get('www-authenticate')).toBe(expected);
    else expect(response.headers.get('www-authenticate')).toMatch(expected);
  });
});
