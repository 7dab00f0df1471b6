// The page frame shared by every server-rendered page: no inline script, one stylesheet, the icon, times in the reader's zone.
import { html, type SafeHtml } from './html.ts';

export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Step-up sign-in</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<script src="/static/local-time.js" defer></script>
</head>
<body>
<main class="card">
<p class="brand">Step-up sign-in</p>
${body}
</main>
</body>
</html>`.value;
}

export function errorBox(message: string | undefined): SafeHtml {
  return html`${message ? html`<p class="error" role="alert" id="form-error">${message}</p>` : ''}`;
}
