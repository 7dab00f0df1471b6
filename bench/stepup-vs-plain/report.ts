// The side-by-side tables with ratios, targets (met / not met, never asserted), the per-core capacity table and the
// workers' scaling; printed, and written to bench/results/latest.{json,md} (and soak.*, profile.md).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Breakdown } from './breakdown.ts';
import type { Usage } from './channel.ts';
import type { LoadResult } from './load.ts';
import type { PasswordCost } from './password-cost.ts';
import { P99_TARGET, type ScenarioKey } from './scenarios.ts';
import type { SqliteWriter } from './sqlite-writer.ts';
import type { WorkerRun } from './workers.ts';

export interface Soak {
  flows: number;
  seconds: number;
  perSecond: number;
  /** Right before the soak (after warm-up and the measurements). */
  before: Usage;
  after: Usage;
  /** After each tenth of the flows; the first is the soak's own warm-up, the baseline for growth. */
  samples: Array<Usage & { flows: number }>;
}

/** The baseline for growth: after the first tenth of the soak (before it, if there were no samples). */
const warmOf = (soak: Soak): Usage => soak.samples[0] ?? soak.before;
const peakOf = (soak: Soak): number => Math.max(soak.after.rss, ...soak.samples.slice(1).map((sample) => sample.rss));

export interface Machine {
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  /** The commit measured (with "+ local changes" when the tree differed from it), as the run started. */
  commit: string;
  /** Other work on the machine shows here: on 2 CPUs anything above ~2 slowed both sides. */
  loadAverage: { start: number[]; end: number[] };
}

/**
 * The checkout's commit. Taken when the run starts: its servers run the code as it was then (a long soak may end after
 * a new commit). BENCH_COMMIT names it when the bench runs outside a git checkout (an exported tree, `git archive`).
 */
export function commitOf(): string {
  if (process.env.BENCH_COMMIT) return process.env.BENCH_COMMIT;
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return dirty ? `${head} + local changes` : head;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(loadAtStart: number[], commitAtStart: string): Machine {
  const commitAtEnd = commitOf();
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    commit: commitAtEnd === commitAtStart ? commitAtStart : `${commitAtStart} (the checkout was at ${commitAtEnd} when the run ended)`,
    loadAverage: { start: loadAtStart, end: loadavg() },
  };
}

interface Pair<T> {
  plain: T;
  product: T;
}

export interface ScenarioResult extends Pair<LoadResult[]> {
  key: ScenarioKey;
  title: string;
  plainOp: string;
  productOp: string;
  cpuTarget: number;
  breakdown: Pair<Breakdown>;
}

interface ProfileRun {
  scenario: ScenarioKey;
  title: string;
  side: string;
  operations: number;
  perSecond: number;
  serverCpuMs: number;
  file: string;
}

export interface Results {
  date: string;
  minutes: number;
  machine: Machine;
  settings: Record<string, number | string | boolean>;
  scenarios: ScenarioResult[];
  /** The product's untimed password sign-ins (scrypt at the bench's cheap N): server CPU in all, and how many. */
  passwordFlows: { count: number; cpuMs: number; scryptN: number };
  password: PasswordCost;
  /** Time step-up flows waited for an account with an unspent TOTP step (0 when the pool is large enough). */
  poolWaitedMs: number;
  profiles: ProfileRun[];
  soak?: Pair<Soak>;
  workers?: { runs: WorkerRun[]; sqliteWriter: SqliteWriter };
  /** Why the workers' run failed, when it did. */
  workersFailed?: string;
}

interface Target {
  what: string;
  value: number;
  goal: string;
  met: boolean;
}

/** Keycloak's published sizing (per vCPU), for the capacity table. */
const KEYCLOAK = {
  source: 'https://www.keycloak.org/high-availability/single-cluster/concepts-memory-and-cpu-sizing',
  title: 'Keycloak, "Concepts for sizing CPU and memory resources"',
  passwordLoginsPerVcpu: 15,
  refreshPerVcpu: 120,
};

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const rate = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const ms = (value: number | undefined) => (value === undefined || !Number.isFinite(value) ? 'n/a' : value < 10 ? value.toFixed(2) : value.toFixed(1));
const ratio = (value: number) => (Number.isFinite(value) ? `${value.toFixed(2)}×` : 'n/a');
const at = (results: LoadResult[], concurrency: number) => results.find((result) => result.concurrency === concurrency)!;
const verdict = (met: boolean) => (met ? 'met' : 'not met');

