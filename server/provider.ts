// Builds the oidc-provider instance: interaction policy with the step-up Check, token claims, discovery.
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { AppConfig } from '../config/index.ts';
import { cookieOptions } from '../config/cookies.ts';
import type { Stores } from '../adapters/types.ts';
import { eventLifetime } from '../policy/ladder.ts';
import { createAssessor } from '../stepup/assessment.ts';
import { stepUpChecker, type StepUpChecker } from '../stepup/check.ts';
import { systemClock } from './clock.ts';
import { stepUpCheck } from './stepup-check.ts';
import { firstPartyGrants } from './first-party-grant.ts';
import { extraTokenClaims } from './token-claims.ts';
import { richAuthorizationRequests } from './rich-authorization.ts';
import { dpopNonceSecret } from '../config/keys.ts';
import { HookedProvider } from './grant-hooks.ts';
import { createResourceRegistry, resourceRules, type ResourceRegistry } from './resource-registry.ts';
import { accessTokenTtl, tokenGrantHooks } from './token-rules.ts';
import { introspectionAllowed, revocationAllowed } from './token-endpoint-policy.ts';
import { renderError, withUnavailablePage } from './error-page.ts';
import { logoutSource, postLogoutSuccessSource } from './logout-pages.ts';
import { ACCOUNT_CLIENT_ID, accountClient } from '../config/account-client.ts';
import { OAUTH_STEP_UP_PARAMS } from '../stepup/oauth-params.ts';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function outgoingFetch(production: boolean): NonNullable<Configuration['fetch']> {
  return (url, options) => {
    if (production || !LOOPBACK_HOSTS.has(new URL(url instanceof Request ? url.url : url).hostname)) return globalThis.fetch(url, options);
    const { dispatcher: _ssrfGuard, ...direct } = options as RequestInit & { dispatcher?: unknown };
    return globalThis.fetch(url, direct);
  };
}

/** The built-in checks our step-up Check replaces: they compare one stored acr and loop forever. */
const REPLACED_CHECKS = ['max_age', 'essential_acrs', 'essential_acr'];

function interactionsPolicy(check: ReturnType<typeof stepUpCheck>) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  for (const name of REPLACED_CHECKS) login.checks.remove(name);
  login.checks.add(check, 1);
  return policy;
}

export interface ProviderDeps {
  config: AppConfig;
  stores: Stores;
  now?: () => number;
  /** The step-up service's check (tests may pass their own clock through it). */
  check?: StepUpChecker;
  /** The operators' resource servers (one cache shared with the step-up assessment). */
  registry?: ResourceRegistry;
}

