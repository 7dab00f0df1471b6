// Operators' view: readiness follows storage; metrics count decisions, verifications and limiter hits and time the
// verifications; log lines carry request ids and no secrets; the audit trail tells how each requirement was met.
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../server/logger.ts';
import { Browser, expectCallback, expectPage } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

let provider: RunningProvider;
let rp: RelyingParty;

/** Every JSON line the provider logged. */
const logLines: Array<Record<string, unknown>> = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, callback) {
    for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
    callback();
  },
});

beforeAll(async () => {
  // Behind one trusted proxy, whose X-Request-Id the provider keeps.
  provider = await startProvider({ metrics: true, logger: createLogger('info', sink), env: { STEPUP_PROXY_HOPS: '1' } });
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

  it('times each factor verification by factor and outcome', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser);
    const wrong = await browser.submit(flow.step, '/password', { username: account.username, password: 'not-it' });
    expectCallback(await browser.submit(wrong, '/password', { username: account.username, password: account.password }));
    const text = await provider.metrics!.registry.metrics();
    expect(sample(text, 'stepup_factor_verification_seconds_count', { factor: 'pwd', outcome: 'success' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'stepup_factor_verification_seconds_count', { factor: 'pwd', outcome: 'invalid_credentials' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'stepup_factor_verification_seconds_sum', { factor: 'pwd', outcome: 'success' })).toBeGreaterThan(0);
    expect(sample(text, 'stepup_factor_verification_seconds_bucket', { factor: 'pwd', outcome: 'success', le: '+Inf' })).toBeGreaterThanOrEqual(1);
  });
});

describe('logs', () => {
  it('tag every line of a request with its id, echoed to the client, and log no secrets or query strings', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const flow = await rp.start(browser, { acr_values: 'aal2', login_hint: account.username });
    const otp = await browser.submit(flow.step, '/password', { username: account.username, password: account.password });
    const code = account.code();
    const callback = expectCallback(await browser.submit(otp, '/otp', { code }));
    const tokens = await rp.finish(flow, callback);

    const given = await fetch(`${provider.issuer}/healthz`, { headers: { 'x-request-id': 'trace-0123456789' } });
    expect(given.headers.get('x-request-id')).toBe('trace-0123456789');
    const invented = await fetch(`${provider.issuer}/.well-known/openid-configuration`, { headers: { 'x-request-id': 'bad id <script>' } });
    expect(invented.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);

    const requests = logLines.filter((line) => line.msg === 'request');
    expect(requests.length).toBeGreaterThan(3);
    for (const line of requests) {
      expect(line.requestId).toEqual(expect.any(String));
      expect(String(line.path)).not.toContain('?');
    }
    expect(requests.map((line) => line.requestId)).toContain(invented.headers.get('x-request-id'));
    expect(new Set(requests.map((line) => line.requestId)).size).toBe(requests.length);
    const all = JSON.stringify(logLines);
    for (const secret of [account.password, code, callback.searchParams.get('code')!, flow.state, tokens.access_token, tokens.id_token!, account.username]) {
      expect(all).not.toContain(secret);
    }
  });
});

describe('audit trail', () => {
  it('records for each decision whether the level was previously satisfied, authenticated now, or stepped up', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    // Single sign-on: the session's password already satisfies aal1, nothing is asked.
    const sso = await rp.start(browser);
    await rp.finish(sso, expectCallback(sso.step));
    const stepUp = await rp.start(browser, { acr_values: 'aal2' });
    expectCallback(await browser.submit(stepUp.step, '/otp', { code: account.code() }));

    const decisions = (await provider.stores.audit.list({ accountId: account.id, type: 'policy.decision', limit: 20 })).reverse();
    const summary = decisions.map((event) => [event.outcome, event.achievedAcr ?? '-', event.satisfaction ?? '-', (event.factors ?? []).join(',')]);
    expect(summary[0]).toEqual(['success', 'aal1', 'authenticated', 'pwd']);
    expect(summary).toContainEqual(['success', 'aal1', 'previously_satisfied', '']);
    expect(summary.at(-2)).toEqual(['info', '-', '-', 'otp']);
    expect(summary.at(-1)).toEqual(['success', 'aal2', 'stepped_up', 'otp']);

    const text = await provider.metrics!.registry.metrics();
    expect(sample(text, 'stepup_decisions_total', { achieved: 'aal1', outcome: 'satisfied', satisfaction: 'previously_satisfied' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'stepup_decisions_total', { achieved: 'aal2', outcome: 'satisfied', satisfaction: 'stepped_up' })).toBeGreaterThanOrEqual(1);
  });
});
