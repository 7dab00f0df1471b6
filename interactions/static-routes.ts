// Serves the few static assets the pages use, from memory, with long-lived caching.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';

const require = createRequire(import.meta.url);

const ASSETS: Record<string, { type: string; file: string | URL }> = {
  'app.css': { type: 'text/css; charset=utf-8', file: new URL('./static/app.css', import.meta.url) },
  'webauthn.js': { type: 'text/javascript; charset=utf-8', file: new URL('./static/webauthn.js', import.meta.url) },
  'print.js': { type: 'text/javascript; charset=utf-8', file: new URL('./static/print.js', import.meta.url) },
  'local-time.js': { type: 'text/javascript; charset=utf-8', file: new URL('./static/local-time.js', import.meta.url) },
  'favicon.svg': { type: 'image/svg+xml', file: new URL('./static/favicon.svg', import.meta.url) },
  // Served from the installed package: no CDN.
  'simplewebauthn-browser.js': { type: 'text/javascript; charset=utf-8', file: join(dirname(require.resolve('@simplewebauthn/browser')), '..', 'dist/bundle/index.umd.min.js') },
};

export function staticRoutes(): Router {
  const router = new Router();
  const loaded = new Map(Object.entries(ASSETS).map(([name, asset]) => [name, { type: asset.type, body: readFileSync(asset.file) }]));
  const serve = (name: string) => (ctx: Context) => {
    const asset = loaded.get(name);
    if (!asset) return ctx.throw(404);
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = asset.body;
  };
  router.get('/static/:name', (ctx) => serve(ctx.params.name!)(ctx));
  // Browsers ask for /favicon.ico on their own (oidc-provider's pages have no icon link): the SVG answers it.
  router.get('/favicon.ico', serve('favicon.svg'));
  return router;
}
