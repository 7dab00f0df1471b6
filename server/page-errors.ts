// Turns errors in our routes into a page: 4xx with a clear message, 5xx without internals (logged instead), 503 while storage is down.
import type { Context, Next } from 'koa';
import type { Logger } from './logger.ts';
import { RETRY_AFTER_SECONDS, StorageUnavailableError, isStorageFailure } from './guarded-stores.ts';
import { unavailablePage } from '../views/unavailable-page.ts';
import { html } from '../views/html.ts';
import { layout } from '../views/layout.ts';

export function pageErrors(logger: Logger) {
  return async function handle(ctx: Context, next: Next) {
    try {
      await next();
    } catch (caught) {
      if (isStorageFailure(caught)) return unavailable(ctx, logger, caught);
      const error = caught as { status?: number; statusCode?: number; expose?: boolean; message?: string; error_description?: string; name?: string };
      const status = error.status ?? error.statusCode ?? 500;
      const known = status < 500;
      if (!known) logger.error({ err: caught, path: ctx.path }, 'unhandled error in a page route');
      const message = known
        ? error.name === 'SessionNotFound'
          ? 'This sign-in has expired or was opened in another browser. Go back to the application and start again.'
          : (error.error_description ?? error.message ?? 'Bad request')
        : 'Something went wrong on our side. Try again in a moment.';
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = layout('Error', html`<h1>${known ? 'We could not continue' : 'Server error'}</h1><p class="error" role="alert">${message}</p>`);
    }
    // oidc-provider's own handlers answer its 503s; every 503 tells the client when to come back.
    if (ctx.status === 503 && !ctx.response.get('Retry-After')) ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  };
}

/** Storage down: 503 with the friendly page (these are page routes), or the standard OAuth error body if JSON is preferred. */
function unavailable(ctx: Context, logger: Logger, caught: unknown): void {
  // Guarded stores have logged the cause already; anything else reaching here is logged once, here.
  if (!(caught instanceof StorageUnavailableError)) logger.warn({ err: caught, path: ctx.path }, 'storage unavailable: answering 503');
  ctx.status = 503;
  ctx.set('Retry-After', String(RETRY_AFTER_SECONDS));
  if (ctx.accepts('html', 'json') === 'html') {
    ctx.type = 'html';
    ctx.body = unavailablePage();
  } else {
    ctx.body = { error: 'temporarily_unavailable', error_description: new StorageUnavailableError(caught).error_description };
  }
}
