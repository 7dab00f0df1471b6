// A minimal browser for tests: cookies kept per host and path, manual redirects, and real form submission parsed from the pages' HTML.
import { parse, type HTMLElement } from 'node-html-parser';
import { CookieJar } from '../../support/cookie-jar.ts';

export type Step = { kind: 'page'; url: string; status: number; html: string; document: HTMLElement; headers: Headers } | { kind: 'callback'; url: URL };

const MAX_REDIRECTS = 20;

export class Browser {
  /** Cookies per host and path with their expiry, as a real browser keeps them (test/support/cookie-jar.ts). */
  readonly jar = new CookieJar();

  /** `headers` go with every request, e.g. an X-Forwarded-For a trusted proxy would add for this browser's address. */
  constructor(
    private readonly callbackPrefix: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  /** Reads and writes cookies directly, to replay what an attacker kept: the most recently set cookie of that name. */
  cookie(name: string): string | undefined {
    return this.jar.get(name)?.value;
  }

  /** Sets a value for `name` where the server last set that cookie in this browser (its host and path). */
  setCookie(name: string, value: string): void {
    const place = this.jar.placeOf(name);
    if (!place) throw new Error(`this browser was never sent ${name}: copy it from another browser with copyCookies (harness/attacks.ts), which keeps its host and path`);
    this.jar.put({ ...place, value });
  }

  /** Drops every cookie: a new browser profile. */
  clearCookies(): void {
    this.jar.clear();
  }

  async request(url: string, init: { method?: string; body?: URLSearchParams } = {}): Promise<Step> {
    let current = new URL(url);
    let method = init.method ?? 'GET';
    let body: URLSearchParams | undefined = init.body;
    for (let hop = 0; hop < MAX_REDIRECTS; hop += 1) {
      if (current.href.startsWith(this.callbackPrefix)) return { kind: 'callback', url: current };
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: { ...this.headers, cookie: this.jar.header(current), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      this.jar.store(current, response.headers.getSetCookie());
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        current = new URL(location, current);
        method = 'GET';
        body = undefined;
        continue;
      }
      const html = await response.text();
      return { kind: 'page', url: current.href, status: response.status, html, document: parse(html), headers: response.headers };
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects: a redirect loop`);
  }

  /** Fills and submits the page's form whose action ends with `actionSuffix`. */
  async submit(step: Step, actionSuffix: string, fields: Record<string, string>): Promise<Step> {
    const page = expectPage(step);
    const form = page.document.querySelectorAll('form').find((candidate) => (candidate.getAttribute('action') ?? '').endsWith(actionSuffix));
    if (!form) throw new Error(`no form with action …${actionSuffix} on ${page.url}:\n${page.html.slice(0, 2000)}`);
    const body = new URLSearchParams();
    for (const input of form.querySelectorAll('input')) {
      const name = input.getAttribute('name');
      if (name) body.set(name, input.getAttribute('value') ?? '');
    }
    for (const [name, value] of Object.entries(fields)) {
      if (!form.querySelector(`input[name="${name}"]`)) throw new Error(`the form has no field ${name}`);
      if (form.querySelector(`input[name="${name}"]`)?.hasAttribute('readonly')) continue;
      body.set(name, value);
    }
    return this.request(new URL(form.getAttribute('action')!, page.url).href, { method: 'POST', body });
  }
}

export function expectPage(step: Step): Extract<Step, { kind: 'page' }> {
  if (step.kind !== 'page') throw new Error(`expected a page, got a redirect to the client: ${step.url.href}`);
  return step;
}

export function expectCallback(step: Step): URL {
  if (step.kind !== 'callback') throw new Error(`expected a redirect to the client, got the page ${step.url} (${step.status}):\n${step.document.querySelector('main')?.text.trim().slice(0, 500)}`);
  return step.url;
}

/** Which sign-in form a page shows: 'password', 'otp', 'consent' or 'other'. */
export function formOf(step: Step): 'password' | 'otp' | 'consent' | 'other' {
  const page = expectPage(step);
  const actions = page.document.querySelectorAll('form').map((form) => form.getAttribute('action') ?? '');
  if (actions.some((action) => action.endsWith('/password'))) return 'password';
  if (actions.some((action) => action.endsWith('/otp'))) return 'otp';
  if (actions.some((action) => action.endsWith('/consent'))) return 'consent';
  return 'other';
}