function targetsOf(results: Results): Target[] {
  const targets: Target[] = [];
  for (const scenario of results.scenarios) {
    const [a, b] = [at(scenario.plain, 16), at(scenario.product, 16)];
    const cpu = (b.serverCpuMs ?? NaN) / (a.serverCpuMs ?? NaN);
    const p99 = b.p99 / a.p99;
    targets.push({ what: `${scenario.title}: server CPU per operation, product / plain (16 clients)`, value: cpu, goal: `≤ ${scenario.cpuTarget.toFixed(2)}×`, met: cpu <= scenario.cpuTarget });
    targets.push({ what: `${scenario.title}: p99 latency, product / plain (16 clients)`, value: p99, goal: `≤ ${P99_TARGET.toFixed(2)}×`, met: p99 <= P99_TARGET });
  }
  if (results.soak) {
    const growth = results.soak.product.after.rss / warmOf(results.soak.product).rss;
    targets.push({ what: `product RSS after ${results.soak.product.flows} soak flows / after the first tenth`, value: growth, goal: '≤ 1.10× (and ≥ 0.90×)', met: growth <= 1.1 && growth >= 0.9 });
  }
  for (const scaling of workerScaling(results)) {
    if (scaling.workers === 2) targets.push({ what: `${scaling.what}/s, 2 workers / 1 worker (16 clients per worker)`, value: scaling.value, goal: '≥ 1.70×', met: scaling.value >= 1.7 });
  }
  return targets;
}

function workerScaling(results: Results): Array<{ what: string; workers: number; value: number }> {
  const runs = results.workers?.runs ?? [];
  const one = runs.find((run) => run.workers === 1);
  if (!one) return [];
  return runs
    .filter((run) => run.workers > 1)
    .flatMap((run) => [
      { what: 'silent sign-ins', workers: run.workers, value: run.silent.perSecond / one.silent.perSecond },
      { what: 'refresh grants', workers: run.workers, value: run.refresh.perSecond / one.refresh.perSecond },
    ]);
}

function scenarioRows(scenario: ScenarioResult): string[][] {
  const out: string[][] = [];
  for (const concurrency of [1, 16]) {
    const [a, b] = [at(scenario.plain, concurrency), at(scenario.product, concurrency)];
    const clients = `${concurrency} client${concurrency > 1 ? 's' : ''}`;
    const cpu = (b.serverCpuMs ?? NaN) / (a.serverCpuMs ?? NaN);
    const p99 = b.p99 / a.p99;
    out.push([
      `${clients}: server CPU ms per op`,
      ms(a.serverCpuMs),
      ms(b.serverCpuMs),
      ratio(cpu),
      concurrency === 16 ? `≤ ${scenario.cpuTarget.toFixed(2)}×: ${verdict(cpu <= scenario.cpuTarget)}` : '',
    ]);
    out.push([`${clients}: operations/s`, rate(a.perSecond), rate(b.perSecond), ratio(b.perSecond / a.perSecond), '']);
    out.push([
      `${clients}: p50 / p99 ms`,
      `${ms(a.p50)} / ${ms(a.p99)}`,
      `${ms(b.p50)} / ${ms(b.p99)}`,
      `${ratio(b.p50 / a.p50)} / ${ratio(p99)}`,
      concurrency === 16 ? `p99 ≤ ${P99_TARGET.toFixed(2)}×: ${verdict(p99 <= P99_TARGET)}` : '',
    ]);
    out.push([`${clients}: load generator CPU ms per op`, ms(a.clientCpuMs), ms(b.clientCpuMs), '', '']);
  }
  return out;
}

const SCENARIO_HEADER = ['', 'plain oidc-provider', 'step-up product', 'product / plain', 'target (issue 11)'];

