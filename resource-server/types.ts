// The guard's vocabulary: what a route requires, what a verified token tells, what a check answers.
import type { GuardError } from './errors.ts';
import type { RankedLadder } from './ladder.ts';

/** What a route needs. Every field is optional; `{}` accepts any valid token. */
export interface Requirement {
  /** The lowest acceptable level: this acr or any higher one on the ladder satisfies the route. */
  acr?: string;
  /** Seconds: the user must have authenticated at most this long ago (`auth_time`). */
  maxAge?: number;
  /** Scopes the token must all carry. */
  scope?: string | readonly string[];
}

/** A valid access token, whichever way it was checked. Times are epoch seconds. */
export interface VerifiedToken {
  format: 'jwt' | 'introspected';
  sub: string;
  clientId: string;
  scopes: string[];
  acr?: string;
  amr?: string[];
  authTime?: number;
  exp: number;
  /** Every claim, as verified (JWT) or as the provider described it (introspection). */
  claims: Readonly<Record<string, unknown>>;
}

export type GuardResult =
  | { ok: true; token: VerifiedToken }
  | {
      ok: false;
      status: 400 | 401 | 403 | 503;
      error: GuardError;
      /** `WWW-Authenticate` for 400/401/403, `Retry-After` for 503. */
      headers: Record<string, string>;
      /** A JSON body for the response: the standard error and a description. */
      body: { error?: string; error_description: string };
    };

export interface IntrospectionOptions {
  /** The resource server's own client registration (`client add --resource-server`). */
  clientId: string;
  clientSecret: string;
  /** Defaults to discovery's `introspection_endpoint`. */
  endpoint?: string;
  /** Seconds an answer is reused (never past the token's `exp`). Default 30. */
  cacheTtl?: number;
  /** Answers kept at most; the least recently used go first. Default 1000. */
  cacheSize?: number;
  /** Refuse tokens whose introspection carries no `aud` (this provider's opaque tokens have none). Default false. */
  requireAudience?: boolean;
}

export interface GuardOptions {
  /** The provider's issuer identifier, exactly as in its discovery document. */
  issuer: string;
  /** This API's resource indicator: the `aud` its access tokens must carry. */
  audience: string;
  /** Levels by rank, or acr values in ascending order; defaults to discovery's `acr_values_supported`. */
  ladder?: RankedLadder | readonly string[];
  /** Defaults to discovery's `jwks_uri`. */
  jwksUri?: string;
  /** Accept opaque tokens by asking the provider (RFC 7662). Without this, only JWT access tokens pass. */
  introspection?: IntrospectionOptions;
  /** JWS algorithms accepted; default ['ES256'] (what this provider signs access tokens with). */
  algorithms?: readonly string[];
  /** Seconds of clock skew tolerated for exp, nbf and auth_time. Default 5. */
  clockTolerance?: number;
  /** `realm` in every challenge. When absent, a challenge with nothing else to say carries the audience. */
  realm?: string;
  /** Epoch seconds; injectable for tests. */
  now?: () => number;
  /** Milliseconds an HTTP call to the provider may take. Default 5000. */
  timeout?: number;
  /** Milliseconds after a JWKS fetch during which an unknown `kid` does not refetch. Default 30000. */
  jwksCooldown?: number;
}
