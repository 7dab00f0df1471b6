// Assembles the demo RP: security headers, sessions, form parsing, CSRF, routes, a stylesheet and an icon.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import Koa, { type Context, type Next } from 'koa';
import { bodyParser } from '@koa/bodyparser';
import type { DemoConfig } from '../config.ts';
import { providerClient } from './provider-client.ts';
import { rpRoutes } from './routes.ts';
import { backchannelLogout } from './backchannel-logout.ts';
import { csrfProtection, sessions, SessionStore } from './sessions.ts';
import { messagePage } from './views.ts';

/** The only files served: the stylesheet and the icon (also at /favicon.ico, which browsers ask for on their own). */
const ASSETS: Record<string, { type: string; body: Buffer }> = {
  '/static/demo.css': { type: 'text/css; charset=utf-8', body: readFileSync(new URL('./static/demo.css', import.meta.url)) },
  '/static/favicon.svg': { type: 'image/svg+xml', body: readFileSync(new URL('./static/favicon.svg', import.meta.url)) },
  '/favicon.ico': { type: 'image/svg+xml', body: readFileSync(new URL('./static/favicon.svg', import.meta.url)) },
};

/** No script at all; forms post here, and a form's redirect may lead to the provider. */
function pageHeaders(issuer: string) {
  const csp = ["default-src 'none'", "style-src 'self'", "img-src 'self'", `form-action 'self' ${new URL(issuer).origin}`, "frame-ancestors 'none'", "base-uri 'none'"].join('; ');
  return async function headers(ctx: Context, next: Next) {
    await next();
    ctx.set('Content-Security-Policy', csp);
    ctx.set('X-Frame-Options', 'DENY');
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'no-referrer');
    if (!Object.hasOwn(ASSETS, ctx.path)) ctx.set('Cache-Control', 'no-store');
  };
}

function errorPages(log: (message: string) => void) {
  return async function errors(ctx: Context, next: Next) {
    try {
      await next();
    } catch (error) {
      log(`demo RP error on ${ctx.method} ${ctx.path}: ${(error as Error).message}`);
      ctx.status = 502;
      ctx.type = 'html';
      ctx.body = messagePage('Something went wrong', 'The provider or the API did not answer as expected. Check that all three demo processes run, then try again.');
    }
  };
}

export function createRpApp(config: DemoConfig, log: (message: string) => void = console.error): Koa {
  const app = new Koa();
  app.keys = [randomBytes(32).toString('base64url')];
  const secure = config.rpUrl.startsWith('https://');
  const store = new SessionStore();
  const provider = providerClient(config);
  const router = rpRoutes({ config, provider });
  const logout = backchannelLogout({ configuration: provider.configuration, clientId: config.clientId, store });
  app.use(pageHeaders(config.issuer));
  app.use(errorPages(log));
  app.use(async (ctx, next) => {
    const asset = (ctx.method === 'GET' || ctx.method === 'HEAD') && Object.hasOwn(ASSETS, ctx.path) ? ASSETS[ctx.path] : undefined;
    if (!asset) return next();
    ctx.type = asset.type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = asset.body;
  });
  app.use(bodyParser({ enableTypes: ['form'], formLimit: '16kb' }));
  // The provider's back channel: no browser session, no CSRF token; the signed logout token is the proof.
  app.use(async (ctx, next) => (ctx.method === 'POST' && ctx.path === '/backchannel-logout' ? logout(ctx) : next()));
  app.use(sessions(store, secure));
  app.use(csrfProtection);
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