function capacityRows(results: Results): string[][] {
  const perCore = (cpuMs: number | undefined) => (cpuMs ? 1000 / cpuMs : NaN);
  const rows: string[][] = [];
  const named: Record<ScenarioKey, [string, string]> = {
    silent: ['silent sign-ins (prompt=none, acr_values satisfied)', '—'],
    stepup: ['step-up flows (aal1 → TOTP → aal2 → tokens; plain: scripted login flows)', '—'],
    refresh: ['refresh grants', `${KEYCLOAK.refreshPerVcpu} refresh token requests/s`],
  };
  for (const key of ['silent', 'stepup', 'refresh'] as const) {
    const scenario = results.scenarios.find((s) => s.key === key);
    if (!scenario) continue;
    rows.push([named[key][0], rate(perCore(at(scenario.product, 16).serverCpuMs)), rate(perCore(at(scenario.plain, 16).serverCpuMs)), named[key][1]]);
  }
  rows.push(['password sign-ins (scrypt-bound)', rate(passwordPerCore(results)), '—', `${KEYCLOAK.passwordLoginsPerVcpu} password-based logins/s`]);
  return rows;
}

/** One core's password sign-ins: the flow's server CPU around the hash, plus one scrypt verification at the production cost. */
function passwordPerCore(results: Results): number {
  const { passwordFlows, password } = results;
  if (passwordFlows.count === 0) return 1000 / password.verifyCpuMs;
  const flowWithoutHash = Math.max(0, passwordFlows.cpuMs / passwordFlows.count - password.benchVerifyCpuMs);
  return 1000 / (flowWithoutHash + password.verifyCpuMs);
}

const CAPACITY_HEADER = ['per core (1 / server CPU per op, 16 clients)', 'step-up product', 'plain oidc-provider', `Keycloak's sizing, per vCPU`];

function passwordRows({ password }: Results): string[][] {
  const { N, r, p } = password.params;
  const head = [`scrypt N=2^${Math.log2(N)} r=${r} p=${p}: hash`, `${ms(password.hash.p50)} ms p50`, `${ms(password.hash.p99)} ms p99`, `${rate(password.hash.perSecond)}/s, 1 caller`];
  return [
    head,
    ...password.verify.map((v) => [`verify, ${v.concurrency} caller${v.concurrency > 1 ? 's' : ''}`, `${ms(v.p50)} ms p50`, `${ms(v.p99)} ms p99`, `${rate(v.perSecond)}/s`]),
    ['verify, CPU ms each (all threads)', ms(password.verifyCpuMs), '', ''],
  ];
}

function requestRows({ plain, product }: Pair<Breakdown>): string[][] {
  const cell = (b: Breakdown, index: number) => {
    const request = b.requests[index];
    return request ? [`${request.request}${request.perTask !== 1 ? ` (×${request.perTask})` : ''}`, ms(request.p50)] : ['', ''];
  };
  return Array.from({ length: Math.max(plain.requests.length, product.requests.length) }, (_, index) => [...cell(plain, index), ...cell(product, index)]);
}

function sqlRows(scenarios: ScenarioResult[]): string[][] {
  const kinds = [...new Set(scenarios.flatMap((s) => [s.breakdown.plain, s.breakdown.product]).flatMap((b) => Object.keys(b.sqlByKind)))].sort();
  return kinds.map((kind) => [kind, ...scenarios.flatMap((s) => [String(s.breakdown.plain.sqlByKind[kind] ?? 0), String(s.breakdown.product.sqlByKind[kind] ?? 0)])]);
}

const sqlHeader = (scenarios: ScenarioResult[]) => ['SQLite executions per op', ...scenarios.flatMap((s) => [`${s.key}: plain`, `${s.key}: product`])];

