// The bench-only IPC channel between the benchmark and a server child: ready, calls (usage, seeding, profiles, SQL counts), stop.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { takeSqlCounts, type SqlCounts } from './sql-counter.ts';

/** A server process's resources: memory now (bytes) and CPU time so far (user + system, ms). */
export interface Usage {
  rss: number;
  heapUsed: number;
  external: number;
  cpuMs: number;
}

/** A seeded account of the product: a password and an enrolled TOTP secret (base32). */
export interface SeededAccount {
  username: string;
  password: string;
  totpSecret: string;
}

export interface Calls {
  usage: { args: Record<string, never>; result: Usage };
  /** CPU time so far (user + system, ms), without the forced GC of `usage`. */
  cpuMs: { args: Record<string, never>; result: number };
  seed: { args: { count: number }; result: SeededAccount[] };
  /** CPU profile of the calls in between (the soak), written as a .cpuprofile file. */
  profileStart: { args: Record<string, never>; result: null };
  profileStop: { args: { file: string }; result: null };
  /** SQLite statements executed since the previous call; counting goes on only while `more`. */
  sqlCounts: { args: { more: boolean }; result: SqlCounts };
}

export type Handlers = { [M in keyof Calls]: (args: Calls[M]['args']) => Promise<Calls[M]['result']> };

type Request = { kind: 'call'; id: number; method: keyof Calls; args: unknown } | { kind: 'stop' };
type Message = { kind: 'ready'; issuer: string } | { kind: 'reply'; id: number; result?: unknown; error?: string };

function cpuMsNow(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Memory after a forced GC, so that readings taken at different moments compare retained memory, not garbage. */
function usageNow(): Usage {
  const cpuMs = cpuMsNow();
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heapUsed, external, cpuMs };
}

/** What both servers answer alike: resource usage, CPU profiles, SQLite statement counts. */
export function commonHandlers(): Omit<Handlers, 'seed'> {
  const session = new Session();
  return {
    usage: async () => usageNow(),
    cpuMs: async () => cpuMsNow(),
    sqlCounts: async ({ more }) => takeSqlCounts(more),
    async profileStart() {
      session.connect();
      await session.post('Profiler.enable');
      await session.post('Profiler.start');
      return null;
    },
    async profileStop({ file }) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      return null;
    },
  };
}

/** Child side: announce the issuer, answer calls, and run `stop` when told to (then exit 0). */
export function serveChannel(issuer: string, handlers: Handlers, stop: () => Promise<void>): void {
  const send = (message: Message) => process.send!(message);
  process.on('message', (request: Request) => {
    if (request.kind === 'stop') {
      void stop().finally(() => process.exit(0));
      return;
    }
    const handler = handlers[request.method] as (args: unknown) => Promise<unknown>;
    handler(request.args).then(
      (result) => send({ kind: 'reply', id: request.id, result }),
      (error: Error) => send({ kind: 'reply', id: request.id, error: error.stack ?? error.message }),
    );
  });
  // Without a parent there is nothing to serve: stop and never linger as an orphan (the server removes its data folder on exit).
  // Ctrl-C reaches the whole process group, these servers too: the same way out.
  const leave = () => {
    setTimeout(() => process.exit(0), 5_000).unref();
    void stop().finally(() => process.exit(0));
  };
  process.once('disconnect', leave);
  process.once('SIGINT', leave);
  process.once('SIGTERM', leave);
  send({ kind: 'ready', issuer });
}

/** Parent side: wait for the child's issuer, then call it by name. */
export function connectChannel(child: ChildProcess, name: string, timeoutMs: number) {
  let next = 0;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: not ready after ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const gone = new Error(`${name}: exited with ${code}`);
      reject(gone);
      for (const waiting of pending.values()) waiting.reject(gone);
      pending.clear();
    });
    child.on('message', (message: Message) => {
      if (message.kind === 'ready') {
        clearTimeout(timer);
        resolve(message.issuer);
        return;
      }
      const waiting = pending.get(message.id);
      pending.delete(message.id);
      if (message.error !== undefined) waiting?.reject(new Error(`${name}: ${message.error}`));
      else waiting?.resolve(message.result);
    });
  });
  function call<M extends keyof Calls>(method: M, args: Calls[M]['args']): Promise<Calls[M]['result']> {
    const id = (next += 1);
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      child.send({ kind: 'call', id, method, args } satisfies Request);
    });
  }
  const stop = () => child.send({ kind: 'stop' } satisfies Request);
  return { ready, call, stop };
}
