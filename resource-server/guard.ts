// The framework-free guard: verify the access token (and its DPoP proof), check the route's requirement and operation,
// consume a single-use token, answer with a result or a challenge.
import { approvedOperation } from './authorization-details.ts';
import { credentials } from './authorization-header.ts';
import { dpopNonces, nonceSecret } from './dpop-nonce.ts';
import { checkRequirement } from './check-requirement.ts';
import { GuardConfigError, GuardError } from './errors.ts';
import { checkIntrospection, introspector } from './introspection.ts';
import { jwtVerifier, looksLikeJwt } from './jwt-verifier.ts';
import { acceptedAcrValues, checkLadder, ladderFromAcrValues, levelOf, type RankedLadder } from './ladder.ts';
import { providerMetadata } from './provider-metadata.ts';
import { memoryReplayStore } from './replay-store.ts';
import { routeRequirement, type RouteRequirement } from './requirement.ts';
import { checkOrigin, senderBinding } from './sender-binding.ts';
import { consumeToken } from './single-use.ts';
import { verifiedToken } from './token-claims.ts';
import type { GuardOptions, GuardRequest, GuardResult, Requirement, VerifiedToken } from './types.ts';
import { bearerChallenge, dpopChallenge, isVisibleToken } from './www-authenticate.ts';

/** The request: its parts (needed for DPoP and operations), or just the `Authorization` header value. */
export type GuardInput = GuardRequest | string | undefined;

export interface Guard {
  /** The one check: the request (or its `Authorization` header value) against a requirement. */
  check(request: GuardInput, requirement?: Requirement): Promise<GuardResult>;
  /** The same check with the requirement validated once: what middleware calls per request. */
  protect(requirement?: Requirement): (request: GuardInput) => Promise<GuardResult>;
  /** Loads discovery and the ladder now (otherwise on first use); throws GuardError when the provider is unavailable. */
  ready(): Promise<RankedLadder>;
}

const DEFAULTS = {
  algorithms: ['ES256'],
  clockTolerance: 5,
  timeout: 5000,
  jwksCooldown: 30_000,
  cacheTtl: 30,
  cacheSize: 1000,
  dpopAlgorithms: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'PS256', 'RS256'],
  dpopMaxAge: 60,
  dpopFutureSkew: 5,
};
/** Seconds a client should wait before retrying when the provider cannot be reached. */
const RETRY_AFTER = 5;

function systemNow(): number {
  return Math.floor(Date.now() / 1000);
}

function checkAlgorithms(name: string, algorithms: readonly string[] | undefined): void {
  if (algorithms?.length === 0) throw new GuardConfigError(`${name} must name at least one JWS algorithm`);
  if (algorithms?.some((alg) => alg === 'none' || alg.startsWith('HS') || !isVisibleToken(alg))) {
    throw new GuardConfigError(`${name} must be asymmetric: "none" and HMAC cannot be verified with public keys`);
  }
}

function checkSeconds(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) throw new GuardConfigError(`${name} must be a non-negative whole number of seconds, got ${value}`);
}

function checkOptions(options: GuardOptions): void {
  for (const name of ['issuer', 'audience'] as const) {
    if (typeof options[name] !== 'string' || options[name] === '') throw new GuardConfigError(`the guard needs an ${name}`);
  }
  if (options.realm !== undefined && /[^\x20-\x7E]/.test(options.realm)) throw new GuardConfigError('realm must be printable ASCII');
  if (!isVisibleToken(options.audience)) throw new GuardConfigError('audience must be printable ASCII without spaces');
  checkAlgorithms('algorithms', options.algorithms);
  checkAlgorithms('dpop.algorithms', options.dpop?.algorithms);
  checkSeconds('dpop.maxAge', options.dpop?.maxAge);
  checkSeconds('dpop.futureSkew', options.dpop?.futureSkew);
}