function soakRows({ plain: a, product: b }: Pair<Soak>): string[][] {
  const cpu = (soak: Soak) => (soak.after.cpuMs - soak.before.cpuMs) / soak.flows;
  const memory = (soak: Soak, field: 'rss' | 'heapUsed') => [soak.before, warmOf(soak), soak.after].map((reading) => mib(reading[field])).join(' → ');
  return [
    ['flows/s (16 clients)', `${rate(a.perSecond)} (${a.flows} flows)`, `${rate(b.perSecond)} (${b.flows} flows)`, ratio(b.perSecond / a.perSecond)],
    ['server CPU ms per flow', ms(cpu(a)), ms(cpu(b)), ratio(cpu(b) / cpu(a))],
    ['RSS MiB: before → after 1/10 → after all', memory(a, 'rss'), memory(b, 'rss'), ''],
    ['RSS growth: after all / after 1/10', ratio(a.after.rss / warmOf(a).rss), ratio(b.after.rss / warmOf(b).rss), ''],
    ['RSS peak after 1/10 / after 1/10', ratio(peakOf(a) / warmOf(a).rss), ratio(peakOf(b) / warmOf(b).rss), ''],
    ['heap used MiB (same points)', memory(a, 'heapUsed'), memory(b, 'heapUsed'), ''],
  ];
}

function workerRows(results: Results): string[][] {
  const runs = results.workers?.runs ?? [];
  const one = runs.find((run) => run.workers === 1);
  return runs.flatMap((run) =>
    (['silent', 'refresh'] as const).map((what) => {
      const load = run[what];
      return [
        `${what === 'silent' ? 'silent sign-ins' : 'refresh grants'}, ${run.workers} worker${run.workers > 1 ? 's' : ''}, ${load.concurrency} clients`,
        rate(load.perSecond),
        one && run !== one ? ratio(load.perSecond / one[what].perSecond) : '',
        `${ms(load.p50)} / ${ms(load.p99)}`,
        ms(load.serverCpuMs),
        ms(load.clientCpuMs),
        `${((load.perSecond * (load.serverCpuMs ?? NaN)) / 1000).toFixed(2)} / ${((load.perSecond * load.clientCpuMs) / 1000).toFixed(2)}`,
        rate(load.perSecond * run.commitsPerOp[what]),
        run.busyWait?.[what] ? `${(100 * run.busyWait[what]!.share).toFixed(1)} %` : 'n/a',
      ];
    }),
  );
}

const WORKER_HEADER = [
  'product as server/main.ts runs it',
  'ops/s',
  'vs 1 worker',
  'p50 / p99 ms',
  'server CPU ms per op (primary + workers)',
  'load generator CPU ms per op',
  'cores busy: server / load generator',
  'SQLite commits/s',
  "a worker's time asleep in SQLite's busy handler",
];

function sqliteWriterLines(writer: SqliteWriter, runs: WorkerRun[] = []): string[] {
  const ceiling = Math.max(...writer.runs.map((run) => run.commitsPerSecond));
  const asked = Math.max(0, ...runs.flatMap((run) => [run.silent.perSecond * run.commitsPerOp.silent, run.refresh.perSecond * run.commitsPerOp.refresh]));
  const waits = runs.flatMap((run) => (['silent', 'refresh'] as const).map((what) => ({ workers: run.workers, what, share: run.busyWait?.[what]?.share ?? NaN })));
  const worst = waits.filter((wait) => Number.isFinite(wait.share)).sort((a, b) => b.share - a.share)[0];
  return [
    `SQLite's single writer, measured alone (WAL, synchronous=NORMAL, busy timeout as the product; one INSERT of a ${writer.payloadBytes}-byte row per commit, ${writer.seconds} s per run): ` +
      writer.runs
        .map((run) => `${run.writers} writer process${run.writers > 1 ? 'es' : ''}: ${rate(run.commitsPerSecond)} commits/s in all (p99 ${ms(run.p99Ms)} ms per commit, ${run.busyErrors} SQLITE_BUSY)`)
        .join('; ') +
      `. The workers' runs above asked for at most ${rate(asked)} commits/s (commits per operation from the single-process breakdown × rate), ${((100 * asked) / ceiling).toFixed(1)} % of that ceiling: ${asked > ceiling / 2 ? 'the single writer is close to being the ceiling' : 'the single writer is not what limits these runs'}.`,
    ...(worst
      ? [
          `But the writer's lock is shared by processes: each serving process's main thread was sampled (/proc/<pid>/syscall, about every ms, bench/stepup-vs-plain/sleep-sampler.ts) for sleeps in SQLite's busy handler, the event loop blocked while another process holds the write lock. Most: ${(100 * worst.share).toFixed(1)} % of a worker's time (${worst.what === 'silent' ? 'silent sign-ins' : 'refresh grants'}, ${worst.workers} worker${worst.workers > 1 ? 's' : ''})${worst.share > 0.02 ? ': time in which the worker serves nothing, so the single writer does limit the scaling' : ''}.`,
        ]
      : []),
  ];
}

