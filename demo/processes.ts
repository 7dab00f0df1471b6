// Starts the demo's Node processes (through tsx), waits until they answer, and stops them: bounded in time, always.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPOSITORY = fileURLToPath(new URL('../', import.meta.url));

export interface Started {
  name: string;
  child: ChildProcess;
  /** Started in its own process group: signals go to the whole group. */
  group: boolean;
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  exited: Promise<number | string>;
}

export interface StartOptions {
  env: Record<string, string>;
  /** The environment `env` is added to; default this process's (tests pass one without the provider's settings). */
  base?: NodeJS.ProcessEnv;
  /** Each output line, for logs; default: written to this process's stdout with a `[name]` prefix. */
  onLine?: (line: string) => void;
  /** Own process group, so that a stop reaches the whole tree (tests); default false (Ctrl-C reaches it too). */
  detached?: boolean;
}

/** Runs `file` (relative to the repository) with Node and tsx's loader, like `npx tsx file`, without the npx layer. */
export function startProcess(name: string, file: string, options: StartOptions): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: REPOSITORY,
    env: { ...(options.base ?? process.env), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const onLine = options.onLine ?? ((line: string) => process.stdout.write(`[${name}] ${line}\n`));
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', onLine);
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { name, child, group: options.detached ?? false, exited };
}

/** Polls `url` until it answers 2xx; gives up after `timeoutMs` or when the process exits. */
export async function waitUntilAnswering(url: string, started: Started, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let ended = false;
  void started.exited.then(() => (ended = true));
  while (Date.now() < deadline) {
    if (ended) throw new Error(`${started.name} exited before answering on ${url}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  throw new Error(`${started.name} did not answer on ${url} within ${timeoutMs} ms`);
}

/** SIGTERM, then SIGKILL after `graceMs`; the whole process group when it was started detached. */
export async function stopProcess(started: Started, graceMs = 5000): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const pid = child.pid;
  const signal = (name: NodeJS.Signals) => {
    try {
      if (started.group) process.kill(-pid, name);
      else child.kill(name);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const outcome = await Promise.race([started.exited.then(() => 'exited' as const), sleep(graceMs).then(() => 'timeout' as const)]);
  if (outcome === 'timeout') {
    signal('SIGKILL');
    await Promise.race([started.exited, sleep(2000)]);
  }
}
