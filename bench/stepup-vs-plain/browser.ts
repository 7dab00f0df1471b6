// A small HTTP client: keep-alive sockets shared per server, a cookie jar per browser, redirects followed by hand.
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import { CALLBACK } from './agreed.ts';

const MAX_REDIRECTS = 10;
const REQUEST_TIMEOUT_MS = 30_000;

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One keep-alive pool per server, sized for the most concurrent clients. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: 64 });
}

type Observer = (request: string, ms: number) => void;
let observer: Observer | undefined;

/** Hands each request's latency to `record`, named like `POST /interaction/:id/otp` (ids replaced); undefined stops. */
export function observeRequests(record: Observer | undefined): void {
  observer = record;
}

export function send(agent: Agent, url: URL, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
  const started = performance.now();
  const method = init.method ?? 'GET';
  return new Promise((resolve, reject) => {
    const headers = init.body === undefined ? init.headers : { ...init.headers, 'content-length': String(Buffer.byteLength(init.body)) };
    const req = request(url, { agent, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        observer?.(`${method} ${url.pathname.replace(/[\w-]{16,}/g, ':id')}`, performance.now() - started);
        resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer from ${url.pathname} after ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

export type Step = { kind: 'page'; url: URL; reply: Reply } | { kind: 'callback'; url: URL };

export class Browser {
  readonly #cookies = new Map<string, string>();

  constructor(readonly agent: Agent) {}

  /** GETs (or POSTs a form to) `url` and follows redirects until a page, or the client's callback (never requested). */
  async go(url: URL, form?: Record<string, string>): Promise<Step> {
    let current = url;
    let body = form && new URLSearchParams(form).toString();
    for (let hop = 0; hop <= MAX_REDIRECTS; hop += 1) {
      if (current.href.startsWith(CALLBACK)) return { kind: 'callback', url: current };
      const headers: Record<string, string> = { cookie: this.#cookieHeader() };
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const reply = await send(this.agent, current, { method: body === undefined ? 'GET' : 'POST', headers, body });
      this.#store(reply.headers['set-cookie']);
      const location = reply.headers.location;
      if (reply.status < 300 || reply.status >= 400 || !location) return { kind: 'page', url: current, reply };
      current = new URL(location, current);
      body = undefined;
    }
    throw new Error(`more than ${MAX_REDIRECTS} redirects from ${url.pathname}`);
  }

  #cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #store(lines: string[] | undefined): void {
    for (const line of lines ?? []) {
      const pair = line.slice(0, line.indexOf(';') === -1 ? undefined : line.indexOf(';'));
      const index = pair.indexOf('=');
      const name = pair.slice(0, index).trim();
      const value = pair.slice(index + 1).trim();
      if (value === '' || /;\s*(max-age=0|expires=Thu, 01 Jan 1970)/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

/** The page's form whose action ends with `suffix`: its absolute action and its hidden fields (the CSRF token). */
export function formOn(step: Step, suffix: string): { action: URL; fields: Record<string, string> } {
  if (step.kind !== 'page') throw new Error(`expected a page with a …${suffix} form, got the callback ${step.url.search.slice(0, 200)}`);
  for (const [, action, inner] of step.reply.body.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)) {
    if (!action!.endsWith(suffix)) continue;
    const fields: Record<string, string> = {};
    for (const [input] of inner!.matchAll(/<input\b[^>]*type="hidden"[^>]*>/g)) {
      const name = /\bname="([^"]*)"/.exec(input)?.[1];
      if (name) fields[name] = unescape(/\bvalue="([^"]*)"/.exec(input)?.[1] ?? '');
    }
    return { action: new URL(unescape(action!), step.url), fields };
  }
  throw new Error(`no …${suffix} form on ${pageSummary(step)}`);
}

/** The callback the browser stopped at; throws, showing the page, when it stopped at a page instead. */
export function callbackOf(step: Step): URL {
  if (step.kind !== 'callback') throw new Error(`expected the callback, got ${pageSummary(step)}`);
  return step.url;
}

function pageSummary(step: Extract<Step, { kind: 'page' }>): string {
  return `${step.url.pathname} (status ${step.reply.status}): ${step.reply.body.replace(/\s+/g, ' ').slice(0, 300)}`;
}

function unescape(text: string): string {
  return text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
