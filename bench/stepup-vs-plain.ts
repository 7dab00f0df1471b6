// `npm run bench`: the step-up product next to a plain oidc-provider of the same version, in one run on one machine.
//
// Decisions (see bench/stepup-vs-plain/ for each piece):
// - Each server is its own child process (`node --import tsx --expose-gc`) on 127.0.0.1 with its own temp data
//   directory, so its RSS is its own; the benchmark asks for process.memoryUsage() over the IPC channel, after a forced
//   GC so that readings compare retained memory, not garbage. BENCH_PROFILE=1 records each server's CPU profile
//   during the soak (inspector, over the same channel) into a temp directory; bench/stepup-vs-plain/profile-summary.ts
//   sums one up by package and function.
// - The product is built as server/main.ts builds it (loadConfig, openStores → SQLite, createApp with metrics, silent
//   log), NODE_ENV=test. The plain server is oidc-provider 9.13.3 with the same SQLite adapter (adapters/sqlite), the
//   same key kinds, cookie settings and token lifetimes, and a scripted interaction: a page whose form signs in one
//   fixed account (no password), and grants consent the same way when consent is asked.
// - Both register the same confidential client (client_secret_basic, PKCE S256, code + refresh_token), first party on
//   the product (no consent page) and with an equivalent auto-granting loadExistingGrant on the plain server.
// - Step-up flow (timed): a browser whose session is already at aal1 (a password sign-in during setup, untimed)
//   → /auth?acr_values=aal2 → the TOTP page (the only page allowed) → post the code → callback → token exchange,
//   checked: the ID token says acr aal2 and amr otp. Plain flow (timed): a new browser → /auth → the scripted login
//   page → post → callback → token exchange. Each is 5 HTTP requests.
// - Every step-up flow must really need TOTP: the product runs with a bench policy where aal2 lasts 5 s (12 h by
//   default), the honest analogue of a user coming back after aal2 has expired while the password still backs aal1
//   (the product then asks only for the code). A fresh aal1 session per flow would instead time a session we said
//   exists. A code is accepted once per time step per authenticator, so accounts rotate: an account is reused only
//   after its aal2 expired and with an unspent step; the pool is sized from the measured rate (≈ rate × 30 s × 1.5)
//   and the report says if a flow ever waited for a code.
// - Throughput and p50/p99 latency at 1 and 16 concurrent clients, in rounds that alternate which server goes first
//   (drift and other load on the machine touch both alike). Refresh grants the same way, each client with its own
//   refresh token (from an untimed consent flow with offline_access).
// - Breakdown, to explain the ratios: each request of a flow timed at 1 client, and the SQLite statements each server
//   ran per flow and per refresh grant (better-sqlite3's statements counted inside the server process).
// - Soak: RSS (and heap) before and after BENCH_FLOWS step-up flows (16 clients), sampled every tenth; growth is
//   measured from the first tenth (the soak's own warm-up: RSS right before it still holds the high-water mark of the
//   refresh and latency phases). The product goes first, bounded by BENCH_SOAK_MINUTES (default 60: 100 000 step-up
//   flows take 20-45 min on a busy 2-core machine; at the bound it stops and says how many ran), and the plain server
//   then runs the same number of flows.
// - Password hashing (scrypt at the production parameters) is measured alone at the end, with both servers stopped.
// - Every loop is bounded in count and time. Results: stdout, bench/results/latest.json and latest.md (with the
//   profiling notes of bench/stepup-vs-plain/findings.md).
import { mkdirSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BENCH_AAL2_MAX_AGE } from './stepup-vs-plain/agreed.ts';
import { breakdown } from './stepup-vs-plain/breakdown.ts';
import { plainContender, productContender, type Contender } from './stepup-vs-plain/contenders.ts';
import { refreshGrant, type RefreshHolder } from './stepup-vs-plain/flows.ts';
import { runLoad, type LoadResult } from './stepup-vs-plain/load.ts';
import { measurePasswordCost } from './stepup-vs-plain/password-cost.ts';
import { alternate, log, soak } from './stepup-vs-plain/phases.ts';
import { machineInfo, printReport, targetsOf, writeReport, type Results } from './stepup-vs-plain/report.ts';
import { startServer } from './stepup-vs-plain/server-process.ts';

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const FLOWS = Math.floor(setting('BENCH_FLOWS', 100_000));
const SOAK_MS = setting('BENCH_SOAK_MINUTES', 60) * 60_000;
const ROUND_MS = setting('BENCH_ROUND_SECONDS', 8) * 1000;
const ROUNDS = Math.floor(setting('BENCH_ROUNDS', 3));
const PROFILE_DIR = process.env.BENCH_PROFILE === '1' ? join(tmpdir(), `stepup-bench-profiles-${Date.now()}`) : undefined;
const CONCURRENCY = [1, 16];
const WARM_UP = { flows: 600, refresh: 500, maxMs: 30_000 };
const BREAKDOWN = { flows: 150, refresh: 300 };
/** A TOTP step is 30 s; the margin covers a rate that rises after warm-up. */
const POOL_SECONDS = 30 * 1.5;
const MAX_POOL = 40_000;

