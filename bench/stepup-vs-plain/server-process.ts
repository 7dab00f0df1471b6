// Starts one server as its own child process (its RSS is its own), on 127.0.0.1, reachable over the bench channel.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectChannel } from './channel.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

export type ServerKind = 'product' | 'plain';

export interface ServerProcess {
  kind: ServerKind;
  issuer: string;
  pid: number;
  call: ReturnType<typeof connectChannel>['call'];
  /** The server's CPU time so far (user + system, ms, all its threads). */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

/** `env` is added to the child's environment (the seeder's BENCH_SEED_* settings). */
export async function startServer(kind: ServerKind, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = fork(fileURLToPath(new URL(`./${kind}-server.ts`, import.meta.url)), [], {
    cwd: ROOT,
    execArgv: ['--import', 'tsx', '--expose-gc'],
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const channel = connectChannel(child, kind, READY_TIMEOUT_MS);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let issuer: string;
  try {
    issuer = await channel.ready;
  } catch (error) {
    child.kill();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    kind,
    issuer,
    pid: child.pid!,
    call: channel.call,
    cpuMs: () => channel.call('cpuMs', {}),
    stop() {
      stopping ??= (async () => {
        if (child.exitCode !== null || !child.connected) return;
        channel.stop();
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
}
