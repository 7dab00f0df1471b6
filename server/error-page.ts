// Errors shown to the user (not redirected to a client) as a page, without internal details.
import type { Configuration, KoaContextWithOIDC, ErrorOut } from 'oidc-provider';
import { html } from '../views/html.ts';
import { layout } from '../views/layout.ts';
import { unavailablePage } from '../views/unavailable-page.ts';

type RenderError = NonNullable<Configuration['renderError']>;

export async function renderError(ctx: KoaContextWithOIDC, out: ErrorOut, _error: Error): Promise<void> {
  ctx.type = 'html';
  ctx.body = layout(
    'Something went wrong',
    html`<h1>We could not complete this request</h1>
<p class="error" role="alert"><strong>${out.error}</strong>${out.error_description ? html`: ${out.error_description}` : ''}</p>
<p class="hint">Go back to the application you came from and try again.</p>`,
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
