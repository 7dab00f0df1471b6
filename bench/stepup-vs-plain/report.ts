// The side-by-side table with ratios and targets, printed and written to bench/results/latest.{json,md}.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import type { Breakdown } from './breakdown.ts';
import type { Usage } from './channel.ts';
import type { LoadResult } from './load.ts';
import type { PasswordCost } from './password-cost.ts';

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

export interface SideResults {
  name: string;
  flows: LoadResult[];
  refresh: LoadResult[];
  soak: Soak;
}

export interface Machine {
  node: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  platform: string;
  /** Other work on the machine shows here: on 2 CPUs anything above ~2 slowed both sides. */
  loadAverage: { start: number[]; end: number[] };
}

export function machineInfo(loadAtStart: number[]): Machine {
  return {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    platform: `${process.platform} ${process.arch}`,
    loadAverage: { start: loadAtStart, end: loadavg() },
  };
}

export interface Results {
  date: string;
  machine: Machine;
  settings: Record<string, number | string | boolean>;
  plain: SideResults;
  product: SideResults;
  password: PasswordCost;
  /** Time step-up flows waited for an account with an unspent TOTP step (0 when the pool is large enough). */
  poolWaitedMs: number;
  /** One flow and one refresh grant taken apart, at 1 client. */
  breakdown: { flow: Pair<Breakdown>; refresh: Pair<Breakdown> };
  targets: Target[];
}

interface Pair<T> {
  plain: T;
  product: T;
}

export interface Target {
  what: string;
  ratio: number;
  goal: string;
  met: boolean;
}

const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const rate = (value: number) => value.toFixed(1);
const ms = (value: number) => value.toFixed(1);
const ratio = (value: number) => `${value.toFixed(2)}×`;
const at = (results: LoadResult[], concurrency: number) => results.find((result) => result.concurrency === concurrency)!;

export function targetsOf(plain: Omit<SideResults, 'name'>, product: Omit<SideResults, 'name'>): Target[] {
  const flows = at(product.flows, 16).perSecond / at(plain.flows, 16).perSecond;
  const refresh = at(product.refresh, 16).perSecond / at(plain.refresh, 16).perSecond;
  const rss = product.soak.after.rss / warmOf(product.soak).rss;
  return [
    { what: 'step-up flows/s vs plain login flows/s (16 clients)', ratio: flows, goal: '≥ 0.90×', met: flows >= 0.9 },
    { what: 'refresh grants/s (16 clients)', ratio: refresh, goal: '≥ 0.95×', met: refresh >= 0.95 },
    { what: `product RSS after ${product.soak.flows} flows / after the first tenth`, ratio: rss, goal: '≤ 1.10×', met: rss <= 1.1 },
  ];
}

