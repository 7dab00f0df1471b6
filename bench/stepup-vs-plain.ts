// `npm run bench`: the step-up product next to a plain oidc-provider of the same version, in one run on one machine.
//
// Decisions (see bench/stepup-vs-plain/ for each piece):
// - Quick by default (a few minutes on a 2-core machine): every phase is bounded in count and time. The 100 000-flow
//   soak (RSS flat ±10 %) runs only with BENCH_SOAK=1 and writes bench/results/soak.{json,md} besides latest.*.
// - Each server is its own child process (`node --import tsx --expose-gc`) on 127.0.0.1 with its own temp data
//   directory, so its CPU time and RSS are its own; the benchmark asks for them over the IPC channel.
// - The product is built as server/main.ts builds it (loadConfig, openStores → SQLite, createApp with metrics, silent
//   log), NODE_ENV=test. The plain server is oidc-provider 9.13.3 on the same SQLite adapter (adapters/sqlite), the
//   same key kinds, cookie settings and token lifetimes, and a scripted interaction: a page whose form signs in one
//   fixed account (no password), and grants consent the same way when consent is asked.
// - Both register the same confidential client (client_secret_basic, PKCE S256, code + refresh_token), first party on
//   the product (no consent page) and with an equivalent auto-granting loadExistingGrant on the plain server.
// - Scenarios (bench/stepup-vs-plain/scenarios.ts), each at 1 and 16 clients in rounds that alternate which server goes
//   first: the step-up flow against the plain login flow; the silent sign-in (prompt=none, acr_values the session
//   satisfies) on both; the refresh grant on both. Per scenario: server CPU ms per operation (the figure least
//   disturbed by other work, and the one the issue's targets are set on), throughput, p50/p99, and the load
//   generator's own CPU (it shares the machine).
// - Every step-up flow must really need TOTP: the product runs with a bench policy where aal2 lasts 5 s (12 h by
//   default), the analogue of a user coming back after aal2 has expired while the password still backs aal1. A code
//   is accepted once per time step per authenticator, so accounts rotate (bench/stepup-vs-plain/account-pool.ts).
// - Breakdown, to explain the ratios: each request timed at 1 client, and the SQLite statements each server ran per
//   operation (better-sqlite3's statements counted inside the server process).
// - BENCH_PROFILE=1: every scenario again, each server under the V8 CPU profiler; raw profiles in
//   bench/results/profiles/ (not in git), the summary in bench/results/profile.md.
// - Workers (when the product has STEPUP_WORKERS): the product as server/main.ts runs it, with 1, 2 (and up to the
//   core count) workers; silent sign-ins and refresh grants at 16 clients per worker; server CPU summed over the
//   primary and its workers from /proc; SQLite's single writer measured alone (commits/s, 1 and 2 writers).
// - Password hashing (scrypt at the production parameters) is measured alone at the end, with the servers stopped;
//   it bounds password sign-ins per core in the capacity table.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { BENCH_AAL2_MAX_AGE } from './stepup-vs-plain/agreed.ts';
import { breakdown, type Breakdown } from './stepup-vs-plain/breakdown.ts';
import { plainContender, productContender } from './stepup-vs-plain/contenders.ts';
import { runLoad, type LoadResult } from './stepup-vs-plain/load.ts';
import { measurePasswordCost } from './stepup-vs-plain/password-cost.ts';
import { alternate, log, profiled, soak } from './stepup-vs-plain/phases.ts';
import { profileSections } from './stepup-vs-plain/profile-summary.ts';
import { commitOf, machineInfo, printReport, writeReport, writeProfileReport, type Results, type ScenarioResult } from './stepup-vs-plain/report.ts';
import { prepareScenarios } from './stepup-vs-plain/scenarios.ts';
import { startServer } from './stepup-vs-plain/server-process.ts';
import { measureSqliteWriter } from './stepup-vs-plain/sqlite-writer.ts';
import { measureWorkers, workersSupported } from './stepup-vs-plain/workers.ts';

