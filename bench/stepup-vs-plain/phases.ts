// The measuring phases: alternating rounds of one load on both sides, and the soak with its memory readings.
import type { Contender } from './contenders.ts';
import { runLoad, summarize, type LoadResult } from './load.ts';
import type { Soak } from './report.ts';

const MAX_PER_ROUND = 50_000;
const SOAK_CONCURRENCY = 16;

export const log = (message: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);

/**
 * Rounds alternate which side goes first (drift and other load touch both alike); each side's rounds are summarized
 * together, with the server's CPU time per task (less sensitive than rates to other work on the machine).
 */
export async function alternate(
  sides: Contender[],
  task: (side: Contender) => () => Promise<void>,
  { concurrency, rounds, roundMs }: { concurrency: number; rounds: number; roundMs: number },
): Promise<LoadResult[]> {
  const runs = sides.map(() => [] as LoadResult[]);
  for (let round = 0; round < rounds; round += 1) {
    const order = round % 2 === 0 ? sides : [...sides].reverse();
    for (const side of order) {
      const cpuBefore = await side.server.cpuMs();
      const result = await runLoad(task(side), { concurrency, maxCount: MAX_PER_ROUND, maxMs: roundMs });
      const serverCpuMs = ((await side.server.cpuMs()) - cpuBefore) / result.count;
      runs[sides.indexOf(side)]!.push({ ...result, serverCpuMs });
    }
  }
  return runs.map((sideRuns) => summarize(concurrency, sideRuns));
}

/** `flows` flows from 16 clients (at most `maxMs`), usage read before, after each tenth and after. */
export async function soak(side: Contender, { flows, maxMs }: { flows: number; maxMs: number }): Promise<Soak> {
  const before = await side.server.call('usage', {});
  const samples: Soak['samples'] = [];
  const every = Math.max(1, Math.floor(flows / 10));
  const sampling: Promise<void>[] = [];
  const result = await runLoad(side.flow, {
    concurrency: SOAK_CONCURRENCY,
    maxCount: flows,
    maxMs,
    onDone(done) {
      if (done % every !== 0) return;
      sampling.push(side.server.call('usage', {}).then((usage) => void samples.push({ ...usage, flows: done })));
      log(`  ${side.name}: ${done} / ${flows} flows`);
    },
  });
  await Promise.all(sampling);
  samples.sort((a, b) => a.flows - b.flows);
  const after = await side.server.call('usage', {});
  return { flows: result.count, seconds: result.seconds, perSecond: result.perSecond, before, after, samples };
}

/** `task` from 16 clients for at most `maxMs` under the server's CPU profiler (the inspector, in the server process). */
export async function profiled(side: Contender, task: () => Promise<void>, { maxMs, maxCount, file }: { maxMs: number; maxCount: number; file: string }) {
  await side.server.call('profileStart', {});
  const cpuBefore = await side.server.cpuMs();
  const result = await runLoad(task, { concurrency: SOAK_CONCURRENCY, maxCount, maxMs });
  const serverCpuMs = ((await side.server.cpuMs()) - cpuBefore) / result.count;
  await side.server.call('profileStop', { file });
  return { operations: result.count, perSecond: result.perSecond, serverCpuMs, file };
}
