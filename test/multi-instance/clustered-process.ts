// Starts the provider with STEPUP_WORKERS above 1 as one Node process (`node --import tsx server/main.ts`, so the
// child is the cluster primary itself), reads its JSON log lines, and always stops it and its workers.
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO, cleanEnv, freePort, sleep } from './instance.ts';

const MAX_LINES = 20_000;
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

/** One JSON line of the provider's log (pino): the fields the tests read. */
export interface LogLine {
  msg: string;
  pid: number;
  /** Set on a worker's lines, and on the primary's lines about one worker. */
  worker?: number;
  /** Set on the primary's lines about one worker. */
  workerPid?: number;
  role?: string;
  method?: string;
  path?: string;
  status?: number;
  [field: string]: unknown;
}

export interface ClusteredProcess {
  port: number;
  child: ChildProcess;
  /** The primary's process id. */
  pid: number;
  /** Every JSON line so far, in order; `mark()` is the index the next line will get. */
  lines: LogLine[];
  mark(): number;
  /** What the process wrote that was not JSON (warnings, a configuration error). */
  text(): string;
  /** Resolves with the first line from `from` on that matches, or throws after `timeoutMs`. */
  waitForLine(match: (line: LogLine) => boolean, timeoutMs: number, from?: number): Promise<LogLine>;
  /** Resolves when the process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  alive(): boolean;
  /** SIGTERM to the primary, then SIGKILL to the whole group if it is still running after 10 s. */
  stop(): Promise<void>;
}

/** Every process group started by this test file, killed when the test worker exits whatever happened. */
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

/** True while a process with this id exists. */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Starts the process; with `ready`, waits until the primary says every worker listens. */
export async function startClustered(env: Record<string, string>, options: { ready?: boolean; port?: number } = {}): Promise<ClusteredProcess> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    cwd: REPO,
    env: { ...cleanEnv(), HOST: '127.0.0.1', ...env, PORT: String(port) },
    detached: true, // its own process group: the primary and its workers
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const lines: LogLine[] = [];
  let text = '';
  let partial = '';
  const collect = (chunk: Buffer) => {
    const parts = (partial + chunk.toString('utf8')).split('\n');
    partial = parts.pop()!;
    for (const part of parts) {
      try {
        const line = JSON.parse(part) as LogLine;
        if (lines.length < MAX_LINES) lines.push(line);
      } catch {
        text = (text + part + '\n').slice(-64 * 1024);
      }
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let closed = false;
  // 'close', not 'exit': every line the process wrote has been read by then.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => {
      closed = true;
      running.delete(child);
      resolve({ code, signal });
    }),
  );
  const alive = () => child.exitCode === null && child.signalCode === null;
  const waitForLine = async (match: (line: LogLine) => boolean, timeoutMs: number, from = 0) => {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const found = lines.slice(from).find(match);
      if (found) return found;
      if (closed) break;
      await sleep(50);
    }
    throw new Error(
      `no matching log line ${closed ? 'before the process exited' : `within ${timeoutMs} ms`}; the last lines:\n${lines
        .slice(-15)
        .map((line) => JSON.stringify(line))
        .join('\n')}\n${text}`,
    );
  };
  const started: ClusteredProcess = {
    port,
    child,
    pid: child.pid!,
    lines,
    mark: () => lines.length,
    text: () => text,
    waitForLine,
    exited,
    alive,
    async stop() {
      if (!alive()) return;
      child.kill('SIGTERM');
      const stopped = await Promise.race([exited.then(() => true), sleep(STOP_TIMEOUT_MS).then(() => false)]);
      if (!stopped) killGroup(child, 'SIGKILL');
      await Promise.race([exited, sleep(STOP_TIMEOUT_MS)]);
      killGroup(child, 'SIGKILL'); // workers left behind, if any
    },
  };
  if (options.ready) {
    await waitForLine((line) => line.msg === 'step-up provider listening', READY_TIMEOUT_MS).catch(async (error: unknown) => {
      await started.stop();
      throw error;
    });
  }
  return started;
}

/** The workers the primary reported listening so far: id → process id. */
export function listeningWorkers(process: ClusteredProcess, from = 0): Map<number, number> {
  const workers = new Map<number, number>();
  for (const line of process.lines.slice(from)) if (line.msg === 'worker listening' && line.role === 'primary') workers.set(line.worker!, line.workerPid!);
  return workers;
}

/** The request lines from `from` on: which worker served which request. */
export function requestLines(process: ClusteredProcess, from = 0): LogLine[] {
  return process.lines.slice(from).filter((line) => line.msg === 'request');
}
