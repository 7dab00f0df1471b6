// How much of each worker's time its main thread spends asleep in nanosleep / clock_nanosleep: SQLite's busy handler
// (better-sqlite3's `timeout`) waiting for another process's write lock, the cost of one writer shared by workers.
//
// Decisions: the main thread's /proc/<pid>/syscall is sampled about every millisecond from a separate process (the
// load generator's event loop stays undisturbed, and no tracer slows the workers as strace would); a sample in one of
// those two syscalls counts as a busy wait (Node's main thread has no other reason to sleep in them: its idle wait is
// epoll_wait). Linux only; the numbers are the x86-64 and arm64 syscall numbers.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const SLEEP_SYSCALLS: Record<string, number[]> = { x64: [35, 230], arm64: [101, 115] };

/** The sampler: argv pids…, stops after `ms`; prints {pid: [samples, asleep]} as JSON. Plain JS, no loader needed. */
const SAMPLER = `
const [ms, sleeps, ...pids] = process.argv.slice(1);
const asleep = new Set(sleeps.split(',').map(Number));
const { readFileSync } = require('node:fs');
const counts = Object.fromEntries(pids.map((pid) => [pid, [0, 0]]));
const pause = new Int32Array(new SharedArrayBuffer(4));
const end = Date.now() + Number(ms);
while (Date.now() < end) {
  for (const pid of pids) {
    let text;
    try { text = readFileSync('/proc/' + pid + '/syscall', 'utf8'); } catch { continue; }
    counts[pid][0] += 1;
    if (asleep.has(Number(text.split(' ')[0]))) counts[pid][1] += 1;
  }
  Atomics.wait(pause, 0, 0, 1);
}
process.stdout.write(JSON.stringify(counts));
`;

export interface SleepShare {
  /** Samples taken per process (about one per ms). */
  samples: number;
  /** Share of the samples asleep in the busy handler, averaged over the processes. */
  share: number;
}

export function sleepSamplingSupported(): boolean {
  return SLEEP_SYSCALLS[process.arch] !== undefined && existsSync(`/proc/${process.pid}/syscall`);
}

/** Samples `pids` for `ms`; resolves with the average share of time asleep. */
export function sampleSleeps(pids: number[], ms: number): Promise<SleepShare> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', SAMPLER, String(ms), SLEEP_SYSCALLS[process.arch]!.join(','), ...pids.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms + 15_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) return reject(new Error(`the sleep sampler exited with ${code}`));
      const counts = Object.values(JSON.parse(out) as Record<string, [number, number]>).filter(([samples]) => samples > 0);
      if (counts.length === 0) return resolve({ samples: 0, share: NaN });
      resolve({ samples: Math.min(...counts.map(([samples]) => samples)), share: counts.reduce((sum, [samples, asleep]) => sum + asleep / samples, 0) / counts.length });
    });
  });
}