export function createGuard(options: GuardOptions): Guard {
  checkOptions(options);
  const now = options.now ?? systemNow;
  const tolerance = options.clockTolerance ?? DEFAULTS.clockTolerance;
  const timeout = options.timeout ?? DEFAULTS.timeout;
  const metadata = providerMetadata(options.issuer, timeout);
  const given = options.ladder;
  let ladder: RankedLadder | undefined =
    given === undefined ? undefined : given.every((item) => typeof item === 'string') ? ladderFromAcrValues(given as string[]) : checkLadder(given as RankedLadder);

  async function loadLadder(): Promise<RankedLadder> {
    if (ladder) return ladder;
    const values = (await metadata()).acrValuesSupported;
    if (!values?.length) throw new GuardConfigError('discovery lists no acr_values_supported: pass the ladder to createGuard');
    ladder = ladderFromAcrValues(values);
    return ladder;
  }

  const verifyJwt = jwtVerifier({
    issuer: options.issuer,
    audience: options.audience,
    algorithms: options.algorithms ?? DEFAULTS.algorithms,
    clockTolerance: tolerance,
    jwksUri: async () => options.jwksUri ?? (await metadata()).jwksUri,
    timeout,
    jwksCooldown: options.jwksCooldown ?? DEFAULTS.jwksCooldown,
  });

  const introspection = options.introspection;
  const introspect = introspection
    ? introspector({
        clientId: introspection.clientId,
        clientSecret: introspection.clientSecret,
        endpoint: async () => {
          const endpoint = introspection.endpoint ?? (await metadata()).introspectionEndpoint;
          if (!endpoint) throw new GuardConfigError('discovery lists no introspection_endpoint: pass introspection.endpoint');
          return endpoint;
        },
        cacheTtl: introspection.cacheTtl ?? DEFAULTS.cacheTtl,
        cacheSize: introspection.cacheSize ?? DEFAULTS.cacheSize,
        timeout,
      })
    : undefined;

  const replayStore = options.replayStore ?? memoryReplayStore({ now });
  const dpopAlgorithms = options.dpop?.algorithms ?? DEFAULTS.dpopAlgorithms;
  const dpopEverywhere = options.dpop?.required ?? false;
  const nonces = options.dpop?.nonceSecret === undefined ? undefined : dpopNonces(nonceSecret(options.dpop.nonceSecret));
  /** RFC 9449 §9: with nonces, every DPoP answer names the nonce to use next. */
  const nonceHeader = (dpop: boolean, at: number): Record<string, string> => (nonces && dpop ? { 'DPoP-Nonce': nonces.current(at) } : {});
  const checkBinding = senderBinding({
    nonces,
    algorithms: dpopAlgorithms,
    maxAge: options.dpop?.maxAge ?? DEFAULTS.dpopMaxAge,
    futureSkew: options.dpop?.futureSkew ?? DEFAULTS.dpopFutureSkew,
    replayStore,
    origin: options.origin === undefined ? undefined : checkOrigin(options.origin),
  });

  /** Where this API is, for details that name their `locations`: its audience, and its origin when configured. */
  const here = [options.audience, ...(options.origin === undefined ? [] : [checkOrigin(options.origin)])];

  async function verify(token: string, at: number): Promise<VerifiedToken> {
    if (looksLikeJwt(token)) return verifiedToken('jwt', await verifyJwt(token, at), at, tolerance);
    if (!introspect) throw new GuardError('token_malformed', 'the access token is not a JWT and this API does not introspect opaque tokens');
    const answer = await introspect(token, at);
    checkIntrospection(answer, { issuer: options.issuer, audience: options.audience, requireAudience: introspection?.requireAudience ?? false });
    const described = verifiedToken('introspected', answer, at, tolerance);
    if (described.exp <= at - tolerance) throw new GuardError('token_expired', 'the access token expired');
    return described;
  }

  /**
   * The challenge carries only what applies: acr_values and max_age when the route requires them, scope for scope. Its
   * scheme is DPoP (with algs, RFC 9449 §7.1) when the client used DPoP, the token is DPoP-bound or the route needs DPoP.
   */
  function refusal(error: GuardError, route: RouteRequirement, known: RankedLadder | undefined, dpop: boolean, at: number): GuardResult {
    if (error.status === 503) {
      return { ok: false, status: 503, error, headers: { 'Retry-After': String(RETRY_AFTER) }, body: { error: error.error, error_description: error.message } };
    }
    const stepUp = error.error === 'insufficient_user_authentication';
    const needed = stepUp && route.acr !== undefined && known ? levelOf(known, route.acr) : undefined;
    const challenge = (dpop ? dpopChallenge : bearerChallenge)({
      realm: options.realm ?? (error.error === undefined ? options.audience : undefined),
      algs: dpopAlgorithms,
      error: error.error,
      errorDescription: error.error === undefined ? undefined : error.message,
      scope: error.code === 'scope_insufficient' ? route.scopes : undefined,
      // Both parameters whenever the route has both: a new token must meet both, or the retry fails again.
      acrValues: needed && known ? acceptedAcrValues(known, needed) : undefined,
      maxAge: stepUp ? route.maxAge : undefined,
    });
    const body = error.error === undefined ? { error_description: error.message } : { error: error.error, error_description: error.message };
    return { ok: false, status: error.status, error, headers: { 'WWW-Authenticate': challenge, ...nonceHeader(dpop, at) }, body };
  }

  function protect(requirement?: Requirement) {
    const route = routeRequirement(requirement);
    if (route.acr !== undefined && ladder && !levelOf(ladder, route.acr)) {
      throw new GuardConfigError(`the route requires acr ${route.acr}, which is not on the ladder (${ladder.map((level) => level.acr).join(' ')})`);
    }
    return async function checkRoute(input: GuardInput): Promise<GuardResult> {
      const request: GuardRequest = typeof input === 'object' && input !== null ? input : { authorization: input };
      const at = now();
      let known = ladder;
      let dpop = route.dpop || dpopEverywhere;
      try {
        const presented = credentials(request.authorization);
        dpop ||= presented.scheme === 'DPoP';
        let token = await verify(presented.token, at);
        dpop ||= token.jkt !== undefined;
        await checkBinding(presented, token, request, at, route.dpop || dpopEverywhere);
        if (route.acr !== undefined) known = await loadLadder();
        const shortfall = checkRequirement(token, route, { ladder: known ?? [], now: at, tolerance });
        if (shortfall) return refusal(shortfall, route, known, dpop, at);
        if (route.operation) token = { ...token, operation: approvedOperation(token.authorizationDetails, route.operation, request, here) };
        // Last, so that a refused request never uses the token up.
        if (route.singleUse) await consumeToken(replayStore, presented.token, token, tolerance);
        return { ok: true, token, headers: nonceHeader(token.jkt !== undefined, at) };
      } catch (error) {
        if (error instanceof GuardError) return refusal(error, route, known, dpop, at);
        throw error;
      }
    };
  }

  return {
    check: (authorization, requirement) => protect(requirement)(authorization),
    protect,
    ready: loadLadder,
  };
}