function rows({ plain, product }: Results): string[][] {
  const out: string[][] = [];
  const loads = [
    ['flows', plain.flows, product.flows, '≥ 0.90×'],
    ['refresh grants', plain.refresh, product.refresh, '≥ 0.95×'],
  ] as const;
  for (const [what, plainResults, productResults, goal] of loads) {
    for (const concurrency of [1, 16]) {
      const [a, b] = [at(plainResults, concurrency), at(productResults, concurrency)];
      const clients = `${concurrency} client${concurrency > 1 ? 's' : ''}`;
      out.push([`${what}/s, ${clients}`, rate(a.perSecond), rate(b.perSecond), ratio(b.perSecond / a.perSecond), concurrency === 16 ? goal : '']);
      out.push([`  p50 / p99 ms`, `${ms(a.p50)} / ${ms(a.p99)}`, `${ms(b.p50)} / ${ms(b.p99)}`, `${ratio(b.p50 / a.p50)} / ${ratio(b.p99 / a.p99)}`, '']);
      out.push([`  server CPU ms each`, ms(a.serverCpuMs ?? NaN), ms(b.serverCpuMs ?? NaN), ratio((b.serverCpuMs ?? NaN) / (a.serverCpuMs ?? NaN)), '']);
    }
  }
  const [a, b] = [plain.soak, product.soak];
  out.push([`soak flows/s (16 clients)`, `${rate(a.perSecond)} (${a.flows} flows)`, `${rate(b.perSecond)} (${b.flows} flows)`, ratio(b.perSecond / a.perSecond), '']);
  const cpu = (soak: Soak) => (soak.after.cpuMs - soak.before.cpuMs) / soak.flows;
  out.push(['server CPU ms per soak flow', ms(cpu(a)), ms(cpu(b)), ratio(cpu(b) / cpu(a)), '']);
  const memory = (soak: Soak, field: 'rss' | 'heapUsed') => [soak.before, warmOf(soak), soak.after].map((reading) => mib(reading[field])).join(' → ');
  out.push(['RSS MiB: before soak → after 1/10 → after all', memory(a, 'rss'), memory(b, 'rss'), '', '']);
  out.push(['RSS growth: after all / after 1/10', ratio(a.after.rss / warmOf(a).rss), ratio(b.after.rss / warmOf(b).rss), '', '≤ 1.10× (product)']);
  out.push(['RSS peak after 1/10 / after 1/10', ratio(peakOf(a) / warmOf(a).rss), ratio(peakOf(b) / warmOf(b).rss), '', '']);
  out.push(['heap used MiB (same points)', memory(a, 'heapUsed'), memory(b, 'heapUsed'), '', '']);
  return out;
}

const HEADER = ['', 'plain oidc-provider', 'step-up product', 'product / plain', 'target'];

function markdownTable(header: string[], body: string[][]): string {
  return [header, header.map(() => '---'), ...body].map((row) => `| ${row.join(' | ')} |`).join('\n');
}

