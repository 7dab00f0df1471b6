// Where one flow's work goes: each request's p50 latency at 1 client, and the SQLite statements the server ran per flow.
import { observeRequests } from './browser.ts';
import { percentile, runLoad } from './load.ts';
import type { ServerProcess } from './server-process.ts';

export interface Breakdown {
  tasks: number;
  /** In the order first sent: how many per task, and p50 latency (ms). */
  requests: Array<{ request: string; perTask: number; p50: number }>;
  /** SQLite executions per task, by kind (select, insert, update, delete, begin, commit). */
  sqlByKind: Record<string, number>;
  /** The most executed statements, per task. */
  sqlTop: Array<{ statement: string; perTask: number }>;
}

const MAX_MS = 60_000;

export async function breakdown(server: ServerProcess, task: () => Promise<void>, tasks: number): Promise<Breakdown> {
  const latencies = new Map<string, number[]>();
  await server.call('sqlCounts', { more: true });
  observeRequests((request, ms) => {
    if (!latencies.has(request)) latencies.set(request, []);
    latencies.get(request)!.push(ms);
  });
  let done: number;
  try {
    done = (await runLoad(task, { concurrency: 1, maxCount: tasks, maxMs: MAX_MS })).count;
  } finally {
    observeRequests(undefined);
  }
  const sql = await server.call('sqlCounts', { more: false });
  const per = (value: number) => Math.round((100 * value) / done) / 100;
  return {
    tasks: done,
    requests: [...latencies].map(([request, values]) => ({
      request,
      perTask: per(values.length),
      p50: percentile(
        values.sort((a, b) => a - b),
        0.5,
      ),
    })),
    sqlByKind: Object.fromEntries(Object.entries(sql.byKind).map(([kind, value]) => [kind, per(value)])),
    sqlTop: Object.entries(sql.byStatement)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 12)
      .map(([statement, value]) => ({ statement, perTask: per(value) })),
  };
}