/** A warning when other work competed for the cores (the load average counts runnable processes, ours included). */
function busyMachine({ machine }: Results): string | undefined {
  const highest = Math.max(machine.loadAverage.start[0] ?? 0, machine.loadAverage.end[0] ?? 0);
  if (highest <= machine.cpus + 1) return undefined;
  return `**The machine was busy** (1-minute load average up to ${highest.toFixed(1)} on ${machine.cpus} cores, where this benchmark alone accounts for about 2): rates, latencies and the workers' scaling are disturbed by other work; the server CPU per operation, and the ratios of it, are the figures to read.`;
}

/** What the machine and the run were: in every result file. */
function header(results: Results, title: string): string[] {
  const { machine, settings } = results;
  const busy = busyMachine(results);
  return [
    `# ${title}`,
    '',
    `Written by \`npm run bench\` (bench/stepup-vs-plain.ts) on ${results.date} in ${results.minutes.toFixed(1)} min, commit ${machine.commit}: Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}; load average ${machine.loadAverage.start.map((v) => v.toFixed(2)).join(' ')} at the start, ${machine.loadAverage.end.map((v) => v.toFixed(2)).join(' ')} at the end.`,
    `Settings: ${Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')}.`,
    ...(busy ? ['', busy] : []),
    '',
  ];
}

