// A scripted attacker guessing at full speed over HTTP, against one account and spread over many accounts from one
// address, measured in guesses that reached a verifier. Time is the provider's test clock: the attacker waits out
// every Retry-After by moving it, which is the fastest any attacker can go. Behind one trusted proxy (STEPUP_PROXY_HOPS=1),
// each "address" is the X-Forwarded-For entry that proxy appends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADDRESS_LIMIT, attemptKeys, backoffDelay } from '../../authenticators/index.ts';
import { SoftAuthenticator } from '../support/soft-authenticator.ts';
import { Browser, expectCallback, expectPage, type Step } from './harness/browser.ts';
import { createAccount, type TestAccount } from './harness/accounts.ts';
import { startProvider, type RunningProvider } from './harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from './harness/rp.ts';

const DAY = 24 * 3600;
/** Hard caps on every attack loop, far above what the limits allow. */
const MAX_REQUESTS = 5000;

let provider: RunningProvider;
let rp: RelyingParty;

beforeAll(async () => {
  provider = await startProvider({
    hostname: 'localhost',
    env: { STEPUP_PROXY_HOPS: '1', STEPUP_ADDRESS_MAX_FAILURES: String(DEFAULT_ADDRESS_LIMIT.maxFailures), STEPUP_ADDRESS_WINDOW: String(DEFAULT_ADDRESS_LIMIT.windowSeconds) },
  });
  rp = await relyingParty(provider);
});
afterAll(async () => provider?.close());

let addressCounter = 0;
/** A browser at a fresh documentation address (RFC 5737), as the trusted proxy reports it. */
function browserAt(address = `198.51.100.${++addressCounter}`): Browser {
  return new Browser(CALLBACK, { 'x-forwarded-for': address });
}

/** Guesses that reached a verifier: failed verifications of the factor that were not refused by a limit. */
async function verifiedWrongGuesses(factor: 'pwd' | 'otp', accountId?: string): Promise<number> {
  let count = 0;
  // The whole audit chain, page by page (queries are capped at 1000 events).
  for (let page = await provider.stores.audit.readChain(0, 1000); page.length > 0; page = await provider.stores.audit.readChain(page.at(-1)!.seq, 1000)) {
    count += page.filter(
      ({ event }) =>
        event.type === 'factor.verify' &&
        event.outcome === 'failure' &&
        event.factor === factor &&
        (accountId === undefined || event.accountId === accountId) &&
        (event.refusal === 'invalid_credentials' || event.refusal === 'replayed'),
    ).length;
  }
  return count;
}

function wrongPassword(i: number): string {
  return `Summer2026!${i}`;
}

function options(step: Step): { challenge: string } {
  return JSON.parse(expectPage(step).document.querySelector('#passkey-options')!.text);
}

