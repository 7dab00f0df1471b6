// The demo RP's pages without the other processes: escaped output, no script, CSRF on every form, strict headers.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'node-html-parser';
import { demoConfig } from '../../demo/config.ts';
import { createRpApp } from '../../demo/rp/app.ts';
import { resultPage } from '../../demo/rp/views.ts';

let server: Server;
let base: string;

beforeAll(async () => {
  // The provider is never reached by these requests: a closed port stands in for it.
  const config = demoConfig({ DEMO_ISSUER: 'http://127.0.0.1:9', DEMO_HOST: '127.0.0.1' });
  server = createServer(createRpApp(config, () => {}).callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => server?.close(() => resolve()));
});

describe('the home page', () => {
  it('has no script, a strict CSP whose form-action allows only itself and the provider, and a CSRF token in every form', async () => {
    const response = await fetch(`${base}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(
      "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self' http://127.0.0.1:9; frame-ancestors 'none'; base-uri 'none'",
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    const cookie = response.headers.getSetCookie().find((line) => line.startsWith('demo_rp_sid='));
    expect(cookie).toMatch(/httponly/i);
    expect(cookie).toMatch(/samesite=lax/i);
    const document = parse(await response.text());
    expect(document.querySelectorAll('script')).toHaveLength(0);
    const forms = document.querySelectorAll('form');
    expect(forms.length).toBeGreaterThanOrEqual(2);
    for (const form of forms) expect(form.querySelector('input[name=_csrf]')?.getAttribute('value')).toMatch(/.{20,}/);
  });
});

describe('the icon', () => {
  it('answers /favicon.ico (browsers ask for it on their own) and the /static/favicon.svg every page links, so no page load ends in a 404', async () => {
    for (const path of ['/favicon.ico', '/static/favicon.svg']) {
      const response = await fetch(`${base}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toBe('image/svg+xml');
    }
    const document = parse(await (await fetch(`${base}/`)).text());
    expect(document.querySelector('link[rel=icon]')?.getAttribute('href')).toBe('/static/favicon.svg');
  });
});

describe('forms', () => {
  it.each(['/transfer', '/transfer/again', '/transfer/changed', '/login', '/logout'])('refuses a POST to %s without the CSRF token (403), before anything happens', async (path) => {
    const response = await fetch(`${base}${path}`, { method: 'POST', body: new URLSearchParams({ to: 'mallory', amount: '999' }), redirect: 'manual' });
    expect(response.status).toBe(403);
  });

  it('refuses a token from another session', async () => {
    const first = await fetch(`${base}/`);
    const token = parse(await first.text())
      .querySelector('input[name=_csrf]')!
      .getAttribute('value')!;
    const response = await fetch(`${base}/transfer`, { method: 'POST', body: new URLSearchParams({ _csrf: token, to: 'x', amount: '1' }), redirect: 'manual' });
    expect(response.status).toBe(403);
  });

  it('answers a callback nobody started with 400, not a crash', async () => {
    const response = await fetch(`${base}/callback?code=abc&state=def`);
    expect(response.status).toBe(400);
  });
});

describe('the result page', () => {
  it('escapes what came from the user, the API and the provider', () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const page = resultPage(
      { csrf: 'c', now: 2000, signedIn: { sub: hostile, facts: { acr: hostile, amr: [hostile], authTime: 1000 }, accessToken: 't' } },
      {
        action: `transfer 1 EUR to ${hostile}`,
        result: { kind: 'answered', status: 400, body: { error: hostile } },
        story: {
          action: hostile,
          challenge: { status: 401, header: `Bearer error="${hostile}"`, acrValues: [hostile] },
          sentWith: { acr_values: hostile },
          sentAt: 1000,
          providerError: { error: hostile, description: hostile },
        },
        stopped: hostile,
      },
    );
    expect(page).not.toContain('<img');
    expect(page).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it("escapes a refusal's challenge and the operation panel", () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const transfer = { amount: '1.00', currency: 'EUR', creditorName: hostile, iban: hostile };
    const page = resultPage(
      {
        csrf: 'c',
        now: 2000,
        signedIn: { sub: 's', facts: { amr: [] }, accessToken: 't' },
        operation: { transfer, details: [{ type: 'payment', instructedAmount: { currency: 'EUR', amount: '1.00' }, creditorName: hostile, creditorAccount: { iban: hostile } }], accessToken: 't' },
      },
      { action: hostile, result: { kind: 'challenged', challenge: { status: 403, header: hostile, error: hostile, errorDescription: hostile } }, stopped: hostile },
    );
    expect(page).not.toContain('<img');
    const document = parse(page);
    expect(document.querySelector('[data-refusal-reason]')?.text).toBe(hostile);
    // Both ways to misuse the token are forms with the CSRF token.
    expect(document.querySelectorAll('#operation form').map((form) => [form.getAttribute('action'), form.querySelector('input[name=_csrf]')?.getAttribute('value')])).toEqual([
      ['/transfer/again', 'c'],
      ['/transfer/changed', 'c'],
    ]);
  });

  it('heads every column of the before/after table', () => {
    const facts = { acr: 'aal2', amr: ['pwd', 'otp', 'mfa'], authTime: 1000 };
    const page = resultPage(
      { csrf: 'c', now: 2000, signedIn: { sub: 's', facts, accessToken: 't' } },
      {
        action: 'transfer',
        story: { action: 'transfer', challenge: { status: 401, header: 'Bearer' }, before: { acr: 'aal1', amr: ['pwd'], authTime: 1000 }, after: facts, sentWith: {}, sentAt: 1000, proven: ['otp'] },
      },
    );
    const headers = parse(page)
      .querySelectorAll('#before-after thead th')
      .map((th) => th.text.trim());
    expect(headers).toEqual(['claim', 'token before', 'token after']);
  });
});
