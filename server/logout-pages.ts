// The sign-out confirmation and success pages, in the same frame as every other page.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { html, trusted } from '../views/html.ts';
import { layout } from '../views/layout.ts';

/** `form` is oidc-provider's hidden form (action and anti-forgery secret), which the buttons submit. */
export async function logoutSource(ctx: KoaContextWithOIDC, form: string): Promise<void> {
  ctx.body = layout(
    'Sign out',
    html`<h1>Sign out?</h1>
<p>You will be signed out of this sign-in service on this browser.</p>
${trusted(form)}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button type="submit" form="op.logoutForm" class="secondary">No, stay signed in</button>`,
  );
}

export async function postLogoutSuccessSource(ctx: KoaContextWithOIDC): Promise<void> {
  const client = ctx.oidc.client?.clientName ?? ctx.oidc.client?.clientId;
  ctx.body = layout(
    'Signed out',
    html`<h1>You are signed out</h1>
<p>${client ? html`Your sign-out from <strong>${client}</strong> was successful.` : 'Your sign-out was successful.'}</p>`,
  );
}
