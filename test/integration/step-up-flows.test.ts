// The step-up core over real HTTP: openid-client as the RP, the real forms, the real provider.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { Browser, expectCallback, expectPage, formOf } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

let provider: RunningProvider;
let rp: RelyingParty;

beforeAll(async () => {
  provider = await startProvider();
  rp = await relyingParty(provider);
});
afterAll(async () => provider?.close());

async function signIn(browser: Browser, account: TestAccount, params: Record<string, string> = {}) {
  const flow = await rp.start(browser, params);
  expect(formOf(flow.step)).toBe('password');
  const done = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
  return rp.finish(flow, expectCallback(done));
}

describe('when a user signs in with a password', () => {
  it('issues acr=aal1, amr with pwd and auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const before = provider.clock.now();
    const tokens = await signIn(browser, account);
    const claims = tokens.claims()!;
    expect(claims.sub).toBe(account.id);
    expect(claims.acr).toBe('aal1');
    expect(claims.amr).toEqual(['pwd']);
    expect(claims.auth_time).toBeGreaterThanOrEqual(before);
  });

  it('refuses a wrong password with a clear message and no redirect', async () => {
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser);
    const step = expectPage(await browser.submit(flow.step, '/password', { username: account.username, password: 'wrong' }));
    expect(step.status).toBe(401);
    expect(step.document.querySelector('[role=alert]')?.text).toContain('Wrong username or password');
  });
});

describe('when the same session asks for aal2', () => {
  it('asks only for the TOTP code and issues aal2 with pwd, otp, mfa and a new auth_time', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const first = (await signIn(browser, account)).claims()!;
    provider.clock.advance(5);

    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expect(formOf(flow.step)).toBe('otp');
    expect(expectPage(flow.step).document.querySelector('.why')?.text).toMatch(/asks for two-step verification \(aal2\)/);
    const done = await browser.submit(flow.step, '/otp', { code: account.code() });
    const claims = (await rp.finish(flow, expectCallback(done))).claims()!;
    expect(claims.acr).toBe('aal2');
    expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
    expect(claims.auth_time).toBeGreaterThan(first.auth_time!);
  });

  it('refuses the same TOTP code twice (replay)', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await signIn(browser, account);
    const code = account.code();
    const flow = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(flow.step, '/otp', { code }));

    const other = new Browser(CALLBACK);
    await signIn(other, account);
    const again = await rp.start(other, { acr_values: 'aal2' });
    const refused = expectPage(await other.submit(again.step, '/otp', { code }));
    expect(refused.status).toBe(401);
    expect(refused.document.querySelector('[role=alert]')?.text).toContain('already used');
  });
});
