// Recovery pages: signing in with a recovery code or an operator's link, the recovery session, and recovery codes.
import type { RecoverySecretSummary } from '../adapters/types.ts';
import { html } from './html.ts';
import { errorBox, layout } from './layout.ts';
import type { PageContext } from './login-pages.ts';
import { moment, utcText } from './time.ts';

/**
 * The recovery sign-in. The code field turns autofill off: `one-time-code` autofill would put a code from an
 * authenticator app or a text message there (not a recovery code, and a wasted guess), and a password manager's
 * `current-password` would offer the password.
 */
export function recoverySignInPage(page: PageContext & { mode: 'code' | 'link'; username?: string; usernameLocked: boolean; windowMinutes: number }): string {
  const described = page.error ? 'form-error' : undefined;
  return layout(
    'Recover your account',
    html`<h1>Recover your account</h1>
<p>${
      page.mode === 'code'
        ? 'Lost your authenticator app or passkey? Sign in with your password and one of the recovery codes you saved.'
        : 'Your administrator reset your sign-in methods. Confirm your password to open a recovery session.'
    }</p>
<p class="hint">A recovery session lets you set up a new authenticator app or passkey and remove the ones you lost, for ${page.windowMinutes} minutes.
It signs you out everywhere else. Applications only get a password-level sign-in from it, and a new method counts fully only after a waiting period.</p>
${errorBox(page.error)}
<form method="post" action="/interaction/${page.uid}/recovery" novalidate>
<input type="hidden" name="_csrf" value="${page.csrf}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required maxlength="256"
 value="${page.username ?? ''}"${page.usernameLocked ? html` readonly` : ''}${described ? html` aria-describedby="${described}"` : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${described ? html` aria-describedby="${described}"` : ''}>
${
  page.mode === 'code'
    ? html`<label for="code">Recovery code</label>
<input id="code" name="code" class="code" type="text" inputmode="text" autocomplete="off" autocapitalize="none" spellcheck="false" required maxlength="64"
 aria-describedby="code-hint${described ? ' form-error' : ''}">
<p class="hint" id="code-hint">Like <code>7gk2-q9xd-m4pa-r</code>. Each code works once.</p>`
    : ''
}
<button type="submit">Recover my account</button>
</form>
<form method="post" action="/interaction/${page.uid}/abort">
<input type="hidden" name="_csrf" value="${page.csrf}">
<button type="submit" class="cancel">Cancel</button>
</form>`,
  );
}

export function recoverySessionPage(view: { username: string; until: number; ended: number; codesLeft?: number }): string {
  return layout(
    'Recovery session',
    html`<h1>You are recovering ${view.username}</h1>
<p class="why" role="status">${view.ended === 1 ? 'Your other session has' : view.ended > 1 ? `Your ${view.ended} other sessions have` : 'Any other session of your account has'} ended, and applications you were signed in to were told to sign you out.
Until <strong>${moment(view.until)}</strong> you can set up new sign-in methods and remove the ones you lost.</p>
<p class="hint">A method you add now only counts as a password sign-in for a waiting period (shown on your account page), so that someone who stole a recovery code cannot use it to take over your account.
${view.codesLeft !== undefined ? html`You have ${view.codesLeft} recovery codes left.` : ''}</p>
<form method="get" action="/account/totp"><button type="submit">Set up an authenticator app</button></form>
<form method="get" action="/account/passkey"><button type="submit" class="secondary">Add a passkey</button></form>
<form method="get" action="/account/manage"><button type="submit" class="secondary">Remove lost sign-in methods</button></form>
<form method="get" action="/account"><button type="submit" class="secondary">Done</button></form>`,
  );
}

export function recoveryCodesPage(view: { csrf: string; summary?: RecoverySecretSummary; count: number; error?: string }): string {
  return layout(
    'Recovery codes',
    html`<h1>Recovery codes</h1>
<p>If you lose your authenticator app or passkey, a recovery code and your password let you in to set up a new one. Each code works once.</p>
${errorBox(view.error)}
${
  view.summary
    ? html`<p>You have <strong>${view.summary.remaining} of ${view.summary.total}</strong> codes left, made ${moment(view.summary.createdAt)}.</p>`
    : html`<p>You have no recovery codes yet.</p>`
}
${
  view.summary
    ? html`<form method="get" action="/account"><button type="submit" autofocus>Back to your account</button></form>
<form method="post" action="/account/recovery-codes">
<input type="hidden" name="_csrf" value="${view.csrf}">
<button type="submit" class="danger">Make ${view.count} new codes (the old ones stop working)</button>
</form>`
    : html`<form method="post" action="/account/recovery-codes">
<input type="hidden" name="_csrf" value="${view.csrf}">
<button type="submit">Make ${view.count} recovery codes</button>
</form>
<form method="get" action="/account"><button type="submit" class="secondary">Back to your account</button></form>`
}`,
  );
}

export function recoveryCodesShownPage(view: { username: string; codes: string[]; createdAt: number }): string {
  const text = `Recovery codes for ${view.username} (made ${utcText(view.createdAt)}). Each works once.\n${view.codes.join('\n')}\n`;
  return layout(
    'Your recovery codes',
    html`<h1>Save your recovery codes</h1>
<p class="error" role="alert">This is the only time they are shown. Print them or save them somewhere safe, away from your devices.</p>
<ol class="codes" aria-label="Recovery codes">
${view.codes.map((code) => html`<li><code>${code}</code></li>`)}
</ol>
<p><a href="data:text/plain;charset=utf-8,${encodeURIComponent(text)}" download="recovery-codes.txt">Download as a text file</a></p>
<button type="button" class="secondary" data-print hidden>Print</button>
<script src="/static/print.js" defer></script>
<form method="get" action="/account"><button type="submit">I saved them</button></form>`,
  );
}
