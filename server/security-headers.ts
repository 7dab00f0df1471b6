// Security headers for every response, set before anything runs so error pages, oidc-provider's own pages
// (errors, logout, form_post) and our routes all carry them: no framing, no sniffing, no referrer, scripts and
// styles only from us, and nothing cached unless a route says otherwise (the static assets do).
import type { Context, Next } from 'koa';

const CSP = ["default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "frame-ancestors 'none'", "base-uri 'none'", "object-src 'none'"].join('; ');

export async function securityHeaders(ctx: Context, next: Next) {
  // oidc-provider adds the hash of its form_post script to this script-src (lib/helpers/script_src_sha.js).
  ctx.set('Content-Security-Policy', CSP);
  ctx.set('X-Frame-Options', 'DENY');
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Referrer-Policy', 'no-referrer');
  ctx.set('Cache-Control', 'no-store');
  await next();
  // RFC 6749 §5.1: token responses carry Pragma: no-cache next to no-store, for HTTP/1.0 caches.
  if (ctx.response.get('Cache-Control') === 'no-store') ctx.set('Pragma', 'no-cache');
}
