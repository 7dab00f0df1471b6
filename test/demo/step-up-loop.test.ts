// The whole loop over real HTTP between three processes: API challenge → provider step-up → retry succeeds; and the audit trail.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOTP } from 'otpauth';
import { Browser, expectPage, formOf, type Step } from '../integration/harness/browser.ts';
import { startStack, type Stack } from './stack.ts';

/** The demo account the provider seeds in development (published on purpose). */
const DEMO = { username: 'demo', password: 'demo-password', totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP' };

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
let challengeSeenAt: number;

describe('the step-up loop, RP → API → provider → API', () => {
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

  it("gets the API's challenge on the first call, is asked only for the one-time code, and the retry succeeds", async () => {
    // auth_time has a one-second resolution: make the step-up visibly later.
    await sleep(1100);
    const home = await browser.request(`${stack.rpUrl}/`);
    challengeSeenAt = Math.floor(Date.now() / 1000);
    const otp = await browser.submit(home, '/transfer', { to: 'bob', amount: '25.00' });
    expect(expectPage(otp).url.startsWith(`${stack.issuer}/interaction/`)).toBe(true);
    expect(formOf(otp)).toBe('otp');
    expect(text(otp, '.why')).toMatch(/asks for two-step verification, proven within the last 5 minutes\.$/);
    // The level in words: its acr code is for the tokens and the audit, not for people.
    expect(text(otp, 'main')).not.toMatch(/\baal2\b/);

    const code = new TOTP({ secret: DEMO.totpSecret, algorithm: 'SHA1', digits: 6, period: 30 }).generate();
    const result = await browser.submit(otp, '/otp', { code });
    const page = expectPage(result);
    expect(page.url).toBe(`${stack.rpUrl}/result`);

    // What the API asked for, as the RP received it.
    expect(page.document.querySelector('[data-step=challenge] [data-status]')?.text).toBe('401');
    expect(text(result, '[data-challenge]')).toBe(
      'WWW-Authenticate: Bearer error="insufficient_user_authentication", error_description="aal2 is required and the token is at aal1", acr_values="aal2 phr", max_age=300',
    );
    expect(text(result, '[data-sent]')).toBe('acr_values=aal2 phr, max_age=300');
    // What the provider asked for: only the missing factor.
    expect(page.document.querySelector('[data-proven]')?.getAttribute('data-proven')).toBe('otp');
    // The retry with the new token.
    expect(text(result, '[data-retry-status]')).toBe('200');
    expect(page.document.querySelector('#api-result')?.getAttribute('data-status')).toBe('200');
    const answer = JSON.parse(text(result, '#api-result pre') ?? '{}');
    expect(answer).toMatchObject({ transfer: { to: 'bob', amount: '25.00' }, balance: '975.00', token: { acr: 'aal2' } });
    expect(answer.token.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));

    // The token now held: the new acr and a later auth_time, which the API saw too.
    const after = claims(result, 'token-now');
    expect(after.acr).toBe('aal2');
    expect((after.amr ?? '').split(' ')).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(after.authTime).toBeGreaterThan(before.authTime);
    expect(after.authTime).toBeGreaterThanOrEqual(challengeSeenAt);
    expect(answer.token.auth_time).toBe(after.authTime);
    expect(page.document.querySelector('#before-after [data-claim=acr] [data-before]')?.text).toBe('aal1');
    expect(page.document.querySelector('#before-after [data-claim=acr] [data-after]')?.text).toBe('aal2');
  });

  it('uses the stepped-up token on a route that needs less (aal2 satisfies aal1)', async () => {
    const result = await browser.request(`${stack.rpUrl}/balance`);
    expect(expectPage(result).document.querySelector('#api-result')?.getAttribute('data-status')).toBe('200');
    expect(JSON.parse(text(result, '#api-result pre') ?? '{}')).toMatchObject({ balance: '975.00', token: { acr: 'aal2' } });
    expect(expectPage(result).document.querySelector('#story')).toBeNull();
  });

  it('leaves an audit trail an operator can follow: the step-up decision with what the RP asked, the code, the result', async () => {
    const listed = stack.cli(['audit', 'list', '--account', 'demo', '--json', '--limit', '50']);
    expect(listed.status, listed.stderr).toBe(0);
    const events = (JSON.parse(listed.stdout) as Array<Record<string, unknown>>).reverse();
    const ours = events.filter((event) => event.clientId === stack.clientId);
    const stepUp = ours.findIndex((event) => event.type === 'policy.decision' && event.outcome === 'info');
    expect(ours[stepUp]).toMatchObject({
      requestedAcr: ['aal2', 'phr'],
      requestedMaxAge: 300,
      reason: 'step_up: aal2 requested within 300s; session at aal1; needs otp',
    });
    const rest = ours.slice(stepUp + 1);
    expect(rest.find((event) => event.type === 'factor.verify')).toMatchObject({ factor: 'otp', outcome: 'success' });
    expect(rest.find((event) => event.type === 'policy.decision')).toMatchObject({ outcome: 'success', requestedAcr: ['aal2', 'phr'], requestedMaxAge: 300, achievedAcr: 'aal2' });
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

  it('the RP refuses a forged logout token with 400', async () => {
    const response = await fetch(`${stack.rpUrl}/backchannel-logout`, { method: 'POST', body: new URLSearchParams({ logout_token: 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJkZW1vLWFjY291bnQifQ.' }) });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_request' });
  });
});

describe('the demo API answers bad tokens over HTTP with challenges, never 500', () => {
  it.each([
    ['no token', undefined, 401, (api: string) => `Bearer realm="${api}"`],
    ['a forged JWT', 'Bearer eyJhbGciOiJFUzI1NiIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJ4In0.c2ln', 401, () => 'Bearer error="invalid_token", error_description="the token signature is invalid"'],
    ['an opaque token', 'Bearer c29tZS1vcGFxdWUtdG9rZW4', 401, () => 'Bearer error="invalid_token", error_description="the access token is not a JWT and this API does not introspect opaque tokens"'],
    ['a malformed header', 'Bearer a b', 400, () => 'Bearer error="invalid_request", error_description="the Authorization header must be: Bearer <token>"'],
  ])('%s', async (_name, authorization, status, challenge) => {
    const response = await fetch(`${stack.apiUrl}/transfer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization && { authorization }) },
      body: JSON.stringify({ to: 'mallory', amount: '1' }),
    });
    expect(response.status).toBe(status);
    expect(response.headers.get('www-authenticate')).toBe(challenge(stack.apiUrl));
  });
});
