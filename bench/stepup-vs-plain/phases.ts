// The measuring phases: alternating rounds of one load on both sides, and the soak with its memory readings.
import { join } from 'node:path';
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
      const cpuBefore = await side.server.call('cpuMs', {});
      const result = await runLoad(task(side), { concurrency, maxCount: MAX_PER_ROUND, maxMs: roundMs });
      const serverCpuMs = ((await side.server.call('cpuMs', {})) - cpuBefore) / result.count;
      runs[sides.indexOf(side)]!.push({ ...result, serverCpuMs });
    }
  }
  return runs.map((sideRuns) => summarize(concurrency, sideRuns));
}

/** `flows` flows from 16 clients (at most `maxMs`), usage read before, after each tenth and after; optionally CPU-profiled. */
export async function soak(side: Contender, { flows, maxMs, profileDir }: { flows: number; maxMs: number; profileDir?: string }): Promise<Soak> {
  const before = await side.server.call('usage', {});
  if (profileDir) await side.server.call('profileStart', {});
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
  if (profileDir) await side.server.call('profileStop', { file: join(profileDir, `${side.server.kind}.cpuprofile`) });
  const after = await side.server.call('usage', {});
  return { flows: result.count, seconds: result.seconds, perSecond: result.perSecond, before, after, samples };
}
