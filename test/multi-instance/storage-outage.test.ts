// Storage that cannot be written or reached: 503 temporarily_unavailable, a friendly page, nothing half-written, recovery by itself.
//
// How the outage is made, as root too (for whom a read-only file or directory is still writable):
// - SQLite: another connection holds the database's write lock (BEGIN EXCLUSIVE), exactly what a stuck writer or a
//   backup tool does. Readers go on (WAL); every write waits the busy timeout (5 s) and fails with SQLITE_BUSY.
// - MongoDB: the instances reach the server through a loopback TCP forwarder that cuts every connection and refuses
//   new ones; operations fail once server selection times out (2 s here).
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attemptKeys } from '../../authenticators/index.ts';
import { openMongoStores } from '../../adapters/mongodb/index.ts';
import { createAccount, type TestAccount } from '../integration/harness/accounts.ts';
import { Browser, expectCallback, expectPage, formOf, type Step } from '../integration/harness/browser.ts';
import { CALLBACK, relyingParty, type Flow, type RelyingParty } from '../integration/harness/rp.ts';
import { startCluster, type Cluster } from './cluster.ts';
import { sleep } from './instance.ts';
import { forwardableMongoUri, startTcpCutter, type TcpCutter } from './tcp-cutter.ts';

const MONGODB_URI = process.env.MONGODB_URI;
const TEST_TIMEOUT = 120_000;
const RECOVERY_DEADLINE_MS = 30_000;

interface Outage {
  begin(): void;
  end(): void;
}

/** What was in progress when storage went away: a code to exchange, and a sign-in waiting for its password. */
interface InFlight {
  account: TestAccount;
  coded: Flow;
  callback: URL;
  waiting: Browser;
  pending: Flow;
  auditEvents: number;
}

async function inFlight(cluster: Cluster, rp: RelyingParty): Promise<InFlight> {
  const account = await createAccount(cluster);
  const browser = new Browser(CALLBACK);
  const coded = await rp.start(browser);
  const callback = expectCallback(await browser.submit(coded.step, '/password', { username: account.username, password: account.password }));
  const waiting = new Browser(CALLBACK);
  const pending = await rp.start(waiting);
  expect(formOf(pending.step)).toBe('password');
  return { account, coded, callback, waiting, pending, auditEvents: (await cluster.stores.audit.list({ limit: 1000 })).length };
}

