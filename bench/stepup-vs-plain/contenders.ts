// The two sides: the product's step-up flow (aal1 session → TOTP → aal2 → tokens) and the plain library's login flow,
// and for both a silent sign-in (an existing session that already satisfies acr_values: authorize → code → tokens).
import { AccountPool, poolAccount } from './account-pool.ts';
import { Browser, keepAliveAgent } from './browser.ts';
import { authorizationCodeFlow, idTokenClaims, offlineTokens, type RefreshHolder, type Target } from './flows.ts';
import { runLoad } from './load.ts';
import { PLAIN_ACCOUNT_ID, PRODUCT_BENCH_SCRYPT_N } from './agreed.ts';
import type { ServerProcess } from './server-process.ts';

const SETUP_CONCURRENCY = 16;

/**
 * The silent sign-in both sides are asked for: prompt=none (a page would be a failure, not a slower flow) and an
 * acr_values the session already satisfies. aal1 (a password session) rather than aal2: the bench policy keeps aal2
 * for 5 s so that every step-up flow needs a code, and an aal2 session would expire mid-round. The product still
 * assesses the request against the session's proof (the same reads as for aal2); the plain library, configured with
 * no acr values, treats acr_values as voluntary and answers the same way without looking at it.
 */
const SILENT_PARAMS = { prompt: 'none', acr_values: 'aal1' };

export interface Contender {
  name: string;
  server: ServerProcess;
  target: Target;
  /** One timed flow, from the authorization request to the token response. */
  flow(): Promise<void>;
  /** Refresh tokens for `count` clients, obtained (untimed) through a consent flow with offline_access. */
  refreshHolders(count: number): Promise<RefreshHolder[]>;
  /** `count` signed-in browsers (untimed), and the timed silent sign-in that takes them in turn. */
  silent(count: number): Promise<() => Promise<void>>;
}

/**
 * Each task takes an idle item (a browser, a refresh token) and gives it back when done: no item is ever in two
 * operations at once (two concurrent grants of one rotating refresh token would revoke it).
 */
export function takeTurns<T>(items: T[], task: (item: T) => Promise<void>): () => Promise<void> {
  const idle = [...items];
  return async () => {
    const item = idle.shift();
    if (item === undefined) throw new Error('more concurrent clients than browsers or refresh tokens');
    try {
      await task(item);
    } finally {
      idle.push(item);
    }
  };
}

export function plainContender(server: ServerProcess): Contender {
  const target = { issuer: server.issuer, agent: keepAliveAgent() };
  // Every flow is a new browser: authorize → scripted login page → post → callback → token exchange.
  const login = (browser: Browser) => authorizationCodeFlow(target, browser, {}, [['/submit', {}]]);
  return {
    name: 'plain oidc-provider',
    server,
    target,
    async flow() {
      const tokens = await login(new Browser(target.agent));
      if (idTokenClaims(tokens).sub === undefined) throw new Error('ID token without sub');
    },
    refreshHolders: (count) =>
      Promise.all(
        Array.from({ length: count }, () =>
          offlineTokens(target, new Browser(target.agent), [
            ['/submit', {}],
            ['/submit', {}],
          ]),
        ),
      ),
    async silent(count) {
      const browsers = await Promise.all(
        Array.from({ length: count }, async () => {
          const browser = new Browser(target.agent);
          await login(browser);
          return browser;
        }),
      );
      return takeTurns(browsers, async (browser) => {
        const tokens = await authorizationCodeFlow(target, browser, SILENT_PARAMS, []);
        if (idTokenClaims(tokens).sub !== PLAIN_ACCOUNT_ID) throw new Error('silent sign-in for another subject');
      });
    },
  };
}

export interface ProductContender extends Contender {
  pool: AccountPool;
  /** Server CPU of the untimed password sign-ins (at the bench's cheap scrypt cost), to size password sign-ins per core. */
  passwordFlows: { count: number; cpuMs: number; scryptN: number };
  /** Seeds accounts and signs each in with its password (untimed) until the pool holds `total`. */
  growPool(total: number): Promise<void>;
}

export function productContender(server: ServerProcess): ProductContender {
  const target = { issuer: server.issuer, agent: keepAliveAgent() };
  const pool = new AccountPool();
  const passwordFlows = { count: 0, cpuMs: 0, scryptN: PRODUCT_BENCH_SCRYPT_N };

  /** Accounts whose browsers hold an aal1 session: a password sign-in with no acr requested. */
  async function signedIn(count: number) {
    const seeded = await server.call('seed', { count });
    const accounts = seeded.map((account) => poolAccount(account, new Browser(target.agent)));
    let next = 0;
    const cpuBefore = await server.cpuMs();
    const { count: done } = await runLoad(
      async () => {
        const account = accounts[next++]!;
        const tokens = await authorizationCodeFlow(target, account.browser, {}, [['/password', { username: account.username, password: account.password }]]);
        if (idTokenClaims(tokens).acr !== 'aal1') throw new Error(`password sign-in reported acr ${String(idTokenClaims(tokens).acr)}`);
      },
      { concurrency: SETUP_CONCURRENCY, maxCount: count, maxMs: 30 * 60_000 },
    );
    passwordFlows.cpuMs += (await server.cpuMs()) - cpuBefore;
    passwordFlows.count += done;
    return accounts;
  }

  return {
    name: 'step-up product',
    server,
    target,
    pool,
    passwordFlows,
    async growPool(total) {
      if (total > pool.size) pool.add(await signedIn(total - pool.size));
    },
    // authorize acr_values=aal2 → the TOTP page (the only one allowed) → post the code → callback → token exchange.
    async flow() {
      const { account, code } = await pool.take();
      try {
        const tokens = await authorizationCodeFlow(target, account.browser, { acr_values: 'aal2' }, [['/otp', { code }]]);
        const { acr, amr } = idTokenClaims(tokens);
        if (acr !== 'aal2' || !(amr as string[]).includes('otp')) throw new Error(`step-up flow reported acr ${String(acr)}, amr ${String(amr)}`);
      } finally {
        pool.give(account);
      }
    },
    async refreshHolders(count) {
      const accounts = await signedIn(count);
      return Promise.all(accounts.map((account) => offlineTokens(target, account.browser, [['/consent', {}]])));
    },
    async silent(count) {
      return takeTurns(await signedIn(count), async (account) => {
        const tokens = await authorizationCodeFlow(target, account.browser, SILENT_PARAMS, []);
        if (idTokenClaims(tokens).acr !== 'aal1') throw new Error(`silent sign-in reported acr ${String(idTokenClaims(tokens).acr)}`);
      });
    },
  };
}
