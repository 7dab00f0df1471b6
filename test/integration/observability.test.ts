// Operators' view: readiness follows storage, and metrics count decisions, verifications and limiter hits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, expectCallback, expectPage } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

let provider: RunningProvider;
let rp: RelyingParty;

beforeAll(async () => {
  provider = await startProvider({ metrics: true });
  rp = await relyingParty(provider);
});
afterAll(async () => provider?.close());

function sample(text: string, name: string, labels: Record<string, string>): number {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${name}{`) && wanted.every((part) => candidate.includes(part)));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('observability', () => {
  it('answers /healthz and /readyz while storage works', async () => {
    expect((await fetch(`${provider.issuer}/healthz`)).status).toBe(200);
    const ready = await fetch(`${provider.issuer}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('counts decisions by requested and achieved level, verifications and limiter hits', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const stepUp = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(stepUp.step, '/otp', { code: account.code() }));
    const guesser = new Browser(CALLBACK);
    let step = (await rp.start(guesser)).step;
    for (let attempt = 0; attempt < provider.config.limiter.freeAttempts + 2; attempt += 1) {
      step = await guesser.submit(step, '/password', { username: account.username, password: `wrong-${attempt}` });
    }
    expect(expectPage(step).status).toBe(429);

    const text = await provider.metrics!.registry.metrics();
    expect(sample(text, 'stepup_decisions_total', { requested: 'aal2', achieved: 'aal2', outcome: 'satisfied' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'stepup_decisions_total', { requested: 'aal2', achieved: 'none', outcome: 'step_up' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'stepup_factor_verifications_total', { factor: 'otp', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'stepup_factor_verifications_total', { factor: 'pwd', outcome: 'failure' })).toBeGreaterThanOrEqual(provider.config.limiter.freeAttempts);
    expect(sample(text, 'stepup_attempt_limit_hits_total', { factor: 'pwd', reason: 'throttled' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(account.password);
  });
});
