// Opaque access tokens through RFC 7662 introspection, with a short, bounded cache keyed by the token's hash.
import { createHash } from 'node:crypto';
import { GuardError } from './errors.ts';
import { BoundedCache } from './bounded-cache.ts';

export interface IntrospectorOptions {
  clientId: string;
  clientSecret: string;
  endpoint: () => Promise<string>;
  /** Seconds. */
  cacheTtl: number;
  cacheSize: number;
  /** Milliseconds. */
  timeout: number;
}

type Answer = Record<string, unknown>;

function unavailable(message: string, cause?: unknown): GuardError {
  return new GuardError('provider_unavailable', `token introspection is unavailable (${message})`, { cause });
}

/** RFC 6749 §2.3.1: client_secret_basic encodes id and secret as form values before base64. */
function basicAuth(clientId: string, clientSecret: string): string {
  const form = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${form(clientId)}:${form(clientSecret)}`).toString('base64')}`;
}

export function introspector(options: IntrospectorOptions) {
  const cache = new BoundedCache<Answer>(options.cacheSize);
  const inFlight = new Map<string, Promise<Answer>>();
  const authorization = basicAuth(options.clientId, options.clientSecret);

  async function ask(token: string): Promise<Answer> {
    const endpoint = await options.endpoint();
    let body: unknown;
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
        redirect: 'manual',
        signal: AbortSignal.timeout(options.timeout),
      });
      if (response.status !== 200) throw unavailable(`the endpoint answered ${response.status}`);
      body = await response.json();
    } catch (error) {
      throw error instanceof GuardError ? error : unavailable((error as Error).message, error);
    }
    if (typeof body !== 'object' || body === null || typeof (body as Answer).active !== 'boolean') throw unavailable('the answer is not an introspection response');
    return body as Answer;
  }

  /** The provider's answer about `token`, from the cache when it is recent enough. */
  return async function introspect(token: string, now: number): Promise<Answer> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cached = cache.get(key, now);
    if (cached) return cached;
    let pending = inFlight.get(key);
    if (!pending) {
      pending = ask(token).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
    }
    const answer = await pending;
    const exp = typeof answer.exp === 'number' ? answer.exp : Infinity;
    // A cached "active" never outlives the token; an "inactive" is kept as briefly, to absorb retries of a bad token.
    cache.set(key, answer, Math.min(now + options.cacheTtl, answer.active === true ? exp : Infinity));
    return answer;
  };
}

/** RFC 7662 §2.2 answer checks: active, a bearer access token, from our issuer, for us. */
export function checkIntrospection(answer: Answer, expected: { issuer: string; audience: string; requireAudience: boolean }): void {
  if (answer.active !== true) throw new GuardError('token_inactive', 'the access token is not active (expired, revoked or unknown)');
  // oidc-provider gives refresh tokens no token_type: only an access token, Bearer or DPoP-bound (RFC 9449 §6.2), is accepted.
  const type = typeof answer.token_type === 'string' ? answer.token_type.toLowerCase() : undefined;
  if (type !== 'bearer' && type !== 'dpop') throw new GuardError('token_type_invalid', 'the token is not an access token');
  const cnf = answer.cnf as { jkt?: unknown } | undefined;
  if (type === 'dpop' && typeof cnf?.jkt !== 'string') throw new GuardError('token_claims_invalid', 'the token is of type DPoP and names no key (cnf.jkt)');
  if (answer.iss !== undefined && answer.iss !== expected.issuer) throw new GuardError('token_issuer_invalid', 'the token was issued by another authorization server');
  const aud = answer.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : [];
  if (aud !== undefined ? !audiences.includes(expected.audience) : expected.requireAudience) {
    throw new GuardError('token_audience_invalid', 'the token is not meant for this API (aud)');
  }
}
