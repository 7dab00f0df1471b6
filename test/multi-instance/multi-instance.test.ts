// Two provider processes behind a round-robin proxy: a step-up flow whose requests alternate, one-time codes, shared guess limits.
import { randomBytes } from 'node:crypto';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccount } from '../integration/harness/accounts.ts';
import { Browser, expectCallback, expectPage, formOf } from '../integration/harness/browser.ts';
import { CALLBACK, relyingParty, type RelyingParty } from '../integration/harness/rp.ts';
import { openMongoStores } from '../../adapters/mongodb/index.ts';
import { servedBy, startCluster, type Cluster, type ClusterOptions } from './cluster.ts';

const MONGODB_URI = process.env.MONGODB_URI;
const TEST_TIMEOUT = 90_000;

if (!MONGODB_URI) console.warn('MONGODB_URI not set: MongoDB multi-instance tests skipped (docs/testing.md says how to run them)');

/** Asserts that consecutive requests went to different instances, and that each instance served some. */
function expectAlternation(cluster: Cluster, from: number): void {
  const entries = cluster.proxy.log.slice(from);
  expect(entries.length).toBeGreaterThan(4);
  entries.slice(1).forEach((entry, index) => expect(entry.backend).not.toBe(entries[index]!.backend));
  expect(servedBy(cluster, from).every((count) => count > 0)).toBe(true);
}

function describeCluster(title: string, options: () => ClusterOptions) {
  describe(title, () => {
    let cluster: Cluster;
    let rp: RelyingParty;

    beforeAll(async () => {
      cluster = await startCluster(options());
      rp = await relyingParty(cluster);
    }, 120_000);

    afterAll(async () => {
      await cluster?.close();
    }, 60_000);

    it(
      'runs a password sign-in, a TOTP step-up to aal2 and both token exchanges with requests alternating between the instances',
      async () => {
        const account = await createAccount(cluster, { totp: true });
        const browser = new Browser(CALLBACK);
        const from = cluster.proxy.log.length;

        const first = (await rp.signIn(browser, account)).claims()!;
        expect(first).toMatchObject({ sub: account.id, acr: 'aal1', amr: ['pwd'] });

        const flow = await rp.start(browser, { acr_values: 'aal2' });
        expect(formOf(flow.step)).toBe('otp');
        const tokens = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
        const claims = tokens.claims()!;
        expect(claims).toMatchObject({ sub: account.id, acr: 'aal2' });
        expect(claims.amr).toEqual(expect.arrayContaining(['pwd', 'otp', 'mfa']));
        expect(claims.auth_time).toBeGreaterThanOrEqual(first.auth_time!);

        const introspection = await oidc.tokenIntrospection(rp.config, tokens.access_token);
        expect(introspection).toMatchObject({ active: true, sub: account.id, acr: 'aal2' });

        expectAlternation(cluster, from);
        const steps = cluster.proxy.log.slice(from).map((entry) => `${entry.method} ${entry.path.replace(/\/interaction\/[^/]+/, '/interaction/:uid')}`);
        expect(steps).toEqual(expect.arrayContaining(['POST /interaction/:uid/password', 'POST /interaction/:uid/otp', 'POST /token', 'POST /token/introspection']));
      },
      TEST_TIMEOUT,
    );

    it(
      'lets exactly one of two concurrent exchanges of a code, one on each instance, succeed, and revokes what it issued',
      async () => {
        const account = await createAccount(cluster);
        const browser = new Browser(CALLBACK);
        const flow = await rp.start(browser);
        const callback = expectCallback(await browser.submit(flow.step, '/password', { username: account.username, password: account.password }));
        const from = cluster.proxy.log.length;

        const secret = `secret-${rp.clientId}-0123456789abcdef`;
        const exchange = () =>
          fetch(`${cluster.issuer}/token`, {
            method: 'POST',
            headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: CALLBACK, code_verifier: flow.verifier }),
            signal: AbortSignal.timeout(30_000),
          });
        const responses = await Promise.all([exchange(), exchange()]);
        expect(servedBy(cluster, from)).toEqual([1, 1]);
        const bodies = (await Promise.all(responses.map((response) => response.json()))) as Array<Record<string, string>>;
        expect(responses.map((response) => response.status).sort()).toEqual([200, 400]);
        const winner = bodies[responses.findIndex((response) => response.status === 200)]!;
        expect(bodies[responses.findIndex((response) => response.status === 400)]).toMatchObject({ error: 'invalid_grant' });

        // The replay revoked the grant, so the winner's access token is no longer active, whichever instance asks.
        for (let ask = 0; ask < 2; ask += 1) {
          expect(await oidc.tokenIntrospection(rp.config, winner.access_token!)).toMatchObject({ active: false });
        }
      },
      TEST_TIMEOUT,
    );

    it(
      'throttles password guesses spread over both instances as if they hit one',
      async () => {
        const account = await createAccount(cluster);
        const browser = new Browser(CALLBACK);
        let step = (await rp.start(browser)).step;
        const from = cluster.proxy.log.length;
        const free = cluster.config.limiter.freeAttempts;
        for (let attempt = 0; attempt <= free; attempt += 1) {
          step = await browser.submit(step, '/password', { username: account.username, password: `wrong-${attempt}` });
          expect(expectPage(step).status).toBe(401);
        }
        expect(servedBy(cluster, from).every((count) => count >= Math.floor((free + 1) / 2))).toBe(true);
        const throttled = expectPage(await browser.submit(step, '/password', { username: account.username, password: account.password }));
        expect(throttled.status).toBe(429);
        expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(await cluster.stores.attempts.get(`pwd:${account.id}`)).toMatchObject({ failures: free + 1 });
      },
      TEST_TIMEOUT,
    );

    it(
      'lets no more than the free guesses through when they arrive at both instances at once',
      async () => {
        const account = await createAccount(cluster);
        const browser = new Browser(CALLBACK);
        const step = (await rp.start(browser)).step;
        const from = cluster.proxy.log.length;
        const free = cluster.config.limiter.freeAttempts;
        const guesses = 3 * (free + 1);
        const results = await Promise.all(Array.from({ length: guesses }, (_, attempt) => browser.submit(step, '/password', { username: account.username, password: `wrong-${attempt}` })));
        const statuses = results.map((result) => expectPage(result).status);
        expect(servedBy(cluster, from).every((count) => count > 0)).toBe(true);
        expect(statuses.every((status) => status === 401 || status === 429)).toBe(true);
        const verified = statuses.filter((status) => status === 401).length;
        expect(verified).toBeGreaterThan(0);
        expect(verified).toBeLessThanOrEqual(free + 1);
        expect(await cluster.stores.attempts.get(`pwd:${account.id}`)).toMatchObject({ failures: verified });
      },
      TEST_TIMEOUT,
    );
  });
}

describeCluster('two instances sharing the embedded SQLite store', () => ({}));

const mongoDb = `stepup_multi_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
describe.skipIf(!MONGODB_URI)(MONGODB_URI ? 'MongoDB' : 'MONGODB_URI not set: MongoDB multi-instance skipped', () => {
  describeCluster(`two instances sharing MongoDB (${mongoDb})`, () => ({
    storage: { MONGODB_URI: MONGODB_URI!, MONGODB_DB: mongoDb },
    async cleanup() {
      const stores = await openMongoStores({ uri: MONGODB_URI!, dbName: mongoDb });
      await stores.db.dropDatabase();
      await stores.close();
    },
  }));
});
