// Account pages: what the session has proven, the enrolled authenticators, and TOTP enrolment.
import type { AuthenticatorRecord } from '../../adapters/types.ts';
import { html, trusted } from './html.ts';
import { errorBox, layout } from './layout.ts';

function date(seconds: number | undefined): string {
  return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').slice(0, 16) + ' UTC' : 'never';
}

export function signedOutPage(message?: string): string {
  return layout(
    'Your account',
    html`<h1>Your account</h1>
${errorBox(message)}
<p>Sign in to see and manage how you sign in.</p>
<form method="get" action="/account/login"><button type="submit">Sign in</button></form>`,
  );
}

export function accountPage(view: {
  username: string;
  level?: string;
  authenticators: AuthenticatorRecord[];
  notice?: string;
  error?: string;
}): string {
  return layout(
    'Your account',
    html`<h1>${view.username}</h1>
${view.notice ? html`<p class="why" role="status">${view.notice}</p>` : ''}
${errorBox(view.error)}
<dl><dt>Current sign-in level</dt><dd>${view.level ?? 'none'}</dd></dl>
<h2>How you sign in</h2>
<ul class="factors">
<li>Password</li>
${view.authenticators.map((authenticator) => html`<li>${authenticator.kind === 'totp' ? 'Authenticator app' : 'Passkey'}: <strong>${authenticator.label}</strong>
<span class="hint">added ${date(authenticator.createdAt)}, last used ${date(authenticator.lastUsedAt)}</span></li>`)}
</ul>
<form method="get" action="/account/totp"><button type="submit">Set up an authenticator app</button></form>
<p class="hint">Changing how you sign in asks you to prove it's you again first.</p>
<form method="get" action="/session/end"><button type="submit" class="secondary">Sign out</button></form>`,
  );
}

export function totpEnrolPage(view: { csrf: string; qrSvg: string; secret: string; error?: string }): string {
  const grouped = view.secret.replace(/(.{4})/g, '$1 ').trim();
  return layout(
    'Set up an authenticator app',
    html`<h1>Set up an authenticator app</h1>
<p>Scan this code with your authenticator app (Google Authenticator, 1Password, Authy, …).</p>
<div class="qr" role="img" aria-label="QR code for your authenticator app">${trusted(view.qrSvg)}</div>
<p>Can't scan it? Enter this key instead:</p>
<code class="secret" aria-label="Setup key">${grouped}</code>
${errorBox(view.error)}
<form method="post" action="/account/totp" novalidate>
<input type="hidden" name="_csrf" value="${view.csrf}">
<label for="label">Name for this authenticator</label>
<input id="label" name="label" type="text" maxlength="64" value="Authenticator app" required>
<label for="code">Code shown in the app</label>
<input id="code" name="code" class="code" type="text" inputmode="numeric" pattern="[0-9 ]*" autocomplete="one-time-code" maxlength="8" required autofocus>
<button type="submit">Turn on</button>
</form>
<form method="get" action="/account"><button type="submit" class="secondary">Cancel</button></form>`,
  );
}
