// A moment shown to people: UTC as rendered (the server cannot know their zone), rewritten to theirs by /static/local-time.js.
import { html, type SafeHtml } from './html.ts';

/** "2026-12-04 14:39 UTC", the zone always named; the script turns it into e.g. "Dec 4, 2026, 3:39 PM (Europe/Paris time)". */
export function utcText(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

export function moment(seconds: number): SafeHtml {
  return html`<time datetime="${new Date(seconds * 1000).toISOString()}" data-local>${utcText(seconds)}</time>`;
}
