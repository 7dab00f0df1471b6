// The demo RP's pages: the tokens held, the actions, and the story of the last step-up. Escaped output, no script.
import { html, type SafeHtml } from '../../views/html.ts';
import { tenfold } from './payment.ts';
import { describeMethods } from './story.ts';
import type { ApprovedOperation, Outcome, SignedIn, Story, TokenFacts } from './types.ts';

export interface PageContext {
  csrf: string;
  signedIn?: SignedIn;
  /** The last approved payment's token, for the demo of its refusals. */
  operation?: ApprovedOperation;
  /** Epoch seconds. */
  now: number;
}

function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Demo bank</title>
<link rel="stylesheet" href="/static/demo.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
</head>
<body>
<header><a href="/" class="brand">Demo bank</a> <span class="tag">relying party of the step-up provider</span></header>
<main>
${body}
</main>
</body>
</html>`.value;
}

function when(epoch: number | undefined, now: number): SafeHtml {
  if (epoch === undefined) return html`<em>none</em>`;
  const relative = epoch > now ? `in ${epoch - now} s` : `${now - epoch} s ago`;
  return html`<time datetime="${new Date(epoch * 1000).toISOString()}">${new Date(epoch * 1000).toISOString().replace('.000Z', 'Z')}</time> (${relative})`;
}

function factsList(id: string, facts: TokenFacts, now: number): SafeHtml {
  return html`<dl id="${id}">
<dt>acr</dt><dd data-claim="acr">${facts.acr ?? html`<em>none</em>`}</dd>
<dt>amr</dt><dd data-claim="amr">${facts.amr.length ? facts.amr.join(' ') : html`<em>none</em>`}</dd>
<dt>auth_time</dt><dd data-claim="auth_time" data-value="${facts.authTime ?? ''}">${when(facts.authTime, now)}</dd>
</dl>`;
}

function tokenPanel({ signedIn, now }: PageContext): SafeHtml {
  if (!signedIn) return html`<p>You are not signed in.</p>`;
  return html`<section aria-labelledby="token-heading">
<h2 id="token-heading">The sign-in behind the tokens held</h2>
<p class="hint">From the ID token that came with the access token (the RP treats the access token itself as opaque). Subject <code>${signedIn.sub}</code>.</p>
${factsList('token-now', signedIn.facts, now)}
<p class="hint">Access token expires ${when(signedIn.accessTokenExpiresAt, now)}; it is DPoP-bound (RFC 9449) to a key this app keeps for your session, so it is sent with a fresh proof of that key each time.</p>
</section>`;
}

/** The last payment's token and the two ways to misuse it, each refused by the API. */
function operationPanel({ csrf, operation, now }: PageContext): SafeHtml {
  if (!operation) return html``;
  const { transfer } = operation;
  const bigger = tenfold(transfer);
  return html`<section id="operation" aria-labelledby="operation-heading">
<h2 id="operation-heading">The last payment's token</h2>
<p>It approves exactly one operation, <strong data-approved>${transfer.amount} ${transfer.currency} to ${transfer.creditorName} (${transfer.iban})</strong>, once, until ${when(operation.expiresAt, now)}${operation.used ? html`; <span data-used>the API executed it already</span>` : ''}. Try to misuse it: the API refuses, and this page shows why.</p>
<pre data-authorization-details>${JSON.stringify(operation.details, null, 2)}</pre>
<form method="post" action="/transfer/again"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="secondary">Send the same transfer again with the same token</button></form>
<form method="post" action="/transfer/changed"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="secondary">Send ${bigger.amount} ${bigger.currency} with the token approved for ${transfer.amount} ${transfer.currency}</button></form>
</section>`;
}

function actions({ csrf, signedIn }: PageContext): SafeHtml {
  const signIn = html`<form method="post" action="/login"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit">Sign in</button></form>`;
  return html`<section aria-labelledby="actions-heading">
<h2 id="actions-heading">Call the API</h2>
<p class="hint">The RP does not know what each API route requires: it calls, and follows the API's challenge if there is one.</p>
<p><a class="button" href="/balance">View balance</a></p>
<form method="post" action="/transfer" class="transfer">
<input type="hidden" name="_csrf" value="${csrf}">
<label for="creditorName">To</label>
<input id="creditorName" name="creditorName" type="text" required maxlength="64" value="ACME Ltd">
<label for="iban">IBAN</label>
<input id="iban" name="iban" type="text" required maxlength="42" autocomplete="off" value="DE89370400440532013000">
<label for="amount">Amount (EUR)</label>
<input id="amount" name="amount" type="text" inputmode="decimal" required maxlength="12" value="25.00">
<p class="hint">A transfer is an operation you approve at the provider (RFC 9396 <code>authorization_details</code>): its page shows it, its policy decides the level (a passkey above 100.00 EUR), and the API executes only that transfer, once.</p>
<button type="submit">Transfer</button>
</form>
${signedIn ? html`<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="secondary">Sign out of the demo bank</button></form>` : signIn}
</section>`;
}

export function homePage(page: PageContext): string {
  return layout(
    'Home',
    html`<h1>Demo bank</h1>
<p>Sign in, view your balance, then make a transfer: this app sends it to the provider for you to approve, the provider asks for the step-up the payment needs, and the API executes exactly the approved transfer. When the API asks for more, this app follows its challenge.</p>
${tokenPanel(page)}
${actions(page)}
${operationPanel(page)}`,
  );
}

