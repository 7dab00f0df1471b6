// A form that runs a passkey ceremony (script in /static/webauthn.js) and posts the browser's answer.
import { html, trusted, type SafeHtml } from './html.ts';

/** JSON inside a script element: `<` is escaped so the data can never close the element. */
function jsonData(id: string, value: unknown): SafeHtml {
  return trusted(`<script type="application/json" id="${id}">${JSON.stringify(value).replace(/</g, '\\u003c')}</script>`);
}

export function passkeyForm(props: {
  action: string;
  csrf: string;
  options: unknown;
  mode: 'authenticate' | 'register';
  button: string;
  autofill?: boolean;
  secondary?: boolean;
  extra?: SafeHtml;
}): SafeHtml {
  return html`${jsonData('passkey-options', props.options)}
<form method="post" action="${props.action}" data-passkey="${props.mode}" data-options="passkey-options"${props.autofill ? html` data-autofill="true"` : ''}>
<input type="hidden" name="_csrf" value="${props.csrf}">
<input type="hidden" name="response" value="">
${props.extra ?? ''}
<p class="error" role="alert" data-passkey-error hidden></p>
<button type="submit"${props.secondary ? html` class="secondary"` : ''}>${props.button}</button>
</form>`;
}

export function passkeyScripts(): SafeHtml {
  return html`<script src="/static/simplewebauthn-browser.js" defer></script>
<script src="/static/webauthn.js" defer></script>`;
}
