// acr, amr and auth_time in JWT access tokens and introspection, from the code or refresh token, never the live session.
import type { KoaContextWithOIDC } from 'oidc-provider';

interface Authenticated {
  acr?: string;
  amr?: string[];
  authTime?: number;
}

export function extraTokenClaims(ctx: KoaContextWithOIDC) {
  const { entities } = ctx.oidc;
  const source = (entities.AuthorizationCode ?? entities.RefreshToken) as Authenticated | undefined;
  if (!source) return undefined;
  return { acr: source.acr, amr: source.amr, auth_time: source.authTime };
}
