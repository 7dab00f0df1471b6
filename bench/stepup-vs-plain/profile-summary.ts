// Sums a V8 .cpuprofile up: self and inclusive time by group (oidc-provider, our folders, node internals,
// better-sqlite3, …), by file and by function, in ms per operation. Used by BENCH_PROFILE=1 and on its own:
// `npx tsx bench/stepup-vs-plain/profile-summary.ts <file.cpuprofile> [operations] [server CPU ms per op] [top]`, or
// `… profile-summary.ts --rewrite` to write bench/results/profile.md again from latest.json (after editing the notes).
//
// Decisions:
// - Self time of a native frame (no url: a V8 builtin or a C++ binding such as JSON.parse, a hash, a statement's
//   run) is charged to the nearest caller with a url ("… incl. the natives it calls"), except SQLite's: a native
//   frame called from better-sqlite3's own JS, our adapters/sqlite or the bench's statement counter is better-sqlite3.
// - Inclusive time counts a sample once per function (or file, or group) on its synchronous stack, recursion
//   included once; work after an await is not under its caller (V8 samples the synchronous stack only).
// - (idle) is left out of every total: it is the server waiting for the load generator, not work; so is the profiler's
//   own work (node:inspector on the stack: Profiler.stop serializing the profile). (garbage
//   collector) and (program) (V8 itself, outside JS) keep rows of their own.
// - Only the main thread is sampled: work on libuv's thread pool (scrypt, some of node:crypto) is not in a profile,
//   while it is in "server CPU ms" (the process's CPU time), so a profile's total per operation is a little lower.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const SPECIAL = new Set(['(garbage collector)', '(program)', '(root)', '(idle)']);
const SQLITE_CALLERS = /node_modules\/better-sqlite3\/|\/adapters\/sqlite\/|\/bench\/stepup-vs-plain\/sql-counter\.ts/;

/** The path inside this repository (or inside node_modules), for display. */
function shortUrl(url: string): string {
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  return path.startsWith(REPO) ? path.slice(REPO.length) : path;
}

/** oidc-provider, better-sqlite3, another package, one of our top-level folders, node internals. */
export function groupOf(url: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const path = shortUrl(url);
  if (path !== url || url.startsWith('file://')) return `${path.includes('/') ? path.slice(0, path.indexOf('/') + 1) : path} (ours)`;
  return url;
}

interface Frame {
  /** Function name and location, e.g. `assess server/assessment.ts:40`. */
  fn: string;
  file: string;
  group: string;
}

export interface ProfileSummary {
  /** Sampled time without (idle), ms. */
  busyMs: number;
  idleMs: number;
  operations: number;
  /** The server process's measured CPU per operation during the profile, when known: the ms column is a share of it. */
  serverCpuMs?: number;
  selfByGroup: Map<string, number>;
  selfByFunction: Map<string, number>;
  inclusiveByGroup: Map<string, number>;
  inclusiveByFile: Map<string, number>;
  inclusiveByFunction: Map<string, number>;
  /** SQLite's native time by the store method that ran the statement, and that method's caller. */
  sqliteByCaller: Map<string, number>;
}

/** Frames that only pass a store call on: skipped when naming who asked for a statement. */
const PASS_THROUGH = /^(adapters\/|server\/guarded-stores|server\/metrics|bench\/|better-sqlite3\/)/;

