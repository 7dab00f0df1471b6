// The page frame shared by every server-rendered page: no inline script, one stylesheet.
import { html, type SafeHtml } from './html.ts';

export function layout(title: string, body: SafeHtml): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · Step-up sign-in</title>
<link rel="stylesheet" href="/static/app.css">
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
