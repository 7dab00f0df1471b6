// Several processes on one SQLite file, as a cluster's workers run (adapters/sqlite/database.ts): they open a new file
// at once (one of them migrates it), then write attempts, limiter transactions, auth events and audit events at once
// while another connection holds the write lock for a while. Every write waits its turn instead of failing, nothing is
// lost, and the audit chain stays one unbroken chain.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';

const REPO = join(import.meta.dirname, '..', '..');
const root = mkdtempSync(join(tmpdir(), 'stepup-sqlite-processes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Writer {
  ready: Promise<void>;
  done: Promise<{ name: string; count: number; slowestMs: number }>;
}

/** Starts one writer process; `done` rejects with its output if it fails or is not done within the deadline. */
function startWriter(file: string, name: string, count: number, goFile: string): Writer {
  const child = spawn(join(REPO, 'node_modules', '.bin', 'tsx'), [join(REPO, 'test', 'contract', 'sqlite-writer.ts'), file, name, String(count), goFile], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<{ name: string; count: number; slowestMs: number }>((resolve, reject) => {
    const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(deadline);
      if (code === 0) resolve(JSON.parse(out.split('\n').filter(Boolean).at(-1)!));
      else reject(new Error(`writer ${name} exited ${code}: ${err || out}`));
    });
  });
  done.catch(() => markReady());
  return { ready, done };
}

describe('SQLite shared by several processes', () => {
  it('lets 3 processes open a new file and write at once, each waiting out a held write lock instead of failing', { timeout: 90_000 }, async () => {
    const file = join(root, 'shared', 'stepup.sqlite');
    const goFile = join(root, 'go');
    const count = 200;
    const writers = ['w1', 'w2', 'w3'].map((name) => startWriter(file, name, count, goFile));
    await Promise.all(writers.map((writer) => writer.ready));

    // A stuck writer (or a backup) holds the lock as they start: they wait for it (busy timeout 5 s) rather than fail.
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    writeFileSync(goFile, '');
    await sleep(800);
    holder.exec('COMMIT');
    holder.close();

    const results = await Promise.all(writers.map((writer) => writer.done));
    expect(results.map((result) => result.count)).toEqual([count, count, count]);
    expect(Math.max(...results.map((result) => result.slowestMs))).toBeGreaterThanOrEqual(500);

    const stores = openSqliteStores({ file });
    try {
      expect(await stores.attempts.get('shared')).toMatchObject({ failures: 3 * count });
      for (const name of ['w1', 'w2', 'w3']) {
        expect(await stores.attempts.get(`pwd:${name}`)).toMatchObject({ failures: count });
        expect(await stores.attempts.get(`guesses:pwd:${name}`)).toMatchObject({ failures: count });
        expect(await stores.events.listBySession(`session-${name}`, 0)).toHaveLength(count);
      }
      const window = Math.floor(Date.now() / 1000 / 3600);
      const address = (await stores.attempts.get(`addr:${window}:192.0.2.1`)) ?? (await stores.attempts.get(`addr:${window - 1}:192.0.2.1`));
      expect(address?.failures).toBe(3 * count);
      expect(await stores.audit.verify()).toEqual({ ok: true, count: 3 * 2 * count });
    } finally {
      await stores.close();
    }
  });
});