export function summarizeProfile(profile: CpuProfile, operations: number, serverCpuMs?: number): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const frames = new Map<number, Frame | undefined>();
  /** A node's own frame: undefined for native frames (no url) and V8's special nodes. */
  function frameOf(id: number): Frame | undefined {
    if (frames.has(id)) return frames.get(id);
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
    // Our .ts files run as tsx compiled them: V8's line numbers are the compiled code's, not the source's.
    const where = url.endsWith('.ts') ? shortUrl(url) : `${shortUrl(url)}:${lineNumber + 1}`;
    const frame = url === '' ? undefined : { fn: `${functionName || '(anonymous)'} ${where}`, file: shortUrl(url), group: groupOf(url) };
    frames.set(id, frame);
    return frame;
  }
  /** Where a sample's self time goes: its own frame, or for a native one the nearest caller with a url. */
  function selfOf(id: number): Frame {
    const { functionName, url } = byId.get(id)!.callFrame;
    if (SPECIAL.has(functionName) && url === '') return { fn: functionName, file: functionName, group: functionName };
    const own = frameOf(id);
    if (own) return own;
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const caller = frameOf(at);
      if (!caller) continue;
      const callerUrl = byId.get(at)!.callFrame.url;
      if (SQLITE_CALLERS.test(callerUrl)) return { fn: `${functionName} (SQLite native)`, file: 'better-sqlite3 (native)', group: 'better-sqlite3' };
      return { fn: `${functionName} (native) ← ${caller.fn}`, file: caller.file, group: caller.group };
    }
    return { fn: `${functionName || '(anonymous)'} (native)`, file: '(native)', group: '(native, no caller)' };
  }

  const summary: ProfileSummary = {
    busyMs: 0,
    idleMs: 0,
    operations,
    serverCpuMs,
    selfByGroup: new Map(),
    selfByFunction: new Map(),
    inclusiveByGroup: new Map(),
    inclusiveByFile: new Map(),
    inclusiveByFunction: new Map(),
    sqliteByCaller: new Map(),
  };
  /** "store method ← its caller" for a SQLite native sample: the nearest adapters/ frame and the nearest frame beyond the store layers. */
  function sqliteCaller(id: number): string {
    let store: string | undefined;
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const frame = frameOf(at);
      if (!frame) continue;
      if (!store && frame.file.startsWith('adapters/')) store = frame.fn;
      if (!PASS_THROUGH.test(frame.file)) return `${store ?? '(no store method)'} ← ${frame.fn}`;
    }
    return `${store ?? '(no store method)'} ← (start of the synchronous stack)`;
  }
  const add = (map: Map<string, number>, key: string, ms: number) => map.set(key, (map.get(key) ?? 0) + ms);
  const once = (seen: Set<string>, map: Map<string, number>, key: string, ms: number) => {
    if (seen.has(key)) return;
    seen.add(key);
    add(map, key, ms);
  };
  /** Samples under node:inspector are the profiler itself (Profiler.stop serializing the profile): left out. */
  const inspector = new Map<number, boolean>();
  function underInspector(id: number): boolean {
    const known = inspector.get(id);
    if (known !== undefined) return known;
    const parent = parentOf.get(id);
    const result = byId.get(id)!.callFrame.url === 'node:inspector' || (parent !== undefined && underInspector(parent));
    inspector.set(id, result);
    return result;
  }
  profile.samples.forEach((id, index) => {
    const ms = (profile.timeDeltas[index] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)' || underInspector(id)) {
      summary.idleMs += ms;
      return;
    }
    summary.busyMs += ms;
    const self = selfOf(id);
    add(summary.selfByGroup, self.group, ms);
    add(summary.selfByFunction, self.fn, ms);
    if (self.group === 'better-sqlite3') add(summary.sqliteByCaller, sqliteCaller(id), ms);
    const seen = { fn: new Set<string>(), file: new Set<string>(), group: new Set<string>([self.group]) };
    add(summary.inclusiveByGroup, self.group, ms);
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = frameOf(at);
      if (!frame) continue;
      once(seen.fn, summary.inclusiveByFunction, frame.fn, ms);
      once(seen.file, summary.inclusiveByFile, frame.file, ms);
      once(seen.group, summary.inclusiveByGroup, frame.group, ms);
    }
  });
  return summary;
}

/** ms per op: the share of the sampled busy time times the measured server CPU per op (or the sampled time itself). */
function rows(map: Map<string, number>, summary: ProfileSummary, top: number): string[][] {
  const perOp = summary.serverCpuMs ?? summary.busyMs / summary.operations;
  return [...map]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => [`\`${name.replace(/`/g, "'")}\``, ((100 * ms) / summary.busyMs).toFixed(1), ((ms / summary.busyMs) * perOp).toFixed(3)]);
}

function table(header: string, body: string[][]): string {
  return [`| ${header} | % of busy | ≈ ms per op |`, '| --- | ---: | ---: |', ...body.map((row) => `| ${row.join(' | ')} |`)].join('\n');
}

/** Markdown: busy time per operation, then the group, file and function tables. */
export function profileMarkdown(title: string, summary: ProfileSummary, top = 25): string {
  return [
    `### ${title}`,
    '',
    `${summary.operations} operations; server CPU ${summary.serverCpuMs === undefined ? 'not measured' : `${summary.serverCpuMs.toFixed(2)} ms`} per operation; the main thread's sampled busy time ${(summary.busyMs / summary.operations).toFixed(2)} ms per operation (wall time: more than the CPU time when the machine is loaded), idle or profiling itself ${((100 * summary.idleMs) / (summary.idleMs + summary.busyMs)).toFixed(0)} % of the time. "≈ ms per op" = share of the sampled busy time × server CPU per operation.`,
    '',
    'Self time by group (natives charged to their caller, SQLite natives to better-sqlite3):',
    '',
    table('group', rows(summary.selfByGroup, summary, top)),
    '',
    'Inclusive time by group (a sample counts for every group on its synchronous stack):',
    '',
    table('group', rows(summary.inclusiveByGroup, summary, top)),
    '',
    `Inclusive time by file (top ${top}):`,
    '',
    table('file', rows(summary.inclusiveByFile, summary, top)),
    '',
    `Inclusive time by function (top ${top}):`,
    '',
    table('function', rows(summary.inclusiveByFunction, summary, top)),
    '',
    `Self time by function (top ${top}):`,
    '',
    table('function', rows(summary.selfByFunction, summary, top)),
    '',
    `SQLite's native time by store method ← the caller beyond the store layers (top ${top}; % of all busy time):`,
    '',
    table('store method ← caller', rows(summary.sqliteByCaller, summary, top)),
    '',
  ].join('\n');
}