function markdownTable(head: string[], body: string[][]): string {
  return [head, head.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

function textTable(head: string[], body: string[][]): string {
  const widths = head.map((_, column) => Math.max(...[head, ...body].map((row) => (row[column] ?? '').length)));
  return [head, ...body]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const SHARED_MACHINE =
  'The load generator (this process: HTTP clients, PKCE, TOTP codes) runs on the same machine as the servers and takes CPU from them; "load generator CPU ms per op" says how much. Server CPU per operation is the figure least disturbed by it, and the one the targets are set on.';

export function printReport(results: Results): void {
  console.log(`\nstep-up product vs plain oidc-provider (Node ${results.machine.node}, ${results.machine.cpus} × ${results.machine.cpuModel}, ${results.date})`);
  for (const scenario of results.scenarios) console.log(`\n${scenario.title}\n${textTable(SCENARIO_HEADER, scenarioRows(scenario))}`);
  console.log(`\n${textTable(CAPACITY_HEADER, capacityRows(results))}`);
  if (results.workers) {
    console.log(`\n${textTable(WORKER_HEADER, workerRows(results))}`);
    console.log(sqliteWriterLines(results.workers.sqliteWriter, results.workers.runs).join('\n'));
  }
  if (results.soak) console.log(`\nsoak\n${textTable(['', 'plain oidc-provider', 'step-up product', 'product / plain'], soakRows(results.soak))}`);
  console.log(`\n${SHARED_MACHINE}\n`);
  const busy = busyMachine(results);
  if (busy) console.log(`${busy.replace(/\*\*/g, '')}\n`);
  for (const target of targetsOf(results)) console.log(`${target.met ? 'met    ' : 'NOT MET'}  ${target.what}: ${ratio(target.value)} (target ${target.goal})`);
  if (results.poolWaitedMs > 0) console.log(`note: step-up flows waited ${(results.poolWaitedMs / 1000).toFixed(1)} s in all for an unspent TOTP step (account pool too small)`);
}

function lean(result: LoadResult) {
  const { latencies: _dropped, ...rest } = result;
  return rest;
}

function jsonOf(results: Results) {
  return {
    ...results,
    scenarios: results.scenarios.map((s) => ({ ...s, plain: s.plain.map(lean), product: s.product.map(lean) })),
    password: { ...results.password, hash: lean(results.password.hash), verify: results.password.verify.map(lean) },
    workers: results.workers && { ...results.workers, runs: results.workers.runs.map((run) => ({ ...run, silent: lean(run.silent), refresh: lean(run.refresh) })) },
    targets: targetsOf(results),
  };
}

function soakMarkdown(results: Results, soak: Pair<Soak>): string[] {
  return [
    `Soak: up to ${results.settings.BENCH_FLOWS} step-up flows at 16 clients (bounded by BENCH_SOAK_MINUTES=${results.settings.BENCH_SOAK_MINUTES}), then as many plain login flows; RSS after a forced GC, growth measured from the first tenth (the soak's own warm-up).`,
    '',
    markdownTable(['', 'plain oidc-provider', 'step-up product', 'product / plain'], soakRows(soak)),
    '',
  ];
}

export function writeReport(results: Results, dir: URL, { lastSoak }: { lastSoak?: { date: string; machine?: Machine } }): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL('latest.json', dir), `${JSON.stringify(jsonOf(results), null, 2)}\n`);
  const scenarioSections = results.scenarios.flatMap((scenario) => [
    `### ${scenario.title}`,
    '',
    `Plain: ${scenario.plainOp}. Product: ${scenario.productOp}.`,
    '',
    markdownTable(SCENARIO_HEADER, scenarioRows(scenario)),
    '',
    `Request by request at 1 client (p50 ms, ${scenario.breakdown.plain.tasks} operations each):`,
    '',
    markdownTable(['plain request', 'p50 ms', 'product request', 'p50 ms'], requestRows(scenario.breakdown)),
    '',
  ]);
  const soakLine = results.soak
    ? 'Soak: this run (below, and bench/results/soak.md).'
    : lastSoak
      ? `Soak: none in this run (\`BENCH_SOAK=1\` runs it); the last one is bench/results/soak.md, ${lastSoak.date}${lastSoak.machine?.commit ? ` (commit ${lastSoak.machine.commit})` : ', with an earlier version of the product'}.`
      : 'Soak: none in this run and none recorded (`BENCH_SOAK=1` runs it).';
  const md = [
    ...header(results, 'Step-up product vs plain oidc-provider'),
    'Both servers run in their own process on 127.0.0.1 with SQLite through adapters/sqlite; rounds alternate which server goes first. "server CPU ms per op" is the server process\'s CPU time (user + system, all threads) per operation.',
    SHARED_MACHINE,
    soakLine,
    '',
    '## Targets (issue 11; reported, never asserted)',
    '',
    ...targetsOf(results).map((target) => `- ${target.met ? 'met' : '**not met**'}: ${target.what}: ${ratio(target.value)} (target ${target.goal})`),
    ...(results.poolWaitedMs > 0 ? ['', `Step-up flows waited ${(results.poolWaitedMs / 1000).toFixed(1)} s in all for an unspent TOTP step (the account pool was too small).`] : []),
    '',
    '## Capacity per core',
    '',
    `Operations one core serves, from the server CPU per operation at 16 clients (single-process product; SQLite embedded, HTTP on loopback, no TLS). Password sign-ins: the product's password flow without its hash plus one scrypt verification at the default parameters (${results.password.params.N === 2 ** 15 ? 'N=2^15' : `N=${results.password.params.N}`}, measured alone below); scrypt is ${((100 * results.password.verifyCpuMs) / (1000 / passwordPerCore(results))).toFixed(0)} % of it. Keycloak's figures are its published sizing per vCPU ([${KEYCLOAK.title}](${KEYCLOAK.source}): 1 vCPU per ${KEYCLOAK.passwordLoginsPerVcpu} password-based logins/s, most of it spent hashing the password; 1 vCPU per ${KEYCLOAK.refreshPerVcpu} refresh token requests/s; with TLS and an external database, and 150 % headroom advised on top), not measured here.`,
    '',
    markdownTable(CAPACITY_HEADER, capacityRows(results)),
    '',
    '## Scenarios',
    '',
    ...scenarioSections,
    'SQLite statements per operation (counted in the server process; "commit" counts explicit commits and writes outside a transaction):',
    '',
    markdownTable(sqlHeader(results.scenarios), sqlRows(results.scenarios)),
    '',
    ...results.scenarios.flatMap((scenario) => [
      `Most executed statements per ${scenario.key} operation (product):`,
      '',
      ...scenario.breakdown.product.sqlTop.filter((top) => top.perTask > 0).map((top) => `- ${top.perTask} × \`${top.statement}\``),
      '',
    ]),
    ...(results.workers
      ? [
          '## Workers (STEPUP_WORKERS)',
          '',
          `The product started as \`server/main.ts\` starts it (node:cluster, one port), with its own SQLite data directory per run; 16 clients per worker; rounds of ${results.settings.BENCH_ROUND_SECONDS} s. Server CPU is summed over the primary and its workers (/proc/<pid>/stat). The load generator shares the ${results.machine.cpus} cores: "cores busy" shows how much of the machine each side took.`,
          '',
          markdownTable(WORKER_HEADER, workerRows(results)),
          '',
          ...sqliteWriterLines(results.workers.sqliteWriter, results.workers.runs),
          '',
        ]
      : ['## Workers', '', results.workersFailed ? `Not measured: the run failed (${results.workersFailed}).` : 'Not measured in this run (`BENCH_WORKERS=0` skips the workers).', '']),
    '## Password hashing alone (excluded from the flows)',
    '',
    markdownTable(['', 'p50', 'p99', 'rate'], passwordRows(results)),
    '',
    ...(results.soak ? ['## Soak', '', ...soakMarkdown(results, results.soak)] : []),
  ].join('\n');
  writeFileSync(new URL('latest.md', dir), md);
  if (results.soak) {
    writeFileSync(new URL('soak.json', dir), `${JSON.stringify({ date: results.date, machine: results.machine, settings: results.settings, soak: results.soak }, null, 2)}\n`);
    writeFileSync(new URL('soak.md', dir), [...header(results, 'Soak: step-up product vs plain oidc-provider'), ...soakMarkdown(results, results.soak)].join('\n'));
  }
}

/** `notes`: a hand-written reading of the profile, appended when the file exists. */
export function writeProfileReport(results: Results, sections: string[], dir: URL, notes?: URL): void {
  const runs = results.profiles.map(
    (run) => `- ${run.title}, ${run.side}: ${run.operations} operations at 16 clients, ${rate(run.perSecond)}/s, server CPU ${ms(run.serverCpuMs)} ms per op under the profiler`,
  );
  const md = [
    ...header(results, 'CPU profiles: where the server time goes'),
    '`BENCH_PROFILE=1 npm run bench` runs every scenario again, each server under the V8 CPU profiler (the inspector in the server process, 1 ms sampling). Raw profiles: bench/results/profiles/*.cpuprofile (not in git; open them in Chrome DevTools or summarize one with `npx tsx bench/stepup-vs-plain/profile-summary.ts <file> <operations> <server CPU ms per op>`).',
    '',
    'How to read it: **self** time is spent in the function itself (a native it calls, such as JSON.parse or a hash, is charged to it; a SQLite native to better-sqlite3); **inclusive** time counts every function, file and group on the synchronous stack of a sample, so it answers "how much would go if this call went"; work after an `await` is not under its caller. (idle) is left out. Only the main thread is sampled: scrypt and other thread-pool work are in the server CPU, not in a profile. Groups: oidc-provider, better-sqlite3, other packages by name, node internals, and our folders (`server/ (ours)`, `interactions/ (ours)`, …).',
    '',
    ...runs,
    '',
    ...(notes && existsSync(notes) ? [readFileSync(notes, 'utf8').trim(), ''] : []),
    ...sections,
  ].join('\n');
  writeFileSync(new URL('profile.md', dir), md);
}