export function buildProvider({ config, stores, now = systemClock, check: checker, registry = createResourceRegistry(stores.resources, config, now) }: ProviderDeps): Provider {
  const { policy, ttl } = config;
  const check = stepUpCheck(checker ?? stepUpChecker({ assess: createAssessor(stores, policy, () => resourceRules(registry)), stores, eventTtl: eventLifetime(policy.ladder), now }));
  const cookie = cookieOptions(config);

  const configuration: Configuration = {
    adapter: stores.OidcAdapter,
    clients: [accountClient(config.issuer)],
    acrValues: policy.ladder.flatMap((level) => [level.acr, ...level.aliases]),
    claims: { openid: ['sub', 'acr', 'amr', 'auth_time'], profile: ['preferred_username'] },
    async findAccount(_ctx, sub) {
      const account = await stores.accounts.findById(sub);
      // A disabled account has no claims: its refresh tokens and codes fail with invalid_grant, introspection is inactive.
      if (!account || account.disabledAt !== undefined) return undefined;
      // The record rides along: the step-up Check of the same request reads it from here instead of the store.
      return { accountId: sub, claims: () => ({ sub, preferred_username: account.username }), record: account };
    },
    jwks: config.keys.jwks as Configuration['jwks'],
    cookies: { keys: config.keys.cookieKeys, long: cookie, short: cookie },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}`, policy: interactionsPolicy(check) },
    features: {
      devInteractions: { enabled: false },
      claimsParameter: { enabled: true },
      // Typed by @types/oidc-provider as a union keyed on other features' settings; the shape is checked at start-up.
      richAuthorizationRequests: richAuthorizationRequests(policy.operations) as never,
      introspection: { enabled: true, allowedPolicy: introspectionAllowed as never },
      revocation: { enabled: true, allowedPolicy: revocationAllowed as never },
      rpInitiatedLogout: { enabled: true, logoutSource, postLogoutSuccessSource },
      backchannelLogout: { enabled: true },
      // RFC 9449. Nonces are offered, not required: a proof whose iat is off by more than 300 s is answered
      // use_dpop_nonce with a DPoP-Nonce (derived from STEPUP_COOKIE_KEYS, so every instance accepts it); proofs are
      // single-use (their jti is kept in the shared store). Which tokens must be DPoP-bound: server/token-rules.ts.
      dPoP: { enabled: true, nonceSecret: dpopNonceSecret(config.keys), requireNonce: () => false, allowReplay: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx, _client, oneOf) => oneOf ?? undefined!,
        useGrantedResource: () => true,
        // The operators' registry (cli resource add), read through a short cache (server/resource-registry.ts).
        async getResourceServerInfo(_ctx, indicator) {
          const server = await registry.find(indicator);
          if (!server) throw new errors.InvalidTarget();
          const info = { scope: server.scope, audience: server.indicator, accessTokenTTL: server.accessTokenTTL ?? ttl.accessToken };
          // `opaque` (resource add --format opaque): stored, so revocable at once and introspectable (RFC 7662), which
          // oidc-provider refuses for JWTs; operation tokens that an API must introspect need it.
          if (server.format === 'opaque') return { ...info, accessTokenFormat: 'opaque' };
          return { ...info, accessTokenFormat: 'jwt', jwt: { sign: { alg: server.alg as 'ES256' } } };
        },
      },
    },
    // The account pages' recovery sign-in (interactions/recovery-routes.ts); ignored for any other client.
    extraParams: ['stepup_recovery', ...Object.values(OAUTH_STEP_UP_PARAMS)],
    // Outgoing calls (back-channel logout tokens) keep oidc-provider's 2.5 s timeout and its refusal of special-use
    // addresses; outside production a relying party on loopback (the demo, the tests) may be called.
    fetch: outgoingFetch(config.production),
    extraClientMetadata: {
      properties: ['stepup_min_acr', 'first_party', 'stepup_resource_server'],
      validator(_ctx, key, value) {
        if (key === 'stepup_min_acr' && value !== undefined) {
          const known = policy.ladder.some((level) => level.acr === value || level.aliases.includes(value as string));
          if (!known) throw new errors.InvalidClientMetadata(`stepup_min_acr must be one of the ladder's acr values`);
        }
        if ((key === 'first_party' || key === 'stepup_resource_server') && value !== undefined && typeof value !== 'boolean') {
          throw new errors.InvalidClientMetadata(`${key} must be a boolean`);
        }
      },
    },
    loadExistingGrant: firstPartyGrants(ttl.session),
    extraTokenClaims: (ctx) => extraTokenClaims(ctx as KoaContextWithOIDC),
    // An operation's grant (authorization_details) is for that operation only: no refresh token outlives it.
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access') && !(code as { rar?: unknown[] }).rar?.length,
    responseTypes: ['code', 'none'],
    pkce: { required: (_ctx, client) => client.clientId !== ACCOUNT_CLIENT_ID },
    // Shortened by the level, the resource and the operation types (policy/token-constraints.ts).
    ttl: { ...oidcTtl(ttl), AccessToken: accessTokenTtl(policy, ttl.accessToken) },
    renderError: withUnavailablePage(renderError),
  };

  // Before the code and refresh-token grants: DPoP where the policy requires it, and the scope rules at each refresh.
  const provider = new HookedProvider(config.issuer, configuration, tokenGrantHooks({ policy, registry, now }));
  // Behind proxies, trust X-Forwarded-* (https for Secure cookies, the client address for guessing limits), but take
  // the address only from the entries our own proxies appended: a client can put anything further left.
  provider.proxy = config.proxyHops > 0;
  provider.maxIpsCount = config.proxyHops;
  return provider;
}

/** oidc-provider's lifetimes from ours (the benchmark's plain provider uses the same). */
export function oidcTtl(ttl: AppConfig['ttl']): Configuration['ttl'] {
  return {
    Session: ttl.session,
    Interaction: ttl.interaction,
    Grant: ttl.session,
    AuthorizationCode: ttl.authorizationCode,
    IdToken: ttl.idToken,
    // A resource server's own accessTokenTTL wins (JWTs cannot be recalled, so an API may want them short).
    AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? ttl.accessToken,
    RefreshToken: ttl.refreshToken,
  };
}
