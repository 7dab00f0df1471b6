// What a person sees while storage is unavailable: a plain page that says nothing was lost and that retrying works.
import { html } from './html.ts';
import { layout } from './layout.ts';

export function unavailablePage(): string {
  return layout(
    'Temporarily unavailable',
    html`<h1>Sign-in is temporarily unavailable</h1>
<p class="error" role="alert">We cannot reach our data store right now, so nothing was changed.</p>
<p class="hint">Wait a few seconds, then try again: reload this page, or go back and submit the form again.</p>`,
  );
}