describe('one account, guessed at full speed', () => {
  let account: TestAccount;
  let authn: SoftAuthenticator;

  beforeAll(async () => {
    account = await createAccount(provider);
    authn = new SoftAuthenticator({ rpId: 'localhost', origin: provider.issuer });
    const setup = browserAt();
    await rp.signIn(setup, account);
    const page = await setup.request(`${provider.issuer}/account/passkey`);
    const registered = authn.register({ challenge: options(page).challenge, userId: account.id });
    expect(expectPage(await setup.submit(page, '/account/passkey', { response: JSON.stringify(registered), label: 'Laptop' })).html).toContain('Your passkey is ready.');
    provider.clock.advance(provider.config.policy.recovery.coolOff);
  });

  it('lets at most the free attempts reach the verifier in a burst, whatever address each guess comes from', async () => {
    const { freeAttempts } = provider.config.limiter;
    const before = await verifiedWrongGuesses('pwd', account.id);
    let refused = 0;
    for (let i = 0; i < 200; i++) {
      // A botnet: every guess from another address, so no address budget ever applies.
      const browser = browserAt(`203.0.113.${(i % 250) + 1}`);
      const step = expectPage(await browser.submit((await rp.start(browser)).step, '/password', { username: account.username, password: wrongPassword(i) }));
      if (step.status === 429) refused += 1;
      else expect(step.status).toBe(401);
    }
    expect((await verifiedWrongGuesses('pwd', account.id)) - before).toBe(freeAttempts + 1);
    expect(refused).toBe(200 - freeAttempts - 1);
  });

  it('over a day of guessing as fast as the back-off allows, reaches at most lockAfter guesses, then locks', async () => {
    const policy = provider.config.limiter;
    const browser = browserAt('203.0.113.200');
    let step = (await rp.start(browser)).step;
    const failuresBefore = (await provider.stores.attempts.get(attemptKeys.password(account.id)))?.failures ?? 0;
    const start = provider.clock.now();
    let requests = 0;
    let locked = false;
    while (provider.clock.now() - start < DAY && requests < MAX_REQUESTS) {
      requests += 1;
      step = await browser.submit(step, '/password', { username: account.username, password: wrongPassword(1000 + requests) });
      const page = expectPage(step);
      if (page.status === 429 && page.html.includes('locked')) {
        locked = true;
        break;
      }
      const retryAfter = Number(page.headers.get('retry-after') ?? 0);
      if (page.status === 429) provider.clock.advance(retryAfter);
    }
    expect(locked).toBe(true);
    expect(await verifiedWrongGuesses('pwd', account.id)).toBe(policy.lockAfter);
    // The back-off held the attacker: between guesses n and n+1 it waited at least backoffDelay(n) (a minute of
    // slack for the first wait, partly spent in real time before this test began).
    let minimum = 0;
    for (let n = failuresBefore; n < policy.lockAfter; n += 1) minimum += backoffDelay(n, policy);
    expect(provider.clock.now() - start).toBeGreaterThanOrEqual(minimum - 60);
  });

  it('keeps the right password out while locked, and lets its owner out with a passkey', async () => {
    const owner = browserAt();
    const blocked = expectPage(await owner.submit((await rp.start(owner)).step, '/password', { username: account.username, password: account.password }));
    expect(blocked.status).toBe(429);
    expect(blocked.document.querySelector('[role=alert]')?.text).toMatch(/locked.*Sign in with a passkey/);

    const flow = await rp.start(owner);
    const assertion = authn.assert({ challenge: options(flow.step).challenge });
    const tokens = await rp.finish(flow, expectCallback(await owner.submit(flow.step, '/passkey', { response: JSON.stringify(assertion) })));
    expect(tokens.claims()?.sub).toBe(account.id);

    const [unlock] = await provider.stores.audit.list({ accountId: account.id, type: 'account.unlock', limit: 1 });
    expect(unlock).toMatchObject({ factor: 'passkey', cleared: { pwd: 100 }, reason: expect.stringMatching(/cleared 100 failed password/) });
    const elsewhere = browserAt();
    await expect(rp.signIn(elsewhere, account)).resolves.toBeDefined();
  });
});

