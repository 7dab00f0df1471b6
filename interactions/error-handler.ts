// Turns errors in our routes into a page: 4xx with a clear message, 5xx without internals (logged instead).
import type { Context, Next } from 'koa';
import type { Logger } from '../server/logger.ts';
import { html } from './views/html.ts';
import { layout } from './views/layout.ts';

export function pageErrors(logger: Logger) {
  return async function handle(ctx: Context, next: Next) {
    try {
      await next();
    } catch (caught) {
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
  };
}
