// Serves the few static assets the pages use, from memory, with long-lived caching.
import { readFileSync } from 'node:fs';
import Router from '@koa/router';

const ASSETS: Record<string, { type: string; file: URL }> = {
  'app.css': { type: 'text/css; charset=utf-8', file: new URL('./static/app.css', import.meta.url) },
};

export function staticRoutes(): Router {
  const router = new Router();
  const loaded = new Map(Object.entries(ASSETS).map(([name, asset]) => [name, { type: asset.type, body: readFileSync(asset.file) }]));
  router.get('/static/:name', (ctx) => {
    const asset = loaded.get(ctx.params.name!);
    if (!asset) return ctx.throw(404);
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.body = asset.body;
  });
  return router;
}
