// The user a request names (id_token_hint, or an essential sub value in claims): step-up never signs in anyone else.
import { decodeJwt } from 'jose';

/** oidc-provider has already verified the hint's signature at the authorization endpoint. */
export function requestedSubject(params: Record<string, unknown>): string | undefined {
  if (typeof params.id_token_hint === 'string') {
    try {
      return decodeJwt(params.id_token_hint).sub;
    } catch {
      return undefined;
    }
  }
  if (typeof params.claims !== 'string') return undefined;
  try {
    const value = (JSON.parse(params.claims) as { id_token?: { sub?: { value?: unknown } } }).id_token?.sub?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
