// What a person sees while storage is unavailable: a plain page that says nothing was lost and that retrying works.
import type { Configuration } from 'oidc-provider';
import { html } from '../views/html.ts';
import { layout } from '../views/layout.ts';

type RenderError = NonNullable<Configuration['renderError']>;

export function unavailablePage(): string {
  return layout(
    'Temporarily unavailable',
    html`<h1>Sign-in is temporarily unavailable</h1>
<p class="error" role="alert">We cannot reach our data store right now, so nothing was changed.</p>
<p class="hint">Wait a few seconds, then try again: reload this page, or go back and submit the form again.</p>`,
  );
}

/** oidc-provider's HTML error pages, with the friendly page for temporarily_unavailable. */
export function withUnavailablePage(render: RenderError): RenderError {
  return async (ctx, out, error) => {
    if (out.error !== 'temporarily_unavailable') return render(ctx, out, error);
    ctx.type = 'html';
    ctx.body = unavailablePage();
  };
}