function textTable(header: string[], body: string[][]): string {
  const widths = header.map((_, column) => Math.max(...[header, ...body].map((row) => row[column]!.length)));
  return [header, ...body]
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function passwordRows({ password }: Results): string[][] {
  const { N, r, p } = password.params;
  const head = [`scrypt N=2^${Math.log2(N)} r=${r} p=${p}: hash`, `${ms(password.hash.p50)} ms p50`, `${ms(password.hash.p99)} ms p99`, `${rate(password.hash.perSecond)}/s, 1 caller`];
  return [head, ...password.verify.map((v) => [`verify, ${v.concurrency} caller${v.concurrency > 1 ? 's' : ''}`, `${ms(v.p50)} ms p50`, `${ms(v.p99)} ms p99`, `${rate(v.perSecond)}/s`])];
}

function requestRows({ plain, product }: Pair<Breakdown>): string[][] {
  const cell = (b: Breakdown, index: number) => {
    const request = b.requests[index];
    return request ? [`${request.request}${request.perTask !== 1 ? ` (×${request.perTask})` : ''}`, ms(request.p50)] : ['', ''];
  };
  return Array.from({ length: Math.max(plain.requests.length, product.requests.length) }, (_, index) => [...cell(plain, index), ...cell(product, index)]);
}

function sqlRows({ flow, refresh }: Results['breakdown']): string[][] {
  const kinds = [...new Set([flow, refresh].flatMap((pair) => [pair.plain, pair.product]).flatMap((b) => Object.keys(b.sqlByKind)))].sort();
  const value = (b: Breakdown, kind: string) => String(b.sqlByKind[kind] ?? 0);
  return kinds.map((kind) => [kind, value(flow.plain, kind), value(flow.product, kind), value(refresh.plain, kind), value(refresh.product, kind)]);
}

const REQUEST_HEADER = ['plain request', 'p50 ms', 'product request', 'p50 ms'];
const SQL_HEADER = ['SQLite executions', 'plain, per flow', 'product, per flow', 'plain, per refresh', 'product, per refresh'];

export function printReport(results: Results): void {
  console.log(`\nstep-up vs plain oidc-provider (Node ${results.machine.node}, ${results.machine.cpus} CPUs, ${results.date})\n`);
  console.log(textTable(HEADER, rows(results)));
  console.log(`\none flow at 1 client, request by request:\n${textTable(REQUEST_HEADER, requestRows(results.breakdown.flow))}`);
  console.log(`\n${textTable(SQL_HEADER, sqlRows(results.breakdown))}`);
  console.log(`\npassword hashing alone (not in the flows):\n${textTable(['', 'p50', 'p99', 'rate'], passwordRows(results))}\n`);
  for (const target of results.targets) console.log(`${target.met ? 'met   ' : 'MISSED'}  ${target.what}: ${ratio(target.ratio)} (target ${target.goal})`);
  if (results.poolWaitedMs > 0) console.log(`note: step-up flows waited ${(results.poolWaitedMs / 1000).toFixed(1)} s in all for an unspent TOTP step (account pool too small)`);
}

export function writeReport(results: Results, dir: URL, findings?: URL): void {
  const folder = new URL('./', dir);
  mkdirSync(folder, { recursive: true });
  const strip = (side: SideResults) => ({ ...side, flows: side.flows.map(lean), refresh: side.refresh.map(lean) });
  const json = {
    ...results,
    plain: strip(results.plain),
    product: strip(results.product),
    password: { ...results.password, hash: lean(results.password.hash), verify: results.password.verify.map(lean) },
  };
  writeFileSync(new URL('latest.json', folder), `${JSON.stringify(json, null, 2)}\n`);
  const { machine, settings } = results;
  const md = [
    '# Step-up product vs plain oidc-provider',
    '',
    `Written by \`npm run bench\` (bench/stepup-vs-plain.ts) on ${results.date}: Node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ${machine.memoryGiB} GiB, ${machine.platform}; load average ${machine.loadAverage.start.map((v) => v.toFixed(2)).join(' ')} at the start, ${machine.loadAverage.end.map((v) => v.toFixed(2)).join(' ')} at the end.`,
    `Settings: ${Object.entries(settings)
      .map(([key, value]) => `${key}=${value}`)
      .join(', ')}.`,
    '',
    'Timed: the **step-up flow** (a browser whose session is already at aal1 → `/auth?acr_values=aal2` → the TOTP page → post the code → callback → token exchange; aal2 lasts 5 s in the bench policy, so every flow needs a code) against the **plain login flow** (a new browser → `/auth` → the scripted login page → post → callback → token exchange), 5 requests each; and one `refresh_token` grant. Rates and latencies come from rounds that alternate which server goes first; "server CPU ms each" is the server process\'s own CPU time per flow or grant, the figure least disturbed by other work on the machine. Both servers use SQLite through adapters/sqlite.',
    '',
    markdownTable(HEADER, rows(results)),
    '',
    `One flow at 1 client, request by request (${results.breakdown.flow.plain.tasks} flows each; p50):`,
    '',
    markdownTable(REQUEST_HEADER, requestRows(results.breakdown.flow)),
    '',
    'SQLite statements per flow and per refresh grant (counted in the server process; "commit" counts explicit commits and writes outside a transaction):',
    '',
    markdownTable(SQL_HEADER, sqlRows(results.breakdown)),
    '',
    'Most executed statements per step-up flow (product):',
    '',
    ...results.breakdown.flow.product.sqlTop.map((top) => `- ${top.perTask} × \`${top.statement}\``),
    '',
    'Password hashing alone (excluded from the flows):',
    '',
    markdownTable(['', 'p50', 'p99', 'rate'], passwordRows(results)),
    '',
    'Targets:',
    '',
    ...results.targets.map((target) => `- ${target.met ? 'met' : '**missed**'}: ${target.what}: ${ratio(target.ratio)} (target ${target.goal})`),
    ...(results.poolWaitedMs > 0 ? ['', `Step-up flows waited ${(results.poolWaitedMs / 1000).toFixed(1)} s in all for an unspent TOTP step (the account pool was too small).`] : []),
    ...(findings && existsSync(findings) ? ['', readFileSync(findings, 'utf8').trim()] : []),
    '',
  ].join('\n');
  writeFileSync(new URL('latest.md', folder), md);
}

function lean(result: LoadResult) {
  const { latencies: _dropped, ...rest } = result;
  return rest;
}