const loadAtStart = loadavg();
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
log(`starting both servers${PROFILE_DIR ? ` (CPU profiles to ${PROFILE_DIR})` : ''}`);
const servers = await Promise.all([startServer('plain'), startServer('product')]);
try {
  const plain = plainContender(servers[0]);
  const product = productContender(servers[1]);
  const sides = [plain, product];

  log('setup: seeding accounts and signing each in with its password (aal1), untimed');
  await product.growPool(WARM_UP.flows + 100);
  log('warm-up');
  const warm: Record<string, LoadResult> = {};
  for (const side of sides) warm[side.name] = await runLoad(side.flow, { concurrency: 16, maxCount: WARM_UP.flows, maxMs: WARM_UP.maxMs });
  const poolSize = Math.min(MAX_POOL, Math.ceil(warm[product.name]!.perSecond * POOL_SECONDS) + 64);
  log(`setup: growing the account pool to ${poolSize} (step-up warm-up rate ${warm[product.name]!.perSecond.toFixed(1)}/s)`);
  await product.growPool(poolSize);

  const flows: Record<string, LoadResult[]> = { [plain.name]: [], [product.name]: [] };
  for (const concurrency of CONCURRENCY) {
    log(`flows, ${concurrency} client(s): ${ROUNDS} rounds of ${ROUND_MS / 1000} s per side`);
    const [a, b] = await alternate(sides, (side) => side.flow, { concurrency, rounds: ROUNDS, roundMs: ROUND_MS });
    flows[plain.name]!.push(a!);
    flows[product.name]!.push(b!);
  }

  log('setup: refresh tokens for 16 clients per side (consent flows with offline_access), untimed');
  const holders = new Map<Contender, RefreshHolder[]>();
  for (const side of sides) holders.set(side, await side.refreshHolders(16));
  const refreshTask = (side: Contender) => {
    let next = 0;
    const own = holders.get(side)!;
    return () => refreshGrant(side.target, own[next++ % own.length]!);
  };
  for (const side of sides) await runLoad(refreshTask(side), { concurrency: 16, maxCount: WARM_UP.refresh, maxMs: WARM_UP.maxMs });
  const refresh: Record<string, LoadResult[]> = { [plain.name]: [], [product.name]: [] };
  for (const concurrency of CONCURRENCY) {
    log(`refresh grants, ${concurrency} client(s): ${ROUNDS} rounds of ${ROUND_MS / 1000} s per side`);
    const [a, b] = await alternate(sides, refreshTask, { concurrency, rounds: ROUNDS, roundMs: ROUND_MS });
    refresh[plain.name]!.push(a!);
    refresh[product.name]!.push(b!);
  }

  log('breakdown: flows and refresh grants at 1 client, each request timed, SQLite statements counted in the servers');
  const taken = async (task: (side: Contender) => () => Promise<void>, count: number) => ({
    plain: await breakdown(plain.server, task(plain), count),
    product: await breakdown(product.server, task(product), count),
  });
  const breakdowns = { flow: await taken((side) => side.flow, BREAKDOWN.flows), refresh: await taken(refreshTask, BREAKDOWN.refresh) };

  log(`soak: up to ${FLOWS} step-up flows (at most ${SOAK_MS / 60_000} min), then as many plain login flows`);
  const productSoak = await soak(product, { flows: FLOWS, maxMs: SOAK_MS, profileDir: PROFILE_DIR });
  const plainSoak = await soak(plain, { flows: productSoak.flows, maxMs: SOAK_MS, profileDir: PROFILE_DIR });
  await Promise.all(servers.map((server) => server.stop()));

  log('password hashing alone (both servers stopped)');
  const password = await measurePasswordCost();

  const plainResults = { name: plain.name, flows: flows[plain.name]!, refresh: refresh[plain.name]!, soak: plainSoak };
  const productResults = { name: product.name, flows: flows[product.name]!, refresh: refresh[product.name]!, soak: productSoak };
  const results: Results = {
    date: new Date().toISOString(),
    machine: machineInfo(loadAtStart),
    settings: {
      BENCH_FLOWS: FLOWS,
      BENCH_SOAK_MINUTES: SOAK_MS / 60_000,
      BENCH_ROUNDS: ROUNDS,
      BENCH_ROUND_SECONDS: ROUND_MS / 1000,
      accounts: product.pool.size,
      aal2MaxAgeSeconds: BENCH_AAL2_MAX_AGE,
    },
    plain: plainResults,
    product: productResults,
    password,
    poolWaitedMs: product.pool.waitedMs,
    breakdown: breakdowns,
    targets: targetsOf(plainResults, productResults),
  };
  printReport(results);
  writeReport(results, new URL('./results/', import.meta.url), new URL('./stepup-vs-plain/findings.md', import.meta.url));
  log(`written: bench/results/latest.json, bench/results/latest.md${PROFILE_DIR ? `; CPU profiles of the soak in ${PROFILE_DIR}` : ''}`);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}