function exchange(cluster: Cluster, rp: RelyingParty, flow: Flow, callback: URL): Promise<Response> {
  const secret = `secret-${rp.clientId}-0123456789abcdef`;
  return fetch(`${cluster.issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${rp.clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: callback.searchParams.get('code')!, redirect_uri: CALLBACK, code_verifier: flow.verifier }),
    signal: AbortSignal.timeout(30_000),
  });
}

function expectUnavailablePage(step: Step): void {
  const page = expectPage(step);
  expect(page.status).toBe(503);
  expect(Number(page.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(page.document.querySelector('h1')?.text).toMatch(/temporarily unavailable/i);
  expect(page.html).not.toMatch(/SQLITE|Mongo|stack|at .*\.ts/i);
}

/**
 * Runs the same outage scenario for any storage. `authorization`: how a new authorization request ends, a redirect
 * to the client (the client could still be read) or the page; `during` adds checks that need the outage still on.
 */
async function outageScenario(cluster: Cluster, rp: RelyingParty, outage: Outage, authorization: 'redirect' | 'redirect or page', during: (state: InFlight) => Promise<void>) {
  const state = await inFlight(cluster, rp);
  const { account, coded, callback, waiting, pending } = state;

  outage.begin();
  try {
    const refused = await exchange(cluster, rp, coded, callback);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await refused.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.stringMatching(/temporarily unavailable/) });

    expectUnavailablePage(await waiting.submit(pending.step, '/password', { username: account.username, password: account.password }));

    // A new authorization request: back to the client with the standard error (RFC 6749 4.1.2.1) when the client
    // could still be read, otherwise the page.
    const started = (await rp.start(new Browser(CALLBACK))).step;
    if (authorization === 'redirect') expect(started.kind).toBe('callback');
    if (started.kind === 'callback') expect(started.url.searchParams.get('error')).toBe('temporarily_unavailable');
    else expectUnavailablePage(started);

    for (const instance of cluster.instances) expect(instance.alive(), instance.output()).toBe(true);
    await during(state);
  } finally {
    outage.end();
  }

  // Nothing was half-done: no guess was counted, the code is still unused, no audit event was written.
  expect(await cluster.stores.attempts.get(attemptKeys.guesses(attemptKeys.password(account.id)))).toBeUndefined();
  expect(await new cluster.stores.OidcAdapter('AuthorizationCode').find(callback.searchParams.get('code')!)).not.toHaveProperty('consumed');
  expect((await cluster.stores.audit.list({ limit: 1000 })).length).toBe(state.auditEvents);

  // Recovery without a restart: the same code, then the same form, now work (retried while connections come back).
  const deadline = Date.now() + RECOVERY_DEADLINE_MS;
  let response = await exchange(cluster, rp, coded, callback);
  while (response.status === 503 && Date.now() < deadline) {
    await sleep(500);
    response = await exchange(cluster, rp, coded, callback);
  }
  expect(response.status, await response.clone().text()).toBe(200);
  expect(await response.json()).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), id_token: expect.any(String) });

  const done = expectCallback(await waiting.submit(pending.step, '/password', { username: account.username, password: account.password }));
  expect((await rp.finish(pending, done)).claims()).toMatchObject({ sub: account.id, acr: 'aal1' });

  const logs = cluster.instances.map((instance) => instance.output()).join('\n');
  expect(logs).toMatch(/storage unavailable/);
  expect(logs).not.toMatch(/provider server error|unhandled error in a page route/);
  for (const instance of cluster.instances) expect(instance.alive()).toBe(true);
}

describe('when the SQLite store cannot be written (another process holds its write lock)', () => {
  let cluster: Cluster;
  let rp: RelyingParty;

  beforeAll(async () => {
    cluster = await startCluster();
    rp = await relyingParty(cluster);
  }, 120_000);
  afterAll(async () => cluster?.close(), 60_000);

  it(
    'answers 503 temporarily_unavailable (JSON, or a page for browsers), writes nothing, and recovers by itself',
    async () => {
      const storage = cluster.config.storage;
      if (storage.kind !== 'sqlite') throw new Error('this cluster should use SQLite');
      let lock: Database.Database | undefined;
      const outage: Outage = {
        begin() {
          lock = new Database(storage.file);
          lock.exec('BEGIN EXCLUSIVE');
        },
        end() {
          lock?.exec('ROLLBACK');
          lock?.close();
        },
      };
      await outageScenario(cluster, rp, outage, 'redirect', async ({ account }) => {
        // Reads still work while writes are blocked: the test's own connection sees the unchanged state.
        expect(await cluster.stores.accounts.findById(account.id)).toMatchObject({ username: account.username });
      });
    },
    TEST_TIMEOUT,
  );
});

const forwardable = MONGODB_URI ? forwardableMongoUri(MONGODB_URI) : undefined;
const mongoSkip = !MONGODB_URI ? 'MONGODB_URI not set: MongoDB outage test skipped' : 'MONGODB_URI is not a single-host mongodb:// URI without TLS: MongoDB outage test skipped';
if (MONGODB_URI && !forwardable) console.warn(mongoSkip);

describe.skipIf(!forwardable)(forwardable ? 'when MongoDB becomes unreachable (connections cut)' : mongoSkip, () => {
  const dbName = `stepup_outage_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  let cutter: TcpCutter;
  let cluster: Cluster;
  let rp: RelyingParty;

  beforeAll(async () => {
    cutter = await startTcpCutter(forwardable!.target);
    cluster = await startCluster({
      storage: { MONGODB_URI: forwardable!.through(cutter.port), MONGODB_DB: dbName },
      direct: { MONGODB_URI: MONGODB_URI! },
      async cleanup() {
        const stores = await openMongoStores({ uri: MONGODB_URI!, dbName });
        await stores.db.dropDatabase();
        await stores.close();
      },
    });
    rp = await relyingParty(cluster);
  }, 120_000);
  afterAll(async () => {
    await cluster?.close();
    await cutter?.close();
  }, 60_000);

  it(
    'answers 503 temporarily_unavailable while it is away, writes nothing, and recovers when it is back',
    async () => {
      await outageScenario(cluster, rp, { begin: () => cutter.cut(), end: () => cutter.restore() }, 'redirect or page', async () => {});
    },
    TEST_TIMEOUT,
  );
});
