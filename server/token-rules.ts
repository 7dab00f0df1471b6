// The token endpoint's share of the policy: access-token lifetime and DPoP by level, resource and operation type
// (policy/token-constraints.ts), and scope and resource rules held again at every refresh (policy/refresh-rules.ts).
import { createHash } from 'node:crypto';
import { refuseChangedDetails } from './rich-authorization.ts';
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { ResourceRecord } from '../adapters/types.ts';
import type { StepUpPolicy } from '../config/policy-schema.ts';
import { levelFor } from '../policy/ladder.ts';
import { refreshScopes } from '../policy/refresh-rules.ts';
import { tokenConstraints, type TokenRule } from '../policy/token-constraints.ts';
import type { GrantHooks } from './grant-hooks.ts';
import { resourceRules, type ResourceRegistry } from './resource-registry.ts';

/** What a code or refresh token carries from its sign-in, as oidc-provider stores it. */
export interface GrantSource {
  acr?: string;
  authTime?: number;
  rar?: ReadonlyArray<{ type: string }>;
  resource?: string | string[];
}

/** The rules from the token's level and from the operation types it approves (authorization_details, RFC 9396). */
function levelAndOperationRules(policy: StepUpPolicy, source: Pick<GrantSource, 'acr' | 'rar'> | undefined): TokenRule[] {
  const rules: TokenRule[] = [];
  const level = source?.acr === undefined ? undefined : levelFor(policy.ladder, source.acr);
  if (level) rules.push({ source: `level ${level.acr}`, accessTokenTTL: level.accessTokenTTL, dpop: level.dpop });
  for (const type of new Set((source?.rar ?? []).map((detail) => detail.type))) {
    const operation = policy.operations[type];
    if (operation) rules.push({ source: `operation ${type}`, accessTokenTTL: operation.accessTokenTTL, dpop: operation.dpop });
  }
  return rules;
}

function resourceRule(resource: ResourceRecord): TokenRule {
  return { source: `resource ${resource.indicator}`, dpop: resource.dpop };
}

