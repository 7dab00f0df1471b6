// The guard's vocabulary: what a route requires, what a verified token tells, what a check answers.
import type { GuardError } from './errors.ts';
import type { RankedLadder } from './ladder.ts';
import type { ReplayStore } from './replay-store.ts';

/** One RFC 9396 authorization details object, as the token carries it: a `type` and the fields that type defines. */
export interface AuthorizationDetail {
  type: string;
  [field: string]: unknown;
}

/** What the guard needs to know about an HTTP request; the koa and Node layers fill it in. */
export interface GuardRequest {
  /** The `Authorization` header. */
  authorization?: string;
  /** The `DPoP` header (RFC 9449 §4.1); several values (an array, or values joined with commas) are refused. */
  dpop?: string | readonly string[];
  /** The HTTP method, e.g. `POST`: a DPoP proof's `htm`. */
  method?: string;
  /** The request's URL, absolute (its origin is replaced by the guard's `origin` option when set): a DPoP proof's `htu`. */
  url?: string;
  /** The parsed request body (mount a body parser before the guard), for operation matchers. */
  body?: unknown;
}

/**
 * The RFC 9396 operation a route performs: the token must carry an authorization detail of this `type` that approves
 * the request. `fields` (declarative) names values taken from the request that the detail must contain, e.g.
 * `(request) => ({ instructedAmount: { amount: request.body.amount, currency: 'EUR' } })`; `match` decides in code.
 * With both, both must hold; with neither, any detail of the type approves the request.
 */
export interface OperationRequirement {
  type: string;
  fields?: (request: GuardRequest) => Record<string, unknown>;
  match?: (detail: AuthorizationDetail, request: GuardRequest) => boolean;
}

/** What a route needs. Every field is optional; `{}` accepts any valid token. */
export interface Requirement {
  /** The lowest acceptable level: this acr or any higher one on the ladder satisfies the route. */
  acr?: string;
  /** Seconds: the user must have authenticated at most this long ago (`auth_time`). */
  maxAge?: number;
  /** Scopes the token must all carry. */
  scope?: string | readonly string[];
  /** The RFC 9396 operation the route performs; a token that does not approve it gets 403 insufficient_authorization_details. */
  operation?: OperationRequirement;
  /** Accept each token once on this route (by its `jti`), until it expires; a second use gets 401 invalid_token. */
  singleUse?: boolean;
  /** Accept only DPoP-bound tokens (RFC 9449), with their proof. Tokens bound with `cnf.jkt` need their proof anyway. */
  dpop?: boolean;
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
  /** RFC 9396: the operations the token approves (`authorization_details`), as the provider issued them. */
  authorizationDetails?: AuthorizationDetail[];
  /** The one of them that approved this request, when the route declares an `operation`. */
  operation?: AuthorizationDetail;
  /** RFC 9449: the thumbprint (`cnf.jkt`) of the key the token is bound to; its proof was checked. */
  jkt?: string;
  /** Every claim, as verified (JWT) or as the provider described it (introspection). */
  claims: Readonly<Record<string, unknown>>;
}

export type GuardResult =
  | {
      ok: true;
      token: VerifiedToken;
      /** Response headers to send with the API's answer: `DPoP-Nonce` when the guard hands out nonces; usually none. */
      headers: Record<string, string>;
    }
  | {
      ok: false;
      status: 400 | 401 | 403 | 503;
      error: GuardError;
      /** `WWW-Authenticate` for 400/401/403 (and `DPoP-Nonce` with nonces), `Retry-After` for 503; both layers send them all. */
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

/** RFC 9449 proofs of possession, for DPoP-bound tokens. */
export interface DpopOptions {
  /** JWS algorithms accepted for proofs (asymmetric only). Default ['ES256', 'EdDSA', 'PS256', 'RS256']. */
  algorithms?: readonly string[];
  /** Seconds a proof is accepted after its `iat`. Default 60. */
  maxAge?: number;
  /** Seconds a proof's `iat` may lie in the future (client clock ahead). Default 5. */
  futureSkew?: number;
  /** Require DPoP-bound tokens on every route. Default false (each route may ask with `dpop: true`). */
  required?: boolean;
  /**
   * Require server-provided nonces (RFC 9449 §9), derived from this secret (at least 32 bytes; the same on every instance
   * of the API). A proof without a current nonce gets 401 `use_dpop_nonce` and a `DPoP-Nonce` header. Default: no nonces.
   */
  nonceSecret?: string | Uint8Array;
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
  /** DPoP proof checks. */
  dpop?: DpopOptions;
  /** The API's external origin (`https://api.example.com`), what clients put in a DPoP proof's `htu`; set it behind a proxy. */
  origin?: string;
  /** Where single-use tokens and DPoP proof jtis are remembered. Default: in memory, 100 000 entries. */
  replayStore?: ReplayStore;
}
