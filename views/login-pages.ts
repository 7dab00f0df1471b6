// The sign-in pages: password (or passkey first), passkey and one-time code, each saying which application asked for what.
import { html, type SafeHtml } from './html.ts';
import { errorBox, layout } from './layout.ts';
import { passkeyForm, passkeyScripts } from './passkey-form.ts';
import { operationBox, type OperationText } from './operation-box.ts';

export interface PageContext {
  uid: string;
  csrf: string;
  clientName: string;
  /** Why this page is shown, e.g. "asks for two-step verification". */
  why?: string;
  error?: string;
  /** The operation being approved (RFC 9396 authorization_details), in plain words: shown on every page of the sign-in. */
  operations?: OperationText[];
}

function cancelForm({ uid, csrf }: PageContext): SafeHtml {
  return html`<form method="post" action="/interaction/${uid}/abort">
<input type="hidden" name="_csrf" value="${csrf}">
<button type="submit" class="cancel">Cancel</button>
</form>`;
}

/** The way back in for someone whose second factor is gone: a recovery sign-in (interactions/recovery-routes.ts). */
function lostAuthenticator(): SafeHtml {
  return html`<p class="hint"><a href="/account/recover">Lost your authenticator?</a> Sign in with your password and a recovery code.</p>`;
}

function reason(page: PageContext): SafeHtml {
  return html`<p class="why">${page.why ?? html`Sign in to continue to <strong>${page.clientName}</strong>.`}</p>
${operationBox(page.clientName, page.operations)}`;
}

/** Sign-in with a passkey offered next to the password, with the browser's passkey autofill where supported. */
export interface PasskeyOffer {
  options: unknown;
  /** Username-less: the passkey identifies the account, and autofill may propose it. */
  discoverable: boolean;
}

export function passwordPage(page: PageContext & { username?: string; usernameLocked: boolean; passkey?: PasskeyOffer; passkeyFirst?: boolean }): string {
  if (page.passkeyFirst && page.passkey) return passkeyFirstPage({ ...page, passkey: page.passkey });
  const focusPassword = page.usernameLocked || Boolean(page.username);
  return layout(
    'Sign in',
    html`<h1>${page.usernameLocked ? 'Confirm your password' : 'Sign in'}</h1>
${reason(page)}
${errorBox(page.error)}
${passwordForm(page, { button: 'Continue', autofocus: focusPassword ? 'password' : 'username' })}
${
  page.passkey
    ? html`<p class="or">or</p>
${passkeyForm({ action: `/interaction/${page.uid}/passkey`, csrf: page.csrf, options: page.passkey.options, mode: 'authenticate', button: 'Sign in with a passkey', autofill: page.passkey.discoverable, secondary: true })}
${passkeyScripts()}`
    : ''
}
${lostAuthenticator()}
${cancelForm(page)}`,
  );
}

function passwordForm(
  page: PageContext & { username?: string; usernameLocked: boolean; passkey?: PasskeyOffer },
  look: { button: string; autofocus?: 'username' | 'password'; secondary?: boolean },
): SafeHtml {
  const described = page.error ? 'form-error' : undefined;
  return html`<form method="post" action="/interaction/${page.uid}/password" novalidate>
<input type="hidden" name="_csrf" value="${page.csrf}">
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="${page.passkey?.discoverable ? 'username webauthn' : 'username'}" autocapitalize="none" spellcheck="false" required maxlength="256"
 value="${page.username ?? ''}"${page.usernameLocked ? html` readonly` : ''}${described ? html` aria-describedby="${described}"` : ''}${look.autofocus === 'username' ? html` autofocus` : ''}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024"${described ? html` aria-describedby="${described}"` : ''}${look.autofocus === 'password' ? html` autofocus` : ''}>
<button type="submit"${look.secondary ? html` class="secondary"` : ''}>${look.button}</button>
</form>`;
}

/**
 * Before anyone is signed in, for a request only a passkey can meet: the passkey leads (it also names the account),
 * and the password comes second, saying that a passkey is still needed after it.
 */
function passkeyFirstPage(page: PageContext & { username?: string; usernameLocked: boolean; passkey: PasskeyOffer }): string {
  return layout(
    'Sign in with a passkey',
    html`<h1>Sign in with your passkey</h1>
${reason(page)}
<p>Only a passkey can sign you in for this. Use the passkey on this device or your phone: it also tells us who you are, so there is nothing to type.</p>
${errorBox(page.error)}
${passkeyForm({ action: `/interaction/${page.uid}/passkey`, csrf: page.csrf, options: page.passkey.options, mode: 'authenticate', button: 'Sign in with a passkey', autofill: page.passkey.discoverable })}
${passkeyScripts()}
<h2>No passkey at hand?</h2>
<p class="hint">You can start with your password, but you will be asked for a passkey after it.</p>
${passwordForm(page, { button: 'Continue with your password', secondary: true })}
${lostAuthenticator()}
${cancelForm(page)}`,
  );
}

export function passkeyPage(page: PageContext & { username: string; options: unknown }): string {
  return layout(
    'Use your passkey',
    html`<h1>Confirm with your passkey</h1>
${reason(page)}
<p>Signed in as <strong>${page.username}</strong>. Use the passkey on this device or your phone; a one-time code is not enough here, because codes can be phished.</p>
${errorBox(page.error)}
${passkeyForm({ action: `/interaction/${page.uid}/passkey`, csrf: page.csrf, options: page.options, mode: 'authenticate', button: 'Use passkey' })}
${passkeyScripts()}
${lostAuthenticator()}
${cancelForm(page)}`,
  );
}

export function otpPage(page: PageContext & { username: string }): string {
  return layout(
    'Two-step verification',
    html`<h1>Enter your verification code</h1>
${reason(page)}
<p>Signed in as <strong>${page.username}</strong>. Open your authenticator app and enter the 6-digit code.</p>
${errorBox(page.error)}
<form method="post" action="/interaction/${page.uid}/otp" novalidate>
<input type="hidden" name="_csrf" value="${page.csrf}">
<label for="code">Verification code</label>
<input id="code" name="code" class="code" type="text" inputmode="numeric" pattern="[0-9 ]*" autocomplete="one-time-code" required maxlength="8" autofocus${page.error ? html` aria-describedby="form-error"` : ''}>
<button type="submit">Verify</button>
</form>
${lostAuthenticator()}
${cancelForm(page)}`,
  );
}

export function consentPage(page: PageContext & { scopes: string[] }): string {
  return layout(
    'Allow access',
    html`<h1>Allow ${page.clientName}?</h1>
${
  page.scopes.length
    ? html`<p><strong>${page.clientName}</strong> asks for access to:</p>
<ul class="factors">${page.scopes.map((scope) => html`<li>${scope}</li>`)}</ul>`
    : ''
}
${operationBox(page.clientName, page.operations)}
<form method="post" action="/interaction/${page.uid}/consent">
<input type="hidden" name="_csrf" value="${page.csrf}">
<button type="submit">${page.operations?.length ? 'Approve' : 'Allow'}</button>
</form>
${cancelForm(page)}`,
  );
}