function indicators(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function words(value: unknown): string[] {
  return typeof value === 'string' ? value.split(' ').filter(Boolean) : [];
}

/** invalid_grant telling the client why (oidc-provider's own says only "grant request is invalid"): nothing secret in it. */
function invalidGrant(description: string): InstanceType<typeof errors.InvalidGrant> {
  const error = new errors.InvalidGrant(description);
  error.error_description = description;
  return error;
}

export interface TokenRuleDeps {
  policy: StepUpPolicy;
  registry: ResourceRegistry;
  now: () => number;
}

/**
 * A token request that must yield a DPoP-bound token but carries no DPoP proof is refused before the code or refresh
 * token is used: `invalid_request` (RFC 6749 §5.2: a required parameter is missing), keeping `invalid_dpop_proof`
 * (RFC 9449 §5) for a proof that is present and wrong, which oidc-provider answers itself.
 */
async function requireDpop(ctx: KoaContextWithOIDC, deps: TokenRuleDeps, source: GrantSource, resources: string[]): Promise<void> {
  if (ctx.get('DPoP')) return;
  const rules = levelAndOperationRules(deps.policy, source);
  for (const indicator of resources) {
    const resource = await deps.registry.find(indicator);
    if (resource) rules.push(resourceRule(resource));
  }
  const { dpopRequiredBy } = tokenConstraints(0, rules);
  if (dpopRequiredBy.length > 0) {
    throw new errors.InvalidRequest(`a DPoP-bound access token is required (${dpopRequiredBy.join(', ')}): send a DPoP proof (RFC 9449) with the token request`);
  }
}

/**
 * At a refresh, the scopes a rule governs whose level or max_age the refresh token's sign-in no longer meets are
 * dropped from the new access token (the refresh token keeps them: a later step-up does not change it, a new sign-in
 * does). Refused with invalid_grant when the token's resource itself lapsed, or when nothing would be left of it.
 */
async function holdRulesAtRefresh(ctx: KoaContextWithOIDC, deps: TokenRuleDeps, token: GrantSource & { scopes: Set<string> }): Promise<void> {
  const params = ctx.oidc.params as Record<string, unknown>;
  const requested = params.scope !== undefined ? words(params.scope) : [...token.scopes];
  const named = params.resource !== undefined ? indicators(params.resource) : indicators(token.resource);
  const resource = named.length === 1 ? named[0] : undefined;
  const rules = [...deps.policy.scopeRules, ...(await resourceRules(deps.registry))];
  const outcome = refreshScopes({ ladder: deps.policy.ladder, rules, acr: token.acr, authTime: token.authTime, scopes: requested, resource, now: deps.now() });
  if (outcome.resourceLapsed) throw invalidGrant(`the sign-in behind this refresh token no longer backs ${outcome.resourceLapsed}; sign the user in again`);
  if (outcome.dropped.length === 0) return;
  const registered = resource === undefined ? undefined : await deps.registry.find(resource);
  const accepted = registered ? new Set(words(registered.scope)) : undefined;
  const left = outcome.kept.filter((scope) => (accepted ? accepted.has(scope) : scope !== 'offline_access'));
  if (left.length === 0) {
    const why = outcome.dropped.map((drop) => `${drop.scope} (${drop.reason})`).join(', ');
    throw invalidGrant(`the sign-in behind this refresh token no longer backs ${why}, and nothing else is left; sign the user in again`);
  }
  params.scope = outcome.kept.join(' ');
}

/**
 * A code issued before its resource's --min-acr was raised is redeemed at the level the resource needs now, as a refresh
 * token would be (the registry's rules, read through its cache): otherwise it yields one token below that level.
 */
async function holdResourceLevel(deps: TokenRuleDeps, code: GrantSource, resources: string[]): Promise<void> {
  if (resources.length !== 1) return;
  const rules = await resourceRules(deps.registry);
  const outcome = refreshScopes({ ladder: deps.policy.ladder, rules, acr: code.acr, authTime: code.authTime, scopes: [], resource: resources[0], now: deps.now() });
  if (outcome.resourceLapsed) throw invalidGrant(`the sign-in behind this code does not back ${outcome.resourceLapsed}; sign the user in again`);
}

interface PkceBound {
  codeChallenge?: string;
  codeChallengeMethod?: string;
  redirectUri?: string;
}

/** Whether the token request proves what redeeming the code needs: its redirect URI and PKCE verifier (S256). */
function redeemable(code: PkceBound, params: Record<string, unknown>): boolean {
  if (code.redirectUri !== undefined && params.redirect_uri !== code.redirectUri) return false;
  if (code.codeChallenge === undefined) return true;
  const verifier = params.code_verifier;
  if (typeof verifier !== 'string' || code.codeChallengeMethod !== 'S256') return false;
  return createHash('sha256').update(verifier).digest('base64url') === code.codeChallenge;
}

export function tokenGrantHooks(deps: TokenRuleDeps): GrantHooks {
  return {
    async authorization_code(ctx) {
      const value = ctx.oidc.params?.code;
      const asked = ctx.oidc.params?.authorization_details;
      if (typeof value !== 'string') return;
      const code = await ctx.oidc.provider.AuthorizationCode.find(value);
      // Not ours to judge: the handler answers a missing, expired or foreign code as always.
      if (!code || code.clientId !== ctx.oidc.client?.clientId) return;
      // Nothing of the code is told to a party that cannot redeem it (its PKCE verifier or redirect URI is wrong): the
      // handler answers that one with invalid_grant, as always.
      if (!redeemable(code as unknown as PkceBound, ctx.oidc.params as Record<string, unknown>)) return;
      const source = code as unknown as GrantSource;
      // Changed details are refused before the code is used: the client can still redeem it as approved.
      if (asked !== undefined) refuseChangedDetails(asked, source.rar);
      const resources = ctx.oidc.params?.resource !== undefined ? indicators(ctx.oidc.params.resource) : indicators(source.resource);
      await holdResourceLevel(deps, source, resources);
      await requireDpop(ctx, deps, source, resources);
    },
    async refresh_token(ctx) {
      const value = ctx.oidc.params?.refresh_token;
      if (typeof value !== 'string') return;
      const token = await ctx.oidc.provider.RefreshToken.find(value, { ignoreExpiration: true });
      // A consumed (rotated) token is the handler's: it revokes the whole grant on such a replay.
      if (!token || token.clientId !== ctx.oidc.client?.clientId || token.isExpired || token.consumed) return;
      const source = token as unknown as GrantSource & { scopes: Set<string> };
      const asked = (ctx.oidc.params as Record<string, unknown>).authorization_details;
      if (asked !== undefined) refuseChangedDetails(asked, source.rar);
      await holdRulesAtRefresh(ctx, deps, source);
      const params = ctx.oidc.params as Record<string, unknown>;
      await requireDpop(ctx, deps, source, params.resource !== undefined ? indicators(params.resource) : indicators(source.resource));
    },
  };
}

/** oidc-provider's AccessToken lifetime: the resource's own (else the default), shortened by level and operation rules. */
export function accessTokenTtl(policy: StepUpPolicy, defaultTtl: number) {
  return (ctx: KoaContextWithOIDC | undefined, token: { resourceServer?: { accessTokenTTL?: number }; rar?: GrantSource['rar'] }): number => {
    const entities = ctx?.oidc.entities as { AuthorizationCode?: GrantSource; RefreshToken?: GrantSource } | undefined;
    const source = entities?.AuthorizationCode ?? entities?.RefreshToken;
    const base = token.resourceServer?.accessTokenTTL ?? defaultTtl;
    return tokenConstraints(base, levelAndOperationRules(policy, { acr: source?.acr, rar: token.rar ?? source?.rar })).accessTokenTTL;
  };
}