export function readProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.argv[2] === '--rewrite') {
  // Rewrites bench/results/profile.md from latest.json and the raw profiles it names, with the current notes
  // (bench/stepup-vs-plain/profile-notes.md): after editing the notes, or the summary's code.
  const { writeProfileReport } = await import('./report.ts');
  const results = JSON.parse(readFileSync(new URL('../results/latest.json', import.meta.url), 'utf8')) as Parameters<typeof writeProfileReport>[0];
  if (results.profiles.length === 0) throw new Error('bench/results/latest.json has no profiles: run BENCH_PROFILE=1 npm run bench');
  writeProfileReport(results, profileSections(results.profiles), new URL('../results/', import.meta.url), new URL('./profile-notes.md', import.meta.url));
  console.log('written: bench/results/profile.md');
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, operations, serverCpuMs, top] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [operations] [server CPU ms per operation] [top]');
  console.log(profileMarkdown(file, summarizeProfile(readProfile(file), Number(operations ?? 1), serverCpuMs ? Number(serverCpuMs) : undefined), Number(top ?? 25)));
}

/** Product next to plain for one scenario: self time per operation by group, and the functions whose self time grew most. */
export function comparisonMarkdown(title: string, plain: ProfileSummary, product: ProfileSummary, top = 20): string {
  const perOp = (summary: ProfileSummary, ms: number) => (ms / summary.busyMs) * (summary.serverCpuMs ?? summary.busyMs / summary.operations);
  const side = (map: Map<string, number>, summary: ProfileSummary, key: string) => perOp(summary, map.get(key) ?? 0);
  const compare = (pick: (summary: ProfileSummary) => Map<string, number>, limit: number) =>
    [...new Set([...pick(plain).keys(), ...pick(product).keys()])]
      .map((key) => ({ key, a: side(pick(plain), plain, key), b: side(pick(product), product, key) }))
      .sort((x, y) => y.b - y.a - (x.b - x.a))
      .slice(0, limit)
      .map(({ key, a, b }) => `| \`${key.replace(/`/g, "'")}\` | ${a.toFixed(3)} | ${b.toFixed(3)} | ${(b - a >= 0 ? '+' : '') + (b - a).toFixed(3)} |`);
  const head = (name: string) => [`| ${name} | plain ≈ ms per op | product ≈ ms per op | product − plain |`, '| --- | ---: | ---: | ---: |'];
  const total = (summary: ProfileSummary) => summary.serverCpuMs ?? summary.busyMs / summary.operations;
  return [
    `### ${title}: product − plain`,
    '',
    `Server CPU per operation under the profiler: plain ${total(plain).toFixed(2)} ms, product ${total(product).toFixed(2)} ms (+${(total(product) - total(plain)).toFixed(2)} ms). Where the difference goes, by group (self time):`,
    '',
    ...head('group'),
    ...compare((summary) => summary.selfByGroup, 40),
    '',
    `The ${top} functions whose self time grew most:`,
    '',
    ...head('function'),
    ...compare((summary) => summary.selfByFunction, top),
    '',
    `SQLite's native time by store method ← caller, largest growth first:`,
    '',
    ...head('store method ← caller'),
    ...compare((summary) => summary.sqliteByCaller, 15),
    '',
  ].join('\n');
}

/** The comparison of each profiled scenario first (what the speed-ups aim at), then each profile's own tables. */
export function profileSections(runs: Array<{ scenario: string; title: string; side: string; operations: number; serverCpuMs: number; file: string }>): string[] {
  const summaries = runs.map((run) => ({ run, summary: summarizeProfile(readProfile(run.file), run.operations, run.serverCpuMs) }));
  const comparisons = [...new Set(runs.map((run) => run.scenario))].flatMap((scenario) => {
    const plain = summaries.find(({ run }) => run.scenario === scenario && run.side === 'plain');
    const product = summaries.find(({ run }) => run.scenario === scenario && run.side === 'product');
    return plain && product ? [comparisonMarkdown(product.run.title, plain.summary, product.summary)] : [];
  });
  return ['## Product − plain, per scenario', '', ...comparisons, '## Each profile', '', ...summaries.map(({ run, summary }) => profileMarkdown(`${run.title}: ${run.side}`, summary))];
}
