// Starts a provider process as `npm start` runs it (tsx server/main.ts) on a loopback port, and always stops it.
import { cleanEnv } from '../support/clean-env.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;
const MAX_OUTPUT = 64 * 1024;

export interface Instance {
  name: string;
  port: number;
  /** What the process wrote (stdout and stderr, the last 64 KiB). */
  output(): string;
  /** True while the process has not exited. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Every process group started by this test file, killed when the worker exits whatever happened. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // already gone
  }
}

/** A port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The environment of the test run without any provider setting, so only what a test passes reaches the instances. */
export { cleanEnv };

export async function startInstance(name: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child = spawn('npx', ['tsx', 'server/main.ts'], {
    cwd: REPO,
    env: { ...cleanEnv(), ...env, PORT: String(port), HOST: '127.0.0.1' },
    detached: true, // its own process group: npx, tsx and node stop together
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-MAX_OUTPUT);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));

  const instance: Instance = {
    name,
    port,
    output: () => output,
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (!instance.alive()) return;
      killGroup(child, 'SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped) {
        killGroup(child, 'SIGKILL');
        await Promise.race([exited, sleep(STOP_TIMEOUT_MS)]);
      }
    },
  };

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!instance.alive()) throw new Error(`instance ${name} exited before it was ready:\n${output}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return instance;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  await instance.stop();
  throw new Error(`instance ${name} was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
