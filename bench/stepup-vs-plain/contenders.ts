// The two sides: the product's step-up flow (aal1 session → TOTP → aal2 → tokens) and the plain library's login flow.
import { AccountPool, poolAccount } from './account-pool.ts';
import { Browser, keepAliveAgent } from './browser.ts';
import { authorizationCodeFlow, idTokenClaims, offlineTokens, type RefreshHolder, type Target } from './flows.ts';
import { runLoad } from './load.ts';
import type { ServerProcess } from './server-process.ts';

const SETUP_CONCURRENCY = 16;

export interface Contender {
  name: string;
  server: ServerProcess;
  target: Target;
  /** One timed flow, from the authorization request to the token response. */
  flow(): Promise<void>;
  /** Refresh tokens for `count` clients, obtained (untimed) through a consent flow with offline_access. */
  refreshHolders(count: number): Promise<RefreshHolder[]>;
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
  };
}

export interface ProductContender extends Contender {
  pool: AccountPool;
  /** Seeds accounts and signs each in with its password (untimed) until the pool holds `total`. */
  growPool(total: number): Promise<void>;
}

export function productContender(server: ServerProcess): ProductContender {
  const target = { issuer: server.issuer, agent: keepAliveAgent() };
  const pool = new AccountPool();

  /** Accounts whose browsers hold an aal1 session: a password sign-in with no acr requested. */
  async function signedIn(count: number) {
    const seeded = await server.call('seed', { count });
    const accounts = seeded.map((account) => poolAccount(account, new Browser(target.agent)));
    let next = 0;
    await runLoad(
      async () => {
        const account = accounts[next++]!;
        const tokens = await authorizationCodeFlow(target, account.browser, {}, [['/password', { username: account.username, password: account.password }]]);
        if (idTokenClaims(tokens).acr !== 'aal1') throw new Error(`password sign-in reported acr ${String(idTokenClaims(tokens).acr)}`);
      },
      { concurrency: SETUP_CONCURRENCY, maxCount: count, maxMs: 30 * 60_000 },
    );
    return accounts;
  }

  return {
    name: 'step-up product',
    server,
    target,
    pool,
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
  };
}
