// Every cookie's attributes, with one decision on Secure: cookies are Secure exactly when the issuer is https.

/** The options the `cookies` package (koa's ctx.cookies, oidc-provider's cookies) takes for each cookie we set. */
export interface CookieOptions {
  signed: true;
  httpOnly: true;
  sameSite: 'lax' | 'strict';
  secure: boolean;
  path?: string;
  /** Milliseconds. */
  maxAge?: number;
}

/**
 * An https issuer means browsers reach us over TLS (a proxy in front terminates it), so cookies can and must be
 * Secure; an http issuer (development) cannot carry them. Production refuses an http issuer (config/index.ts).
 */
export function secureCookies(config: { issuer: string }): boolean {
  return config.issuer.startsWith('https://');
}

/** Signed, HttpOnly, SameSite=Lax (it must survive the redirect back from an application), Secure behind https. */
export function cookieOptions(config: { issuer: string }, overrides: Partial<Pick<CookieOptions, 'sameSite' | 'path' | 'maxAge'>> = {}): CookieOptions {
  return { signed: true, httpOnly: true, sameSite: 'lax', secure: secureCookies(config), ...overrides };
}
