// Discovery advertises the ladder; client defaults (default_acr_values, default_max_age) drive step-up; decisions are audited.
import { describe, expect, it } from 'vitest';
import { Browser, expectCallback, formOf } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK, relyingParty } from './harness/rp.ts';

const { provider } = useProvider();

describe('discovery', () => {
  it('advertises the ladder in ascending rank, the claims parameter and acr/amr/auth_time', async () => {
    const discovery = await (await fetch(`${provider.issuer}/.well-known/openid-configuration`)).json();
    expect(discovery.acr_values_supported).toEqual(['aal1', 'aal2', 'phr']);
    expect(discovery.claims_parameter_supported).toBe(true);
    expect(discovery.claims_supported).toEqual(expect.arrayContaining(['acr', 'amr', 'auth_time']));
  });
});

describe('client defaults', () => {
  it('default_acr_values asks for the second factor when the request names no level', async () => {
    const rp = await relyingParty(provider, { default_acr_values: ['aal2'] });
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser);
    const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    expect(formOf(otp)).toBe('otp');
    expect((await rp.finish(flow, expectCallback(await browser.submit(otp, '/otp', { code: account.code() })))).claims()!.acr).toBe('aal2');
  });

  it('default_max_age re-authenticates an older session', async () => {
    const rp = await relyingParty(provider, { default_max_age: 60 });
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    const first = (await rp.signIn(browser, account)).claims()!;
    provider.clock.advance(61);
    const again = await rp.start(browser);
    expect(formOf(again.step)).toBe('password');
    const claims = (await rp.finish(again, expectCallback(await browser.submit(again.step, '/password', { password: account.password })))).claims()!;
    expect(claims.auth_time).toBeGreaterThan(first.auth_time!);
  });
});

describe('the audit log', () => {
  it('records each decision with what was requested and achieved, and each factor verification', async () => {
    const rp = await relyingParty(provider);
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepUp = await rp.start(browser, { acr_values: 'aal2', max_age: '600' });
    await rp.finish(stepUp, expectCallback(await browser.submit(stepUp.step, '/otp', { code: account.code() })));

    const events = await provider.stores.audit.list({ accountId: account.id, limit: 50 });
    const decisions = events.filter((event) => event.type === 'policy.decision');
    expect(decisions).toContainEqual(
      expect.objectContaining({ outcome: 'info', clientId: rp.clientId, requestedAcr: ['aal2'], requestedMaxAge: 600, reason: expect.stringMatching(/^step_up: .*needs otp/) }),
    );
    expect(decisions).toContainEqual(expect.objectContaining({ outcome: 'success', requestedAcr: ['aal2'], achievedAcr: 'aal2', amr: expect.arrayContaining(['otp', 'mfa']) }));
    const verifications = events.filter((event) => event.type === 'factor.verify').map((event) => `${event.factor}:${event.outcome}`);
    expect(verifications).toEqual(['otp:success', 'pwd:success']);
    expect(JSON.stringify(events)).not.toContain(account.password);
  });
});
