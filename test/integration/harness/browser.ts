// A minimal browser for tests: cookies, manual redirects, and real form submission parsed from the pages' HTML.
import { parse, type HTMLElement } from 'node-html-parser';

export type Step =
  | { kind: 'page'; url: string; status: number; html: string; document: HTMLElement; headers: Headers }
  | { kind: 'callback'; url: URL };

const MAX_REDIRECTS = 20;

export class Browser {
  private readonly cookies = new Map<string, string>();

  /** `headers` go with every request, e.g. an X-Forwarded-For a trusted proxy would add for this browser's address. */
  constructor(
    private readonly callbackPrefix: string,
    private readonly headers: Record<string, string> = {},
  ) {}

  private cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1).trim();
      const expired = attributes.some((attribute) => /^\s*max-age=0\s*$/i.test(attribute) || /^\s*expires=Thu, 01 Jan 1970/i.test(attribute));
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Reads and writes cookies directly, to replay what an attacker kept. */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  setCookie(name: string, value: string): void {
    this.cookies.set(name, value);
  }

  /** Drops every cookie: a new browser profile. */
  clearCookies(): void {
    this.cookies.clear();
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
        headers: { ...this.headers, cookie: this.cookieHeader(), ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      this.store(response.headers);
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
