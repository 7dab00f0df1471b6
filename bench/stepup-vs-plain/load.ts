// Runs a task from N concurrent clients, bounded in count and time, and summarizes rate and latency.
import { performance } from 'node:perf_hooks';

export interface LoadOptions {
  concurrency: number;
  maxCount: number;
  maxMs: number;
  /** Called after each completed task with the number done so far. */
  onDone?: (done: number) => void;
}

export interface LoadResult {
  concurrency: number;
  count: number;
  errors: number;
  firstError?: string;
  seconds: number;
  perSecond: number;
  /** Milliseconds, per completed task. */
  p50: number;
  p99: number;
  /** Every completed task's latency (ms), ascending. */
  latencies: Float64Array;
  /** The server process's CPU time (user + system, ms) per completed task, when it was read. */
  serverCpuMs?: number;
  /** The benchmark's own CPU time (the load generator: user + system, ms) per completed task. */
  clientCpuMs: number;
}

/** More failures than this (or 1 %) stop the run: the numbers would describe something else. */
const TOLERATED_ERRORS = 20;

export async function runLoad(task: () => Promise<void>, { concurrency, maxCount, maxMs, onDone }: LoadOptions): Promise<LoadResult> {
  const latencies = new Float64Array(maxCount);
  let started = 0;
  let done = 0;
  let errors = 0;
  let firstError: string | undefined;
  const begin = performance.now();
  const deadline = begin + maxMs;
  const cpuBefore = process.cpuUsage();

  async function client() {
    while (started < maxCount && performance.now() < deadline) {
      started += 1;
      const at = performance.now();
      try {
        await task();
        latencies[done] = performance.now() - at;
        done += 1;
        onDone?.(done);
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
        if (errors > Math.max(TOLERATED_ERRORS, started / 100)) throw new Error(`${errors} of ${started} failed; first: ${firstError}`, { cause: error });
      }
    }
  }

  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - begin) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  if (done === 0) throw new Error(`no task completed${firstError ? `; first error: ${firstError}` : ''}`);
  const clientCpuMs = (cpu.user + cpu.system) / 1000 / done;
  return summarize(concurrency, [{ count: done, errors, firstError, seconds, latencies: latencies.slice(0, done), clientCpuMs }]);
}

/** One result from several runs (rounds) of the same load: rates over their summed time, percentiles over all tasks. */
export function summarize(concurrency: number, runs: Array<Pick<LoadResult, 'count' | 'errors' | 'firstError' | 'seconds' | 'latencies' | 'serverCpuMs' | 'clientCpuMs'>>): LoadResult {
  const count = runs.reduce((sum, run) => sum + run.count, 0);
  const seconds = runs.reduce((sum, run) => sum + run.seconds, 0);
  const latencies = new Float64Array(count);
  let offset = 0;
  for (const run of runs) {
    latencies.set(run.latencies, offset);
    offset += run.count;
  }
  latencies.sort();
  const cpuKnown = runs.every((run) => run.serverCpuMs !== undefined);
  return {
    concurrency,
    count,
    errors: runs.reduce((sum, run) => sum + run.errors, 0),
    firstError: runs.find((run) => run.firstError)?.firstError,
    seconds,
    perSecond: count / seconds,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    latencies,
    serverCpuMs: cpuKnown ? runs.reduce((sum, run) => sum + run.serverCpuMs! * run.count, 0) / count : undefined,
    clientCpuMs: runs.reduce((sum, run) => sum + run.clientCpuMs * run.count, 0) / count,
  };
}

/** Nearest-rank percentile of ascending values. */
export function percentile(sorted: ArrayLike<number>, fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))]!;
}