describe('many accounts, one address', () => {
  const attacker = '192.0.2.66';
  let accounts: TestAccount[];
  /** The attacker also knows one victim's password and signed in with it, from the same address. */
  let victimSession: Browser;

  beforeAll(async () => {
    accounts = await Promise.all(Array.from({ length: 40 }, () => createAccount(provider, { totp: true })));
    // Start at the beginning of an address window, so one window's budget is measured whole.
    const { windowSeconds } = provider.config.addressLimit;
    provider.clock.advance(windowSeconds - (provider.clock.now() % windowSeconds));
    // A right password spends nothing of the address's budget.
    victimSession = browserAt(attacker);
    await rp.signIn(victimSession, accounts[1]!);
  });

  /** One wrong password per account in turn from `address`; returns the statuses. */
  async function spray(address: string, rounds: number): Promise<number[]> {
    const browser = browserAt(address);
    let step = (await rp.start(browser)).step;
    const statuses: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const [i, account] of accounts.entries()) {
        step = await browser.submit(step, '/password', { username: account.username, password: wrongPassword(round * 100 + i) });
        statuses.push(expectPage(step).status);
      }
    }
    return statuses;
  }

  it('lets one address make maxFailures wrong guesses per window over all accounts, then refuses it everywhere', async () => {
    const { maxFailures } = provider.config.addressLimit;
    const before = await verifiedWrongGuesses('pwd');
    const statuses = await spray(attacker, 2);
    expect(statuses.filter((status) => status === 401)).toHaveLength(maxFailures);
    expect(statuses.filter((status) => status === 429)).toHaveLength(statuses.length - maxFailures);
    expect((await verifiedWrongGuesses('pwd')) - before).toBe(maxFailures);
  });

  it('tells the attacker when the window ends and audits the refusal as the address limit', async () => {
    const browser = browserAt(attacker);
    const page = expectPage(await browser.submit((await rp.start(browser)).step, '/password', { username: accounts[0]!.username, password: 'x-guess' }));
    expect(page.status).toBe(429);
    expect(page.document.querySelector('[role=alert]')?.text).toMatch(/from your network/);
    const retryAfter = Number(page.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(provider.config.addressLimit.windowSeconds);
    const [last] = await provider.stores.audit.list({ accountId: accounts[0]!.id, type: 'factor.verify', limit: 1 });
    expect(last).toMatchObject({ refusal: 'throttled', limit: 'address', reason: 'throttled (client address)' });
  });

  it('counts TOTP guesses on the same budget', async () => {
    const victim = accounts[1]!;
    const stepUp = await rp.start(victimSession, { acr_values: 'aal2' });
    // The password guesses used up the address's budget: TOTP guesses from it are refused before any code is checked.
    const before = await verifiedWrongGuesses('otp', victim.id);
    const page = expectPage(await victimSession.submit(stepUp.step, '/otp', { code: '000000' }));
    expect(page.status).toBe(429);
    expect(await verifiedWrongGuesses('otp', victim.id)).toBe(before);
  });

  it('does not let the attacker escape by putting other addresses to the left of X-Forwarded-For', async () => {
    const statuses = [];
    for (let i = 0; i < 20; i++) {
      const browser = browserAt(`10.${i}.0.1, ${attacker}`);
      statuses.push(expectPage(await browser.submit((await rp.start(browser)).step, '/password', { username: accounts[i]!.username, password: 'spoofed' })).status);
    }
    expect(new Set(statuses)).toEqual(new Set([429]));
  });

  it('leaves other addresses alone, and the budget renews in the next window', async () => {
    await expect(rp.signIn(browserAt('192.0.2.88'), accounts[2]!)).resolves.toBeDefined();
    provider.clock.advance(provider.config.addressLimit.windowSeconds);
    const browser = browserAt(attacker);
    const page = expectPage(await browser.submit((await rp.start(browser)).step, '/password', { username: accounts[39]!.username, password: 'next-window' }));
    expect(page.status).toBe(401);
  });

  it('over a day at full speed, one address reaches at most maxFailures guesses per window', async () => {
    const { maxFailures, windowSeconds } = provider.config.addressLimit;
    const address = '192.0.2.99';
    const browser = browserAt(address);
    let step = (await rp.start(browser)).step;
    const before = await verifiedWrongGuesses('pwd');
    const start = provider.clock.now();
    let accountWaits: number[] = [];
    for (let i = 0; provider.clock.now() - start < DAY && i < MAX_REQUESTS; i++) {
      const account = accounts[i % accounts.length]!;
      step = await browser.submit(step, '/password', { username: account.username, password: wrongPassword(5000 + i) });
      const page = expectPage(step);
      const retryAfter = Number(page.headers.get('retry-after') ?? 0);
      // Refused by the address: wait for the next window. Refused by one account's back-off: try the next account,
      // and once every account is waiting, wait for the first to be free.
      if (page.status === 429 && /from your network/.test(page.html)) provider.clock.advance(retryAfter);
      else if (page.status === 429) accountWaits.push(retryAfter);
      else accountWaits = [];
      if (accountWaits.length >= accounts.length) {
        provider.clock.advance(Math.min(...accountWaits));
        accountWaits = [];
      }
    }
    const verified = (await verifiedWrongGuesses('pwd')) - before;
    // The attacker did go at full speed (every window's budget used), and got no more than the budget: 30 × 24 by default.
    expect(verified).toBeGreaterThanOrEqual(maxFailures * Math.floor(DAY / windowSeconds));
    expect(verified).toBeLessThanOrEqual(maxFailures * (Math.ceil(DAY / windowSeconds) + 1));
  });
});
