// Account pages: what the session has proven, the enrolled authenticators, and TOTP enrolment.
import type { AuthenticatorRecord, RecoverySecretSummary } from '../adapters/types.ts';
import type { Ladder, Level } from '../policy/types.ts';
import { html, trusted, type SafeHtml } from './html.ts';
import { errorBox, layout } from './layout.ts';
import { passkeyForm, passkeyScripts } from './passkey-form.ts';
import { moment } from './time.ts';
import { isCoolingOff } from '../policy/cool-off.ts';

/** A level in words; its acr code is for tokens and the audit log, not for people. */
export function levelWords(level: Level): string {
  return level.label ?? level.acr;
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

function kindName(authenticator: AuthenticatorRecord): string {
  if (authenticator.kind === 'totp') return 'Authenticator app';
  const data = authenticator.data as { backupEligible?: boolean };
  return data.backupEligible ? 'Passkey (synced)' : 'Passkey (this device)';
}

/** One sign-in method; `ladder` names the level a method in its waiting period is held to (the account page has it). */
function describe(authenticator: AuthenticatorRecord, now?: number, ladder?: Ladder): SafeHtml {
  const coolOff = now !== undefined && isCoolingOff(authenticator.coolOff, now) ? authenticator.coolOff : undefined;
  const cap = coolOff?.cap ? ladder?.find((level) => level.acr === coolOff.cap) : undefined;
  return html`${kindName(authenticator)}: <strong>${authenticator.label}</strong>
<span class="hint">added ${moment(authenticator.createdAt)}${authenticator.coolOff?.origin === 'recovery' ? ' in a recovery session' : ''}, ${authenticator.lastUsedAt ? html`last used to sign in ${moment(authenticator.lastUsedAt)}` : 'not used to sign in yet'}</span>
${
  coolOff
    ? html`<span class="hint cool-off" data-cap="${coolOff.cap}">Waiting period until ${moment(coolOff.until)}: until then it counts ${coolOff.cap ? html`only as much as the sign-in that added it${cap ? html` (${levelWords(cap)})` : ''}` : 'for nothing'}, because that sign-in proved no more.
Another sign-in method of yours can remove it meanwhile.</span>`
    : ''
}`;
}

export function accountPage(view: {
  username: string;
  /** The level this session's events prove now (those of removed methods no longer count). */
  level?: Level;
  ladder: Ladder;
  authenticators: AuthenticatorRecord[];
  now: number;
  recoveryUntil?: number;
  recoveryCodes?: RecoverySecretSummary;
  notice?: string;
  error?: string;
}): string {
  return layout(
    'Your account',
    html`<h1>${view.username}</h1>
${view.notice ? html`<p class="why" role="status">${view.notice}</p>` : ''}
${errorBox(view.error)}
${
  view.recoveryUntil
    ? html`<p class="why" role="status">You are in a recovery session until ${moment(view.recoveryUntil)}: you can add sign-in methods and remove lost ones. <a href="/account/recovery">What this means</a></p>`
    : ''
}
<dl><dt>Current sign-in level</dt><dd id="level" data-acr="${view.level?.acr ?? ''}">${view.level ? levelWords(view.level) : 'none'}</dd>
<dt>Recovery codes</dt><dd>${view.recoveryCodes ? html`${view.recoveryCodes.remaining} of ${view.recoveryCodes.total} left, made ${moment(view.recoveryCodes.createdAt)}` : 'none yet'}
(<a href="/account/recovery-codes">${view.recoveryCodes ? 'make new ones' : 'make them'}</a>)</dd></dl>
<p class="hint">The level is what this browser has proven with the methods you still have. A new method raises it only once you sign in with it.</p>
<h2>How you sign in</h2>
<ul class="factors">
<li>Password</li>
${view.authenticators.map((authenticator) => html`<li>${describe(authenticator, view.now, view.ladder)}</li>`)}
</ul>
<form method="get" action="/account/passkey"><button type="submit">Add a passkey</button></form>
<form method="get" action="/account/totp"><button type="submit" class="secondary">Set up an authenticator app</button></form>
${view.authenticators.length ? html`<form method="get" action="/account/manage"><button type="submit" class="secondary">Rename or remove sign-in methods</button></form>` : ''}
<p class="hint">Changing how you sign in asks you to prove it's you again first.</p>
<form method="get" action="/session/end"><button type="submit" class="secondary">Sign out</button></form>`,
  );
}

export function passkeyEnrolPage(view: { csrf: string; options: unknown; error?: string }): string {
  return layout(
    'Add a passkey',
    html`<h1>Add a passkey</h1>
<p>A passkey signs you in with your fingerprint, face or device PIN. It only works on this site, so it cannot be phished.</p>
${errorBox(view.error)}
${passkeyForm({
  action: '/account/passkey',
  csrf: view.csrf,
  options: view.options,
  mode: 'register',
  button: 'Create passkey',
  extra: html`<label for="label">Name for this passkey</label>
<input id="label" name="label" type="text" maxlength="64" value="Passkey" required>`,
})}
${passkeyScripts()}
<form method="get" action="/account"><button type="submit" class="cancel">Cancel</button></form>`,
  );
}

export function managePage(view: { csrf: string; authenticators: AuthenticatorRecord[]; now: number; error?: string }): string {
  return layout(
    'Sign-in methods',
    html`<h1>Sign-in methods</h1>
${errorBox(view.error)}
<ul class="factors">
${view.authenticators.map(
  (authenticator) => html`<li class="authenticator">${describe(authenticator, view.now)}
<form method="post" action="/account/authenticators/${authenticator.id}/rename" class="row">
<input type="hidden" name="_csrf" value="${view.csrf}">
<input name="label" type="text" maxlength="64" required value="${authenticator.label}" aria-label="New name for ${authenticator.label}">
<button type="submit" class="secondary">Rename</button>
</form>
<form method="post" action="/account/authenticators/${authenticator.id}/remove">
<input type="hidden" name="_csrf" value="${view.csrf}">
<button type="submit" class="danger">Remove ${authenticator.label}</button>
</form></li>`,
)}
</ul>
<form method="get" action="/account"><button type="submit">Done</button></form>`,
  );
}

function levelName(level: Level | undefined): string {
  return level ? levelWords(level) : 'no level at all';
}

export function manageCheckRemovalPage(view: { csrf: string; authenticator: AuthenticatorRecord; before?: Level; after?: Level }): string {
  return layout(
    'Remove a sign-in method?',
    html`<h1>Remove ${view.authenticator.label}?</h1>
<p class="error" role="alert">This is the last sign-in method that gives your account <strong>${levelName(view.before)}</strong>.
Without it your account only reaches <strong>${levelName(view.after)}</strong>, and applications that require more will refuse you until you add another.</p>
<form method="get" action="/account/manage"><button type="submit" autofocus>Keep it</button></form>
<form method="post" action="/account/authenticators/${view.authenticator.id}/remove" class="destructive">
<input type="hidden" name="_csrf" value="${view.csrf}">
<label class="check"><input type="checkbox" name="confirm" value="lower" required> I understand what I lose</label>
<button type="submit" class="danger">Remove it</button>
</form>`,
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
<form method="get" action="/account"><button type="submit" class="cancel">Cancel</button></form>`,
  );
}
