// Tools for replay and downgrade attacks: per-interaction cookies kept and put back, raw form posts, stolen cookies.
import { expectPage, type Browser, type Step } from './browser.ts';

/** oidc-provider's cookies of one interaction: a real browser keeps one pair per path (/interaction/<uid>, /auth/<uid>). */
const INTERACTION_COOKIES = ['_interaction', '_interaction.sig', '_interaction_resume', '_interaction_resume.sig'];
/** Every cookie the provider sets: the session, the interaction's and the CSRF secret. */
export const ALL_COOKIES = ['_session', '_session.sig', ...INTERACTION_COOKIES, 'stepup.csrf', 'stepup.csrf.sig'];
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
 * Remembers the cookies of the browser's current interaction. Our test browser keeps one cookie per name (no paths),
 * so a second authorization request overwrites them; `restore()` sends them again, as a real browser would for
 * /interaction/<uid> and /auth/<uid> of the first one.
 */
export function keepInteraction(browser: Browser): { restore(): void } {
  const kept = new Map(INTERACTION_COOKIES.map((name) => [name, browser.cookie(name)]));
  return {
    restore() {
      for (const [name, value] of kept) if (value !== undefined) browser.setCookie(name, value);
    },
  };
}

/** Copies cookies from one browser to another: a stolen cookie, or the same user in a second tab. */
export function copyCookies(from: Browser, to: Browser, names: readonly string[] = ALL_COOKIES): void {
  for (const name of names) {
    const value = from.cookie(name);
    if (value !== undefined) to.setCookie(name, value);
  }
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