function askedFor(story: Story): SafeHtml {
  const { acrValues, maxAge, scope } = story.challenge ?? {};
  const parts: SafeHtml[] = [];
  if (acrValues?.length) parts.push(html`level <strong data-asked="acr_values">${acrValues.join(' or ')}</strong>`);
  if (maxAge !== undefined) parts.push(html`an authentication within <strong data-asked="max_age">${maxAge}</strong> seconds`);
  if (scope?.length) parts.push(html`scope <strong data-asked="scope">${scope.join(' ')}</strong>`);
  if (!parts.length) return html`a valid token`;
  return html`${parts.map((part, index) => html`${index ? ' and ' : ''}${part}`)}`;
}

function beforeAfter(story: Story, now: number): SafeHtml {
  if (!story.after) return html``;
  const row = (claim: 'acr' | 'amr' | 'auth_time', show: (facts: TokenFacts) => SafeHtml | string) =>
    html`<tr data-claim="${claim}"><th scope="row">${claim}</th><td data-before>${story.before ? show(story.before) : html`<em>not signed in</em>`}</td><td data-after>${show(story.after!)}</td></tr>`;
  return html`<table id="before-after">
<thead><tr><th scope="col">claim</th><th scope="col">token before</th><th scope="col">token after</th></tr></thead>
<tbody>
${row('acr', (facts) => facts.acr ?? '')}
${row('amr', (facts) => facts.amr.join(' '))}
${row('auth_time', (facts) => html`<span data-value="${facts.authTime ?? ''}">${when(facts.authTime, now)}</span>`)}
</tbody>
</table>`;
}

function storySection(story: Story, now: number): SafeHtml {
  const sent = Object.entries(story.sentWith)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  const provider = story.providerError
    ? html`<li data-step="provider">The provider answered <code data-provider-error>${story.providerError.error}</code>${story.providerError.description ? html`: ${story.providerError.description}` : ''}.</li>`
    : story.proven
      ? html`<li data-step="provider">The provider asked you for <strong data-proven="${story.proven.join(' ')}">${story.proven.length ? describeMethods(story.proven).join(' and ') : 'nothing (your sign-in already met the request)'}</strong>.
<span class="hint">Inferred from the amr the provider reported before and after (the new values; all of them when the old sign-in was older than max_age), not from auth_time, which counts whole seconds. The RP cannot see the provider's decisions; an operator reads them with <code>npm run cli -- audit list --type policy.decision</code>.</span></li>`
      : html``;
  const challenge = story.challenge
    ? html`<li data-step="challenge">The API answered <strong data-status>${story.challenge.status}</strong> and asked for ${askedFor(story)}:
<code class="header" data-challenge>WWW-Authenticate: ${story.challenge.header}</code></li>`
    : html``;
  const operation = story.operation
    ? html`<li data-step="operation">It is a payment: this app asked the provider to have you approve it, as <code>authorization_details</code> (RFC 9396), for a token bound to this app's DPoP key (RFC 9449):
<pre data-sent-operation>${JSON.stringify(story.operation, null, 2)}</pre></li>`
    : html``;
  return html`<section id="story" aria-labelledby="story-heading">
<h2 id="story-heading">What happened</h2>
<ol>
<li data-step="call">You asked to ${story.action}.</li>
${challenge}
${operation}
${
  story.operation && !sent
    ? html`<li data-step="redirect">This app sent you to the provider with the payment and nothing else: the provider's policy decides the level a payment needs.</li>`
    : html`<li data-step="redirect">This app sent you to the provider with <code data-sent>${sent || '(no extra parameters)'}</code>${story.operation ? ' and the payment' : ''}.</li>`
}
${provider}
${story.retry ? html`<li data-step="retry">It called the API ${story.challenge ? 'again ' : ''}with the new token: <strong data-retry-status>${story.retry.status}</strong>.</li>` : ''}
</ol>
${beforeAfter(story, now)}
</section>`;
}

function resultSection(outcome: Outcome): SafeHtml {
  const { result } = outcome;
  if (!result) return html``;
  if (result.kind === 'unreachable') return html`<section id="api-result" data-status="unreachable"><h2>API answer</h2><p class="error">The API could not be reached: ${result.message}</p></section>`;
  if (result.kind === 'challenged') {
    const { status, header, error, errorDescription } = result.challenge;
    return html`<section id="api-result" data-status="${status}"><h2>API answer</h2>
<p class="error">Refused: HTTP ${status}, <code data-refusal-error>${error ?? 'no error code'}</code>${errorDescription ? html`: <span data-refusal-reason>${errorDescription}</span>` : ''}</p>
<p><code class="header">WWW-Authenticate: ${header}</code></p></section>`;
  }
  const ok = result.status >= 200 && result.status < 300;
  return html`<section id="api-result" data-status="${result.status}"><h2>API answer</h2>
<p class="${ok ? 'ok' : 'error'}">${ok ? 'Success' : 'Refused'}: HTTP ${result.status}</p>
<pre>${JSON.stringify(result.body, null, 2)}</pre></section>`;
}

export function resultPage(page: PageContext, outcome: Outcome): string {
  return layout(
    'Result',
    html`<h1>${outcome.action}</h1>
${outcome.stopped ? html`<p class="error" role="alert">${outcome.stopped}</p>` : ''}
${resultSection(outcome)}
${outcome.story ? storySection(outcome.story, page.now) : ''}
${tokenPanel(page)}
${operationPanel(page)}
<p><a href="/">Back to the demo bank</a></p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p class="error" role="alert">${message}</p><p><a href="/">Back to the demo bank</a></p>`);
}
