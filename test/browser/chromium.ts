// Debian's Chromium driven by playwright-core, with a Chrome DevTools Protocol virtual WebAuthn authenticator.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Outside CI a machine without Chromium skips the browser tests (visibly); in CI they must run. */
export const chromiumAvailable = existsSync(CHROMIUM_PATH) || process.env.CI === 'true';
const SCREENSHOTS = join(process.cwd(), 'test-results', 'screenshots');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, timeout: 60_000 });
}

export interface VirtualAuthenticator {
  cdp: CDPSession;
  authenticatorId: string;
  setUserVerified(verified: boolean): Promise<void>;
  credentials(): Promise<Array<{ credentialId: string; signCount: number; isResidentCredential: boolean }>>;
}

/** A platform authenticator (ctap2, internal) with resident keys and user verification, answering by itself. */
export async function addVirtualAuthenticator(page: Page): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true },
  });
  return {
    cdp,
    authenticatorId,
    async setUserVerified(verified) {
      await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: verified });
    },
    async credentials() {
      return (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
    },
  };
}

/** Saves a full-page screenshot under test-results/screenshots, to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/**
 * A real loopback server standing in for the RP's callback: Playwright cannot intercept the target of a
 * redirect, and the provider answers silent requests with one. `next()` yields the next callback URL.
 */
export async function callbackServer(): Promise<{ url: string; next(): Promise<URL>; close(): Promise<void> }> {
  const received: URL[] = [];
  const waiting: Array<(url: URL) => void> = [];
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    if (url.pathname !== '/callback') return void response.writeHead(404).end();
    const waiter = waiting.shift();
    if (waiter) waiter(url);
    else received.push(url);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Back at the application</title><p>Back at the application.</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/callback`,
    next: () => {
      const ready = received.shift();
      return ready ? Promise.resolve(ready) : new Promise<URL>((resolve) => waiting.push(resolve));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