function setting(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const SOAK = process.env.BENCH_SOAK === '1';
const PROFILE = process.env.BENCH_PROFILE === '1';
const FLOWS = Math.floor(setting('BENCH_FLOWS', 100_000));
const SOAK_MS = setting('BENCH_SOAK_MINUTES', 60) * 60_000;
const ROUND_MS = setting('BENCH_ROUND_SECONDS', 5) * 1000;
const ROUNDS = Math.floor(setting('BENCH_ROUNDS', 2));
const PROFILE_MS = setting('BENCH_PROFILE_SECONDS', 15) * 1000;
const CONCURRENCY = [1, 16];
/** BENCH_WORKERS: the STEPUP_WORKERS values to compare, e.g. `1,2,4`; `0` skips the workers. Default 1, 2 and the core count when above 2. */
const WORKER_COUNTS = workerCounts(process.env.BENCH_WORKERS);

function workerCounts(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return [...new Set([1, 2, ...(availableParallelism() > 2 ? [availableParallelism()] : [])])];
  if (text.trim() === '0') return [];
  const counts = text.split(',').map((part) => Number(part.trim()));
  if (counts.some((count) => !Number.isInteger(count) || count < 1 || count > 64)) throw new Error('BENCH_WORKERS must be 0, or worker counts from 1 to 64 separated by commas');
  return [...new Set(counts)].sort((a, b) => a - b);
}
const WARM_UP = { maxCount: 400, maxMs: 15_000 };
const BREAKDOWN = { stepup: 100, silent: 200, refresh: 300 };
/** A TOTP step is 30 s and an account may send the next step's code early: 2 flows per 30 s, with a margin for a rate that rises after warm-up. */
const POOL_SECONDS = 25;
const MAX_POOL = 40_000;
const RESULTS = new URL('./results/', import.meta.url);
const PROFILES = new URL('./results/profiles/', import.meta.url);

// Ctrl-C or a kill: exit through process.exit so that 'exit' handlers stop what the bench started (the forked servers
// also exit when their channel to this process closes).
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const loadAtStart = loadavg();
const commitAtStart = commitOf();
const startedAt = Date.now();
log(`quick run${SOAK ? ` + soak of up to ${FLOWS} flows` : ' (BENCH_SOAK=1 adds the 100 000-flow soak)'}${PROFILE ? ' + CPU profiles' : ''}; starting both servers`);
const servers = await Promise.all([startServer('plain'), startServer('product')]);
let results: Results;
try {
  const plain = plainContender(servers[0]);
  const product = productContender(servers[1]);
  const sides = [plain, product];

  log('setup: seeding accounts and signing each in with its password (aal1), untimed');
  await product.growPool(WARM_UP.maxCount + 100);
  log('warm-up: step-up and login flows');
  const warm = new Map<string, LoadResult>();
  for (const side of sides) warm.set(side.name, await runLoad(side.flow, { concurrency: 16, ...WARM_UP }));
  const poolSize = Math.min(MAX_POOL, Math.ceil(warm.get(product.name)!.perSecond * POOL_SECONDS) + 64);
  log(`setup: growing the account pool to ${poolSize} (step-up warm-up rate ${warm.get(product.name)!.perSecond.toFixed(1)}/s); sessions and refresh tokens`);
  await product.growPool(poolSize);
  const scenarios = await prepareScenarios(plain, product);

  const measured: ScenarioResult[] = [];
  for (const scenario of scenarios) {
    if (scenario.key !== 'stepup') for (const side of sides) await runLoad(scenario.task(side), { concurrency: 16, ...WARM_UP });
    const loads: { plain: LoadResult[]; product: LoadResult[] } = { plain: [], product: [] };
    for (const concurrency of CONCURRENCY) {
      log(`${scenario.title}, ${concurrency} client(s): ${ROUNDS} rounds of ${ROUND_MS / 1000} s per side`);
      const [a, b] = await alternate(sides, scenario.task, { concurrency, rounds: ROUNDS, roundMs: ROUND_MS });
      loads.plain.push(a!);
      loads.product.push(b!);
    }
    log(`${scenario.title}: breakdown at 1 client (each request timed, SQLite statements counted in the servers)`);
    const taken: { plain: Breakdown; product: Breakdown } = {
      plain: await breakdown(plain.server, scenario.task(plain), BREAKDOWN[scenario.key]),
      product: await breakdown(product.server, scenario.task(product), BREAKDOWN[scenario.key]),
    };
    measured.push({ key: scenario.key, title: scenario.title, plainOp: scenario.plainOp, productOp: scenario.productOp, cpuTarget: scenario.cpuTarget, ...loads, breakdown: taken });
  }

  const profiles: Results['profiles'] = [];
  if (PROFILE) {
    mkdirSync(PROFILES, { recursive: true });
    for (const scenario of scenarios) {
      for (const side of [product, plain]) {
        const file = new URL(`${scenario.key}-${side.server.kind}.cpuprofile`, PROFILES).pathname;
        log(`profile: ${scenario.title}, ${side.name}, ${PROFILE_MS / 1000} s at 16 clients`);
        const run = await profiled(side, scenario.task(side), { maxMs: PROFILE_MS, maxCount: 50_000, file });
        profiles.push({ scenario: scenario.key, title: scenario.title, side: side.server.kind, ...run });
      }
    }
  }

  let soaks: Results['soak'];
  if (SOAK) {
    log(`soak: up to ${FLOWS} step-up flows (at most ${SOAK_MS / 60_000} min), then as many plain login flows`);
    const productSoak = await soak(product, { flows: FLOWS, maxMs: SOAK_MS });
    const plainSoak = await soak(plain, { flows: productSoak.flows, maxMs: SOAK_MS });
    soaks = { plain: plainSoak, product: productSoak };
  }
  await Promise.all(servers.map((server) => server.stop()));

  let workers: Results['workers'];
  let workersFailed: string | undefined;
  if (WORKER_COUNTS.length > 0 && workersSupported()) {
    const counts = WORKER_COUNTS;
    log(`workers: the product as server/main.ts runs it, STEPUP_WORKERS=${counts.join(', ')}`);
    const commits = (key: 'silent' | 'refresh') => measured.find((s) => s.key === key)!.breakdown.product.sqlByKind.commit ?? 0;
    const commitsPerOp = { silent: commits('silent'), refresh: commits('refresh') };
    try {
      workers = { runs: await measureWorkers(counts, { rounds: ROUNDS, roundMs: ROUND_MS, commitsPerOp }), sqliteWriter: await measureSqliteWriter() };
    } catch (error) {
      // The other phases' results stay worth writing; the report says the workers' run failed, and why.
      log(`workers: failed: ${(error as Error).stack ?? String(error)}`);
      workersFailed = (error as Error).message;
    }
  } else {
    log(WORKER_COUNTS.length === 0 ? 'workers: skipped (BENCH_WORKERS=0)' : 'workers: skipped (STEPUP_WORKERS is not in config/settings.ts yet)');
  }

  log('password hashing alone (servers stopped)');
  const password = await measurePasswordCost();

  results = {
    date: new Date().toISOString(),
    minutes: (Date.now() - startedAt) / 60_000,
    machine: machineInfo(loadAtStart, commitAtStart),
    settings: {
      BENCH_ROUNDS: ROUNDS,
      BENCH_ROUND_SECONDS: ROUND_MS / 1000,
      BENCH_SOAK: SOAK,
      ...(SOAK ? { BENCH_FLOWS: FLOWS, BENCH_SOAK_MINUTES: SOAK_MS / 60_000 } : {}),
      BENCH_PROFILE: PROFILE,
      accounts: product.pool.size,
      aal2MaxAgeSeconds: BENCH_AAL2_MAX_AGE,
    },
    scenarios: measured,
    passwordFlows: product.passwordFlows,
    password,
    poolWaitedMs: product.pool.waitedMs,
    profiles,
    soak: soaks,
    workers,
    workersFailed,
  };
} finally {
  await Promise.all(servers.map((server) => server.stop()));
}

const lastSoak = new URL('soak.json', RESULTS);
const previousSoak = existsSync(lastSoak) ? (JSON.parse(readFileSync(lastSoak, 'utf8')) as { date: string; commit?: string }) : undefined;
printReport(results);
writeReport(results, RESULTS, { lastSoak: previousSoak });
if (results.profiles.length > 0) writeProfileReport(results, profileSections(results.profiles), RESULTS, new URL('./stepup-vs-plain/profile-notes.md', import.meta.url));
log(`written: bench/results/latest.json, latest.md${results.soak ? ', soak.json, soak.md' : ''}${results.profiles.length ? ', profile.md (raw profiles in bench/results/profiles/, not in git)' : ''}`);
