// Server-side sessions for the demo RP: a random id in a signed cookie, the data in a bounded in-memory map.
import { randomBytes } from 'node:crypto';
import Tokens from 'csrf';
import type { Context, Next } from 'koa';
import type { DPoPHandle } from 'openid-client';
import type { ApprovedOperation, PendingLogin, SignedIn, Outcome } from './types.ts';

export interface Session {
  id: string;
  /** Secret from which the CSRF token of every form is derived. */
  csrfSecret: string;
  /** Epoch seconds of the last request, for expiry. */
  seenAt: number;
  signedIn?: SignedIn;
  /** The session's DPoP key (RFC 9449), made at its first sign-in: every token of this session is bound to it. */
  dpop?: DPoPHandle;
  /** The last approved operation's token, for the demo of its refusals. */
  operation?: ApprovedOperation;
  /** The authorization request in flight: one at a time. */
  pending?: PendingLogin;
  /** The last action's outcome, shown once on /result (post/redirect/get). */
  last?: Outcome;
}

export interface SessionState {
  session: Session;
}

/** Different from every provider cookie: on localhost, cookies are shared across ports. */
const SESSION_COOKIE = 'demo_rp_sid';
const MAX_SESSIONS = 1000;
const IDLE_SECONDS = 3600;
const tokens = new Tokens();

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  find(id: string | undefined, now: number): Session | undefined {
    const session = id ? this.sessions.get(id) : undefined;
    if (!session) return undefined;
    this.sessions.delete(session.id);
    if (now - session.seenAt > IDLE_SECONDS) return undefined;
    session.seenAt = now;
    this.sessions.set(session.id, session);
    return session;
  }

  create(now: number): Session {
    const session: Session = { id: randomBytes(24).toString('base64url'), csrfSecret: tokens.secretSync(), seenAt: now };
    this.sessions.set(session.id, session);
    while (this.sessions.size > MAX_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!);
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /** Signs out every session matching `predicate` (back-channel logout); how many. */
  dropWhere(predicate: (session: Session) => boolean): number {
    let dropped = 0;
    for (const session of this.sessions.values()) {
      if (!predicate(session)) continue;
      session.signedIn = undefined;
      session.pending = undefined;
      session.operation = undefined;
      dropped += 1;
    }
    return dropped;
  }
}

export function sessions(store: SessionStore, secure: boolean) {
  return async function session(ctx: Context, next: Next) {
    const now = Math.floor(Date.now() / 1000);
    let current = store.find(ctx.cookies.get(SESSION_COOKIE, { signed: true }), now);
    if (!current) {
      current = store.create(now);
      ctx.cookies.set(SESSION_COOKIE, current.id, { signed: true, httpOnly: true, sameSite: 'lax', secure, path: '/' });
    }
    (ctx.state as SessionState).session = current;
    await next();
  };
}

/** Every POST must carry the session's CSRF token; pages get a fresh token in ctx.state.csrf. */
export async function csrfProtection(ctx: Context, next: Next) {
  const { session } = ctx.state as SessionState;
  if (ctx.method === 'POST') {
    const token = (ctx.request.body as Record<string, unknown> | undefined)?._csrf;
    if (typeof token !== 'string' || !tokens.verify(session.csrfSecret, token)) {
      ctx.status = 403;
      ctx.type = 'text';
      ctx.body = 'The form expired or came from another site. Go back, reload the page and try again.';
      return;
    }
  }
  ctx.state.csrf = tokens.create(session.csrfSecret);
  await next();
}
