// SQLite's single writer, measured alone: commits/s from 1 and 2 processes on one WAL database opened as the product
// opens it (adapters/sqlite/database.ts: WAL, synchronous=NORMAL, busy timeout). Each commit is one INSERT in its own
// transaction, about the size of an oidc-provider model row; the ceiling the workers share for every write.
// Each writer is a child process (`node --import tsx sqlite-writer.ts <file> <startAt> <ms>`) that sends {count, busyErrors, p99Ms}.
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openDatabase } from '../../adapters/sqlite/database.ts';
import { percentile } from './load.ts';

const PAYLOAD_BYTES = 600;
const RUN_MS = 4000;
const MAX_COMMITS = 2_000_000;

export interface SqliteWriter {
  payloadBytes: number;
  seconds: number;
  runs: Array<{ writers: number; commitsPerSecond: number; busyErrors: number; p99Ms: number }>;
}

interface WriterReport {
  count: number;
  busyErrors: number;
  p99Ms: number;
}

/** Writes from `startAt` (epoch ms, so that all writers start together) for `ms`. */
async function write(file: string, startAt: number, ms: number): Promise<WriterReport> {
  const db = openDatabase(file);
  const insert = db.prepare('INSERT INTO bench_writes (payload) VALUES (?)');
  const payload = 'x'.repeat(PAYLOAD_BYTES);
  const latencies = new Float64Array(MAX_COMMITS);
  let count = 0;
  let busyErrors = 0;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, startAt - Date.now())));
  const deadline = performance.now() + ms;
  while (count < MAX_COMMITS && performance.now() < deadline) {
    const at = performance.now();
    try {
      insert.run(payload);
      latencies[count] = performance.now() - at;
      count += 1;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      busyErrors += 1;
    }
  }
  db.close();
  return { count, busyErrors, p99Ms: count ? percentile(latencies.slice(0, count).sort(), 0.99) : NaN };
}

/** Time for the writer processes to start (tsx compiles on first run) before they all begin at once. */
const START_DELAY_MS = 5000;

function runWriters(file: string, writers: number, ms: number): Promise<WriterReport[]> {
  const startAt = Date.now() + START_DELAY_MS;
  return Promise.all(
    Array.from(
      { length: writers },
      () =>
        new Promise<WriterReport>((resolve, reject) => {
          const child = fork(fileURLToPath(import.meta.url), [file, String(startAt), String(ms)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
          const timer = setTimeout(() => child.kill('SIGKILL'), START_DELAY_MS + ms + 30_000);
          child.once('message', (report) => resolve(report as WriterReport));
          child.once('exit', (code) => {
            clearTimeout(timer);
            if (code !== 0) reject(new Error(`SQLite writer exited with ${code}`));
          });
        }),
    ),
  );
}

export async function measureSqliteWriter(): Promise<SqliteWriter> {
  const dir = mkdtempSync(join(tmpdir(), 'stepup-bench-sqlite-'));
  try {
    const file = join(dir, 'writes.sqlite');
    const db = openDatabase(file);
    db.exec('CREATE TABLE bench_writes (id INTEGER PRIMARY KEY, payload TEXT NOT NULL)');
    db.close();
    const runs: SqliteWriter['runs'] = [];
    for (const writers of [1, 2]) {
      const reports = await runWriters(file, writers, RUN_MS);
      const count = reports.reduce((sum, report) => sum + report.count, 0);
      runs.push({
        writers,
        commitsPerSecond: count / (RUN_MS / 1000),
        busyErrors: reports.reduce((sum, report) => sum + report.busyErrors, 0),
        p99Ms: Math.max(...reports.map((report) => report.p99Ms)),
      });
    }
    return { payloadBytes: PAYLOAD_BYTES, seconds: RUN_MS / 1000, runs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1] && process.send) {
  const [file, startAt, ms] = process.argv.slice(2);
  const report = await write(file!, Number(startAt), Number(ms));
  process.send(report, () => process.exit(0));
}
