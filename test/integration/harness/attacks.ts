// Tools for replay and downgrade attacks: per-interaction cookies kept and put back, raw form posts, stolen cookies.
import { expectPage, type Browser, type Step } from './browser.ts';

/** oidc-provider's cookies of one interaction: a browser keeps one pair per interaction, on its paths /interaction/<uid> and /auth/<uid>. */
const INTERACTION_COOKIES = ['_interaction', '_interaction.sig', '_interaction_resume', '_interaction_resume.sig'];
/** Every cookie the provider sets: the session, the interaction's and the CSRF secret. */
const ALL_COOKIES = ['_session', '_session.sig', ...INTERACTION_COOKIES, 'stepup.csrf', 'stepup.csrf.sig'];
export const SESSION_COOKIES = ['_session', '_session.sig'];
export const CSRF_COOKIES = ['stepup.csrf', 'stepup.csrf.sig'];

/** The interaction uid of a sign-in page (its URL is /interaction/<uid>). */
export function uidOf(step: Step): string {
  const { pathname } = new URL(expectPage(step).url);
  const match = /^\/interaction\/([^/]+)$/.exec(pathname);
  if (!match) throw new Error(`not an interaction page: ${pathname}`);
  return match[1]!;
}

/**
 * Remembers the cookies of the browser's current interaction (each one's newest, on its own path /interaction/<uid> or
 * /auth/<uid>); `restore()` puts them back as they were, e.g. after the server deleted them on finishing the interaction.
 */
export function keepInteraction(browser: Browser): { restore(): void } {
  const kept = INTERACTION_COOKIES.flatMap((name) => browser.jar.get(name) ?? []);
  return {
    restore() {
      for (const cookie of kept) browser.jar.put(cookie);
    },
  };
}

/**
 * Puts the browser's current interaction cookies on the paths of `page`'s interaction (/interaction/<uid>, /auth/<uid>),
 * as a browser that ignored cookie paths, or a tampered cookie, would send them: that page's forms then reach another
 * sign-in's cookie. A real browser keeps each interaction's own cookies on its paths.
 */
export function crossInteraction(browser: Browser, page: Step): void {
  const uid = uidOf(page);
  for (const name of INTERACTION_COOKIES) {
    const cookie = browser.jar.get(name);
    if (cookie) browser.jar.put({ ...cookie, path: name.startsWith('_interaction_resume') ? `/auth/${uid}` : `/interaction/${uid}` });
  }
}

/** Copies cookies, on every path they are set for, from one browser to another: stolen cookies, or the same user in a second tab. */
export function copyCookies(from: Browser, to: Browser, names: readonly string[] = ALL_COOKIES): void {
  for (const cookie of from.jar.all()) if (names.includes(cookie.name)) to.jar.put(cookie);
}

/** The action URL and every field of a page's form whose action ends with `actionSuffix`, to post them elsewhere or tampered. */
export function readForm(step: Step, actionSuffix: string): { action: string; fields: Record<string, string> } {
  const page = expectPage(step);
  const form = page.document.querySelectorAll('form').find((candidate) => (candidate.getAttribute('action') ?? '').endsWith(actionSuffix));
  if (!form) throw new Error(`no form with action …${actionSuffix} on ${page.url}`);
  const fields: Record<string, string> = {};
  for (const input of form.querySelectorAll('input')) {
    const name = input.getAttribute('name');
    if (name) fields[name] = input.getAttribute('value') ?? '';
  }
  return { action: new URL(form.getAttribute('action')!, page.url).href, fields };
}

/** Posts a url-encoded form as the browser would, whatever the page offered. */
export function post(browser: Browser, url: string, fields: Record<string, string>): Promise<Step> {
  return browser.request(url, { method: 'POST', body: new URLSearchParams(fields) });
}

/** The visible error text of a page. */
export function alertOf(step: Step): string {
  return expectPage(step).document.querySelector('[role=alert]')?.text.trim() ?? '';
}
