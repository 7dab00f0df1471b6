// Who may introspect or revoke a token: its own client, and (introspection only) clients registered as resource servers.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';

interface Caller {
  clientId: string;
  clientAuthMethod?: string;
  metadata(): Record<string, unknown>;
}

/** The tokens a resource server presents: access tokens. Refresh tokens only ever go back to the client that holds them. */
const ACCESS_TOKEN_KINDS = new Set(['AccessToken', 'ClientCredentials']);

export async function introspectionAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: { clientId?: string; kind?: string }): Promise<boolean> {
  if (token.clientId === client.clientId) return true;
  return client.clientAuthMethod !== 'none' && client.metadata().stepup_resource_server === true && ACCESS_TOKEN_KINDS.has(String(token.kind));
}

export async function revocationAllowed(_ctx: KoaContextWithOIDC, client: Caller, token: { clientId?: string }): Promise<boolean> {
  if (token.clientId === client.clientId) return true;
  if (client.clientAuthMethod === 'none') return false;
  throw new errors.InvalidRequest('client is not authorized to revoke the presented token');
}
