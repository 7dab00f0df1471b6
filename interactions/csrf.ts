// CSRF protection for every form: a per-browser secret in a signed cookie, a token in each form.
import Tokens from 'csrf';
import type { Context, Next } from 'koa';
import type { CookieOptions } from '../config/cookies.ts';

const tokens = new Tokens();
const COOKIE = 'stepup.csrf';

interface CsrfState {
  csrf: string;
}

/** `cookie`: the attributes of the secret's cookie (config/cookies.ts). */
export function csrfProtection(cookie: CookieOptions) {
  return async function csrf(ctx: Context, next: Next) {
    let secret = ctx.cookies.get(COOKIE, { signed: true });
    if (!secret) {
      secret = tokens.secretSync();
      ctx.cookies.set(COOKIE, secret, cookie);
    }
    if (ctx.method === 'POST') {
      const token = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
      if (typeof token !== 'string' || !tokens.verify(secret, token)) {
        ctx.status = 403;
        ctx.type = 'text';
        ctx.body = 'The form expired or came from another site. Go back, reload the page and try again.';
        return;
      }
    }
    (ctx.state as CsrfState).csrf = tokens.create(secret);
    await next();
  };
}
