// The guard as an API developer gets it: `npm pack`ed, installed into a plain-JavaScript Express project (no TypeScript
// tooling), run with plain `node`, and asked for aal2 with tokens from the real provider.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, expectCallback, formOf } from '../integration/harness/browser.ts';
import { createAccount } from '../integration/harness/accounts.ts';
import { startProvider, type RunningProvider } from '../integration/harness/provider.ts';
import { CALLBACK, relyingParty, type RelyingParty } from '../integration/harness/rp.ts';

const run = promisify(execFile);
const PACKAGE_DIR = fileURLToPath(new URL('../../resource-server/', import.meta.url));
const PACKAGE_NAME = '@stepup-oidc/resource-server';

// The API a developer would write: plain JavaScript, the package and Express, nothing else.
const SERVER = `
import express from 'express';
import { createGuard, nodeGuard } from '${PACKAGE_NAME}';

const [issuer, audience] = process.argv.slice(2);
const need = nodeGuard(createGuard({ issuer, audience }));
const app = express();
app.get('/secret', need({ acr: 'aal2' }), (req, res) => res.json({ sub: req.auth.sub, acr: req.auth.acr }));
const payment = { type: 'payment', fields: ({ body }) => ({ instructedAmount: { amount: body.amount, currency: 'EUR' } }) };
app.post('/pay', express.json(), need({ operation: payment, singleUse: true }), (req, res) => res.json({ paid: req.auth.operation.instructedAmount }));
const server = app.listen(0, '127.0.0.1', () => console.log('listening on ' + server.address().port));
`;

// The child npm and node must not inherit the npm run that may have started vitest (it exports its prefix, its package
// and its log level), nor a loader in NODE_OPTIONS; how to reach the registry is kept.
const KEPT_NPM_CONFIG = /^npm_config_(registry|cache|cafile|proxy|https_proxy|noproxy|strict_ssl)$/i;
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => (!/^npm_/i.test(name) || KEPT_NPM_CONFIG.test(name)) && name !== 'NODE_OPTIONS'));

let provider: RunningProvider;
let rp: RelyingParty;
let api: string;
let workDir: string;
let projectDir: string;
let child: ChildProcess | undefined;
let apiUrl: string;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), 'stepup-rs-pack-'));
  // `npm pack` builds first (the package's prepack script), as it would before publishing.
  await run('npm', ['pack', '--pack-destination', workDir], { cwd: PACKAGE_DIR, env: cleanEnv, timeout: 60_000 });
  const tarball = readdirSync(workDir).find((name) => name.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack left no tarball in ${workDir}`);

  projectDir = join(workDir, 'api');
  mkdirSync(projectDir);
  writeFileSync(join(projectDir, 'package.json'), JSON.stringify({ name: 'plain-js-api', private: true, type: 'module' }));
  writeFileSync(join(projectDir, 'server.mjs'), SERVER);
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', join(workDir, tarball), 'express@5'], {
    cwd: projectDir,
    env: cleanEnv,
    timeout: 90_000,
  });

  provider = await startProvider();
  rp = await relyingParty(provider);
  api = provider.api;
  const server = spawn(process.execPath, ['server.mjs', provider.issuer, api], { cwd: projectDir, env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  child = server;
  apiUrl = await new Promise<string>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`the packed API did not start within 15 s:\n${output}`)), 15_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const port = /listening on (\d+)/.exec(output)?.[1];
      if (port) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${port}`);
      }
    };
    server.stdout!.on('data', read);
    server.stderr!.on('data', read);
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the packed API exited with ${code}:\n${output}`));
    });
  });
}, 180_000);

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  await provider?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

function secret(accessToken?: string) {
  return fetch(`${apiUrl}/secret`, { headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {}, signal: AbortSignal.timeout(10_000) });
}

describe('the packed package', () => {
  it('installs as built JavaScript with its types and README, and without TypeScript tooling', () => {
    const installed = join(projectDir, 'node_modules', ...PACKAGE_NAME.split('/'));
    expect(readdirSync(installed).sort()).toEqual(['README.md', 'dist', 'package.json']);
    const dist = readdirSync(join(installed, 'dist'));
    expect(dist).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'node.js', 'koa.js', 'dpop-proof.js', 'replay-store.d.ts']));
    expect(dist.filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))).toEqual([]);
    for (const tool of ['typescript', 'tsx']) expect(existsSync(join(projectDir, 'node_modules', tool))).toBe(false);
  });
});

describe('an Express route protected with nodeGuard({ acr: "aal2" }), run with plain node', () => {
  it('answers a request without a token with a bare challenge naming the realm', async () => {
    const response = await secret();
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="${api}"`);
  });

  it('challenges an aal1 token for aal2 (RFC 9470), and lets the token from the step-up through', async () => {
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    const first = await rp.signIn(browser, account, { scope: 'openid api:read', resource: api });
    const challenged = await secret(first.access_token);
    expect(challenged.status).toBe(401);
    expect(challenged.headers.get('www-authenticate')).toMatch(/^Bearer error="insufficient_user_authentication", error_description="[^"]+", acr_values="aal2 phr"$/);
    expect(await challenged.json()).toMatchObject({ error: 'insufficient_user_authentication' });

    const flow = await rp.start(browser, { scope: 'openid api:read', resource: api, acr_values: 'aal2 phr' });
    expect(formOf(flow.step)).toBe('otp');
    const stepped = await rp.finish(flow, expectCallback(await browser.submit(flow.step, '/otp', { code: account.code() })));
    const allowed = await secret(stepped.access_token);
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ sub: account.id, acr: 'aal2' });

    // A route that performs a payment refuses a token that approves none (RFC 9396): 403, not a step-up.
    const pay = await fetch(`${apiUrl}/pay`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stepped.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ amount: '500.00' }),
      signal: AbortSignal.timeout(10_000),
    });
    expect(pay.status).toBe(403);
    expect(pay.headers.get('www-authenticate')).toBe('Bearer error="insufficient_authorization_details", error_description="the token does not approve any payment operation (authorization_details)"');
  });
});
