// The test browsers' one cookie jar: tough-cookie keeps each cookie per host, path, expiry and Secure, as a browser does.
import { Cookie, CookieJar as ToughCookieJar } from 'tough-cookie';

/** One cookie in the jar and where it applies: enough to put it back, or into another jar, as the server set it. */
export interface StoredCookie {
  readonly name: string;
  readonly value: string;
  readonly domain: string;
  /** Sent to this host only (no Domain attribute), as every cookie of ours is. */
  readonly hostOnly: boolean;
  readonly path: string;
  readonly secure: boolean;
  readonly httpOnly: boolean;
  readonly sameSite?: string;
  /** Absent for a session cookie. */
  readonly expires?: Date;
}

export class CookieJar {
  private readonly jar = new ToughCookieJar();
  /** When each cookie (by host, path and name) was last set: of several cookies with one name, the newest comes first. */
  private readonly setAt = new Map<string, number>();
  private sets = 0;
  /** Where the server last set each name, kept after it deleted the cookie, so a kept value can be replayed there. */
  private readonly places = new Map<string, Omit<StoredCookie, 'value' | 'expires'>>();

  /** Keeps a response's Set-Cookie lines as a browser that requested `url` would (a line a browser refuses is dropped). */
  store(url: string | URL, setCookies: readonly string[]): void {
    for (const line of setCookies) {
      const cookie = this.jar.setCookieSync(line, String(url), { ignoreError: true });
      if (cookie) this.remember(view(cookie));
    }
  }

  private remember(cookie: StoredCookie): void {
    this.setAt.set(keyOf(cookie), (this.sets += 1));
    const { value: _value, expires: _expires, ...place } = cookie;
    this.places.set(cookie.name, place);
  }

  /** The Cookie header a browser sends with a request to `url`: matching host, path, Secure, and not expired. */
  header(url: string | URL): string {
    return this.jar.getCookieStringSync(String(url));
  }

  /** Every live cookie (called `name`, when given), the most recently set first. */
  all(name?: string): StoredCookie[] {
    const now = Date.now();
    return (this.jar.serializeSync()?.cookies ?? [])
      .map((json) => Cookie.fromJSON(json))
      .filter((cookie): cookie is Cookie => cookie !== undefined && (name === undefined || cookie.key === name) && cookie.TTL(now) > 0)
      .map(view)
      .sort((a, b) => (this.setAt.get(keyOf(b)) ?? 0) - (this.setAt.get(keyOf(a)) ?? 0));
  }

  /** The most recently set live cookie called `name`. */
  get(name: string): StoredCookie | undefined {
    return this.all(name)[0];
  }

  /** Where the server last set `name` in this jar, even if it has deleted the cookie since. */
  placeOf(name: string): Omit<StoredCookie, 'value' | 'expires'> | undefined {
    return this.places.get(name);
  }

  /** Puts a cookie in as its server set it: a cookie kept and replayed, or stolen from another jar. */
  put(cookie: StoredCookie): void {
    const tough = new Cookie({
      key: cookie.name,
      value: cookie.value,
      domain: cookie.hostOnly ? null : cookie.domain,
      path: cookie.path,
      secure: cookie.secure,
      httpOnly: cookie.httpOnly,
      sameSite: cookie.sameSite,
      expires: cookie.expires ?? 'Infinity',
    });
    const stored = this.jar.setCookieSync(tough, `https://${cookie.domain}${cookie.path}`);
    if (!stored) throw new Error(`the jar refused the cookie ${cookie.name} for ${cookie.domain}${cookie.path}`);
    this.remember(view(stored));
  }

  /** Drops every cookie: a new browser profile. */
  clear(): void {
    this.jar.removeAllCookiesSync();
    this.setAt.clear();
    this.places.clear();
  }
}

function view(cookie: Cookie): StoredCookie {
  const expiry = cookie.expiryTime();
  return {
    name: cookie.key,
    value: cookie.value,
    domain: cookie.domain ?? '',
    hostOnly: cookie.hostOnly !== false,
    path: cookie.path ?? '/',
    secure: cookie.secure,
    httpOnly: cookie.httpOnly,
    sameSite: cookie.sameSite,
    expires: expiry === undefined || expiry === Infinity ? undefined : new Date(expiry),
  };
}

const keyOf = (cookie: StoredCookie) => `${cookie.domain};${cookie.path};${cookie.name}`;
