// Consent for first-party clients: their grant is extended to what they request, so no consent page is shown.
import type { KoaContextWithOIDC } from 'oidc-provider';

/** `grantTtl`: the grants' configured lifetime in seconds (oidc-provider's ttl.Grant). */
export function firstPartyGrants(grantTtl: number) {
  return (ctx: KoaContextWithOIDC) => loadExistingGrant(ctx, grantTtl);
}

async function loadExistingGrant(ctx: KoaContextWithOIDC, grantTtl: number) {
  const { oidc } = ctx;
  const client = oidc.client!;
  const session = oidc.session!;
  const grantId = (oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId ?? session.grantIdFor(client.clientId);
  const existing = grantId ? await oidc.provider.Grant.find(grantId) : undefined;
  if (client.metadata().first_party !== true) return existing;

  const grant = existing ?? new oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId! });
  const before = grantState(grant);
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  const claims = Object.keys(oidc.requestParamClaims ?? {});
  if (claims.length) grant.addOIDCClaims(claims);
  for (const [indicator, server] of Object.entries(oidc.resourceServers ?? {})) {
    const offered = new Set((server.scope ?? '').split(' '));
    const wanted = [...oidc.requestParamScopes].filter((scope) => offered.has(scope));
    if (wanted.length) grant.addResourceScope(indicator, wanted.join(' '));
  }
  // Saved when it is new or changed, or when less than half its lifetime is left (each save renews it): a first-party
  // sign-in that asks for nothing new costs no write.
  const renew = grant.exp !== undefined && grant.exp - Math.floor(Date.now() / 1000) < grantTtl / 2;
  if (!existing || grantState(grant) !== before || renew) await grant.save();
  return grant;
}

/** What a first-party request may add to a grant: its OpenID scope and claims, and its resources' scopes. */
function grantState(grant: { openid?: unknown; resources?: unknown }): string {
  return JSON.stringify([grant.openid, grant.resources]);
}
