// Starts the provider, the demo API and the demo RP as three real processes on free loopback ports, and stops them.
import { cleanEnv } from '../support/clean-env.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPOSITORY, startProcess, stopProcess, waitUntilAnswering, type Started } from '../../demo/processes.ts';

export interface Stack {
  issuer: string;
  rpUrl: string;
  apiUrl: string;
  clientId: string;
  /** Output lines per process, for failure messages. */
  logs: Record<string, string[]>;
  /** Runs the operator CLI against the provider's data directory. */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string };
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/** A port the kernel just gave out and released: free unless something grabs it in between. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function runCli(dataDir: string, issuer: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: REPOSITORY,
    env: { ...cleanEnv(), DATA_DIR: dataDir, ISSUER: issuer, STEPUP_SCRYPT_N: '1024', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export interface StackOptions {
  /** What POST /transfer requires (the demo's default: aal2 within 300 s). */
  transfer?: { acr?: string; maxAge?: number };
  /** STEPUP_RECOVERY_COOL_OFF of the provider, when not the default day. */
  coolOffSeconds?: number;
  /** `localhost` for passkeys: a WebAuthn relying-party id cannot be an IP address. Default 127.0.0.1. */
  host?: '127.0.0.1' | 'localhost';
}

export async function startStack({ transfer = {}, host = '127.0.0.1', coolOffSeconds }: StackOptions = {}): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stepup-demo-'));
  const [providerPort, rpPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const issuer = `http://${host}:${providerPort}`;
  const rpUrl = `http://${host}:${rpPort}`;
  const apiUrl = `http://${host}:${apiPort}`;
  const clientId = 'e2e-rp';
  const clientSecret = 'e2e-rp-client-secret-0123456789';
  const logs: Record<string, string[]> = { provider: [], api: [], rp: [] };
  const started: Started[] = [];
  const stack: Stack = {
    issuer,
    rpUrl,
    apiUrl,
    clientId,
    logs,
    cli: (args) => runCli(dataDir, issuer, args),
    async stop() {
      await Promise.all(started.map((process_) => stopProcess(process_, 5000)));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  try {
    // The RP runs on a free port, so it registers its own redirect URI, as an operator would.
    const registered = stack.cli([
      'client',
      'add',
      '--id',
      clientId,
      '--secret',
      clientSecret,
      '--redirect-uri',
      `${rpUrl}/callback`,
      '--backchannel-logout-uri',
      `${rpUrl}/backchannel-logout`,
      '--name',
      'Demo bank (e2e)',
      // The demo bank sends its transfers as RFC 9396 payments.
      '--operation-type',
      'payment',
    ]);
    if (registered.status !== 0) throw new Error(`client add failed: ${registered.stderr}`);
    // The demo API is a resource server, registered the way demo/main.ts does it.
    const api = stack.cli(['resource', 'add', '--indicator', apiUrl, '--scope', 'api:read api:write payments', '--ttl', '600', '--dpop']);
    if (api.status !== 0) throw new Error(`resource add failed: ${api.stderr}`);

    const shared = {
      DEMO_HOST: host,
      DEMO_ISSUER: issuer,
      DEMO_RP_PORT: String(rpPort),
      DEMO_RP_URL: rpUrl,
      DEMO_API_PORT: String(apiPort),
      DEMO_API_URL: apiUrl,
      DEMO_CLIENT_ID: clientId,
      DEMO_CLIENT_SECRET: clientSecret,
      ...(transfer.acr && { DEMO_TRANSFER_ACR: transfer.acr }),
      ...(transfer.maxAge !== undefined && { DEMO_TRANSFER_MAX_AGE: String(transfer.maxAge) }),
    };
    const collect = (name: string) => (line: string) => void logs[name]!.push(line);
    started.push(
      startProcess('provider', 'server/main.ts', {
        base: cleanEnv(),
        detached: true,
        onLine: collect('provider'),
        env: {
          PORT: String(providerPort),
          HOST: host,
          ISSUER: issuer,
          DATA_DIR: dataDir,
          STEPUP_SCRYPT_N: '1024',
          LOG_LEVEL: 'warn',
          ...(coolOffSeconds !== undefined && { STEPUP_RECOVERY_COOL_OFF: String(coolOffSeconds) }),
        },
      }),
      startProcess('api', 'demo/api/main.ts', { base: cleanEnv(), detached: true, onLine: collect('api'), env: shared }),
      startProcess('rp', 'demo/rp/main.ts', { base: cleanEnv(), detached: true, onLine: collect('rp'), env: shared }),
    );
    await Promise.all([
      waitUntilAnswering(`${issuer}/.well-known/openid-configuration`, started[0]!, READY_TIMEOUT_MS),
      waitUntilAnswering(`${apiUrl}/healthz`, started[1]!, READY_TIMEOUT_MS),
      waitUntilAnswering(`${rpUrl}/healthz`, started[2]!, READY_TIMEOUT_MS),
    ]);
    return stack;
  } catch (error) {
    await stack.stop();
    throw new Error(
      `${(error as Error).message}\n${Object.entries(logs)
        .map(([name, lines]) => `[${name}] ${lines.slice(-20).join('\n')}`)
        .join('\n')}`,
      { cause: error },
    );
  }
}
