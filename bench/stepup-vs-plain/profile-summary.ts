// `npx tsx bench/stepup-vs-plain/profile-summary.ts <file.cpuprofile> [top]`: self time by package, function, and our caller.
import { readFileSync } from 'node:fs';

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

/** node_modules/<package>, a folder of this repository, node internals, or the engine itself. */
function origin(url: string): string {
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return modules[1]!;
  if (url.startsWith('node:')) return 'node internals';
  const repo = /\/main\/([^/]+)\//.exec(url);
  if (repo) return `(repo) ${repo[1]}/`;
  return url === '' ? '(engine: gc, native, idle)' : url;
}

function table(title: string, totals: Map<string, number>, all: number, top: number): string {
  const lines = [...totals].sort((a, b) => b[1] - a[1]).slice(0, top);
  return [title, ...lines.map(([name, micros]) => `${((100 * micros) / all).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(7)} ms  ${name}`)].join('\n');
}

const [file, topText] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary.ts <file.cpuprofile> [top]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
/** The nearest frame (itself included) in this repository's own code: who, of ours, caused the work synchronously. */
const ownCaller = new Map<number, string>();
function callerOf(id: number): string {
  const known = ownCaller.get(id);
  if (known !== undefined) return known;
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const own = /\/main\/(?!node_modules\/|bench\/)(.+)$/.exec(url);
  const parent = parentOf.get(id);
  const caller = own ? `${functionName || '(anonymous)'} ${own[1]}:${lineNumber + 1}` : parent === undefined ? '(no caller of ours on the stack)' : callerOf(parent);
  ownCaller.set(id, caller);
  return caller;
}
const byOrigin = new Map<string, number>();
const byFunction = new Map<string, number>();
const byCaller = new Map<string, number>();
let all = 0;
profile.samples.forEach((id, index) => {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const micros = profile.timeDeltas[index] ?? 0;
  all += micros;
  const where = origin(url);
  byOrigin.set(where, (byOrigin.get(where) ?? 0) + micros);
  const name = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|main)\//, '')}:${lineNumber + 1}` : ''}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  const caller = callerOf(id);
  byCaller.set(caller, (byCaller.get(caller) ?? 0) + micros);
});
const top = Number(topText ?? 25);
console.log(table('self time by origin', byOrigin, all, top));
console.log();
console.log(table('self time by function', byFunction, all, top));
console.log();
console.log(table('self time by nearest caller in this repository (synchronous stack only)', byCaller, all, top));
