// The demo RP's pages: the tokens held, the actions, and the story of the last step-up. Escaped output, no script.
import { html, type SafeHtml } from '../../views/html.ts';
import { describeMethods } from './story.ts';
import type { Outcome, SignedIn, Story, TokenFacts } from './types.ts';

export interface PageContext {
  csrf: string;
  signedIn?: SignedIn;
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
<p class="hint">Access token expires ${when(signedIn.accessTokenExpiresAt, now)}.</p>
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
<label for="to">To</label>
<input id="to" name="to" type="text" required maxlength="64" value="bob">
<label for="amount">Amount (EUR)</label>
<input id="amount" name="amount" type="text" inputmode="decimal" required maxlength="12" value="25.00">
<button type="submit">Transfer</button>
</form>
${signedIn ? html`<form method="post" action="/logout"><input type="hidden" name="_csrf" value="${csrf}"><button type="submit" class="secondary">Sign out of the demo bank</button></form>` : signIn}
</section>`;
}

export function homePage(page: PageContext): string {
  return layout(
    'Home',
    html`<h1>Demo bank</h1>
<p>Sign in, view your balance, then make a transfer: the API asks for a stronger, recent sign-in, and this app sends you to the provider for exactly that step-up.</p>
${tokenPanel(page)}
${actions(page)}`,
  );
}

function askedFor(story: Story): SafeHtml {
  const { acrValues, maxAge, scope } = story.challenge;
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
  return html`<section id="story" aria-labelledby="story-heading">
<h2 id="story-heading">What happened</h2>
<ol>
<li data-step="call">You asked to ${story.action}.</li>
<li data-step="challenge">The API answered <strong data-status>${story.challenge.status}</strong> and asked for ${askedFor(story)}:
<code class="header" data-challenge>WWW-Authenticate: ${story.challenge.header}</code></li>
<li data-step="redirect">This app sent you to the provider with <code data-sent>${sent || '(no extra parameters)'}</code>.</li>
${provider}
${story.retry ? html`<li data-step="retry">It called the API again with the new token: <strong data-retry-status>${story.retry.status}</strong>.</li>` : ''}
</ol>
${beforeAfter(story, now)}
</section>`;
}

function resultSection(outcome: Outcome): SafeHtml {
  const { result } = outcome;
  if (!result) return html``;
  if (result.kind === 'unreachable') return html`<section id="api-result" data-status="unreachable"><h2>API answer</h2><p class="error">The API could not be reached: ${result.message}</p></section>`;
  if (result.kind === 'challenged') {
    return html`<section id="api-result" data-status="${result.challenge.status}"><h2>API answer</h2>
<p class="error">${result.challenge.status}: <code>WWW-Authenticate: ${result.challenge.header}</code></p></section>`;
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
<p><a href="/">Back to the demo bank</a></p>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, html`<h1>${title}</h1><p class="error" role="alert">${message}</p><p><a href="/">Back to the demo bank</a></p>`);
}
