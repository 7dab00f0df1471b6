// `npm run demo`: the provider (3000), the demo RP (3001) and the demo API (3002) together on loopback; Ctrl-C stops all three.
import { spawnSync } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { REPOSITORY, startProcess, stopProcess, waitUntilAnswering, type Started } from './processes.ts';

const HOST = process.env.DEMO_HOST ?? 'localhost';
const ports = {
  provider: Number(process.env.DEMO_PROVIDER_PORT ?? 3000),
  rp: Number(process.env.DEMO_RP_PORT ?? 3001),
  api: Number(process.env.DEMO_API_PORT ?? 3002),
};
const READY_TIMEOUT_MS = 90_000;

const issuer = `http://${HOST}:${ports.provider}`;
const rpUrl = `http://${HOST}:${ports.rp}`;
const apiUrl = `http://${HOST}:${ports.api}`;
const shared = { DEMO_HOST: HOST, DEMO_ISSUER: issuer, DEMO_RP_PORT: String(ports.rp), DEMO_RP_URL: rpUrl, DEMO_API_PORT: String(ports.api), DEMO_API_URL: apiUrl };

const providerEnv = { PORT: String(ports.provider), HOST, ISSUER: issuer };

// The demo API is a resource server: tokens requested with resource=<its URL> are JWTs for it, DPoP-bound (--dpop: a
// token request without a proof is refused). Registered as an operator would, with the CLI (--update: the data
// directory keeps it from the last run). The seeded client demo-rp may send payments (authorization_details).
const registered = spawnSync(
  process.execPath,
  ['--import', 'tsx', 'cli/main.ts', 'resource', 'add', '--update', '--indicator', apiUrl, '--scope', 'api:read api:write payments', '--ttl', '600', '--dpop'],
  {
    cwd: REPOSITORY,
    env: { ...process.env, ...providerEnv },
    encoding: 'utf8',
    timeout: 60_000,
  },
);
if (registered.status !== 0) {
  console.error(`cannot register the demo API as a resource server: ${registered.stderr || registered.error?.message}`);
  process.exit(1);
}

const started: Started[] = [
  startProcess('provider', 'server/main.ts', { env: providerEnv }),
  startProcess('api', 'demo/api/main.ts', { env: shared }),
  startProcess('rp', 'demo/rp/main.ts', { env: shared }),
];

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    console.log('stopping the demo...');
    await Promise.all(started.map((process_) => stopProcess(process_)));
  }
  process.exit(code);
}

process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
for (const process_ of started) {
  void process_.exited.then((code) => {
    if (stopping) return;
    console.error(`${process_.name} exited (${code}); stopping the others`);
    void stopAll(1);
  });
}

try {
  await Promise.all([
    waitUntilAnswering(`${issuer}/.well-known/openid-configuration`, started[0]!, READY_TIMEOUT_MS),
    waitUntilAnswering(`${apiUrl}/healthz`, started[1]!, READY_TIMEOUT_MS),
    waitUntilAnswering(`${rpUrl}/healthz`, started[2]!, READY_TIMEOUT_MS),
  ]);
} catch (error) {
  console.error((error as Error).message);
  await stopAll(1);
}
await sleep(100);
console.log(`
demo ready
  open ${rpUrl} and sign in as demo / demo-password
  transfers: you approve each one at the provider (a payment, RFC 9396); above 100.00 EUR it asks for a passkey
  one-time codes: add the secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP to an authenticator app
                  (or: oathtool --totp -b JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP)
  provider ${issuer}   RP ${rpUrl}   API ${apiUrl}
  Ctrl-C stops all three
`);
if (ports.rp !== 3001 || !['localhost', '127.0.0.1'].includes(HOST))
  console.warn(`note: the demo client demo-rp is registered for http://localhost:3001/callback and http://127.0.0.1:3001/callback only`);
