// `npm run demo` as documented: it starts the provider, the RP and the API, says when they are ready, and Ctrl-C stops all three.
import { cleanEnv } from '../support/clean-env.ts';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { REPOSITORY, startProcess } from '../../demo/processes.ts';
import { freePort } from './stack.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'stepup-launcher-'));
const groups = new Set<number>();

afterAll(() => {
  // Whatever happened above, nothing the test started outlives it.
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
});

async function demoPorts() {
  return { provider: await freePort(), rp: await freePort(), api: await freePort() };
}

function demoEnv(ports: { provider: number; rp: number; api: number }) {
  return {
    DEMO_HOST: '127.0.0.1',
    DEMO_PROVIDER_PORT: String(ports.provider),
    DEMO_RP_PORT: String(ports.rp),
    DEMO_API_PORT: String(ports.api),
    DATA_DIR: dataDir,
    STEPUP_SCRYPT_N: '1024',
  };
}

function urlsOf(ports: { provider: number; rp: number; api: number }) {
  return [`http://127.0.0.1:${ports.provider}/.well-known/openid-configuration`, `http://127.0.0.1:${ports.rp}/healthz`, `http://127.0.0.1:${ports.api}/healthz`];
}

/** Polls until no process of the group is left (true), or gives up after 10 s (false). */
async function groupGone(group: number): Promise<boolean> {
  for (let waited = 0; waited < 10_000; waited += 250) {
    try {
      process.kill(-group, 0);
    } catch {
      groups.delete(group);
      return true;
    }
    await sleep(250);
  }
  return false;
}

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).ok;
  } catch {
    return false;
  }
}

describe('npm run demo', () => {
  it('starts all three on loopback, and Ctrl-C (SIGINT to the foreground group) stops all three', async () => {
    const ports = await demoPorts();
    const child = spawn('npm', ['run', 'demo'], { cwd: REPOSITORY, env: { ...cleanEnv(), ...demoEnv(ports) }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    groups.add(child.pid!);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(String(code ?? signal))));

    const deadline = Date.now() + 90_000;
    while (!output.includes('demo ready') && Date.now() < deadline && child.exitCode === null) await sleep(250);
    expect(output, output).toContain('demo ready');
    expect(output).toContain(`open http://127.0.0.1:${ports.rp}`);
    const urls = urlsOf(ports);
    for (const url of urls) expect(await answers(url), url).toBe(true);
    expect((await (await fetch(urls[0]!)).json()).acr_values_supported).toEqual(['aal1', 'aal2', 'phr']);

    process.kill(-child.pid!, 'SIGINT');
    // npm itself ends by the signal, as in a terminal; what matters is that nothing of the group is left.
    expect(['0', 'SIGINT'], output).toContain(await Promise.race([exited, sleep(20_000).then(() => 'timeout')]));
    expect(await groupGone(child.pid!), `processes of the demo are still running:\n${output}`).toBe(true);
    expect(output).toContain('stopping the demo...');
    for (const url of urls) expect(await answers(url), `${url} still answers after Ctrl-C`).toBe(false);
  }, 150_000);

  it('stops its three processes when only the launcher is told to stop (SIGTERM)', async () => {
    const ports = await demoPorts();
    const lines: string[] = [];
    const launcher = startProcess('demo', 'demo/main.ts', { base: cleanEnv(), env: demoEnv(ports), detached: true, onLine: (line) => void lines.push(line) });
    groups.add(launcher.child.pid!);
    const deadline = Date.now() + 90_000;
    while (!lines.includes('demo ready') && Date.now() < deadline && launcher.child.exitCode === null) await sleep(250);
    expect(lines.join('\n')).toContain('demo ready');

    launcher.child.kill('SIGTERM');
    expect(await Promise.race([launcher.exited, sleep(20_000).then(() => 'timeout')])).toBe(0);
    expect(await groupGone(launcher.child.pid!), lines.join('\n')).toBe(true);
    for (const url of urlsOf(ports)) expect(await answers(url), `${url} still answers`).toBe(false);
  }, 150_000);
});
