// Cutting off what an attacker may hold after a credential change: the account's other sessions end, every grant and
// token of it is revoked, and relying parties with a back-channel logout URI are told (OIDC Back-Channel Logout 1.0).
import type Provider from 'oidc-provider';
import type { Stores } from '../adapters/types.ts';
import type { Revocation } from '../stepup/revocation.ts';

export interface RevocationDeps {
  provider: Provider;
  stores: Pick<Stores, 'sessions'>;
  now: () => number;
}

/**
 * Ends every session of the account but `keepSessionUid` and revokes all its grants and tokens, then sends each
 * relying party the ended sessions signed in to a logout token (sent after the revocation, so a relying party that
 * reacts by refreshing finds nothing left).
 */
export async function revokeAccountAccess(deps: RevocationDeps, accountId: string, keepSessionUid?: string): Promise<Revocation> {
  const ending = (await deps.stores.sessions.list(accountId, deps.now())).filter((session) => session.uid !== keepSessionUid);
  const revoked = await deps.stores.sessions.revoke(accountId, { keepSessionUid });
  const notices = ending.flatMap((session) => session.clients.map((client) => ({ ...client, accountId })));
  const results = await Promise.all(
    notices.map(async ({ clientId, sid }) => {
      let client;
      try {
        client = await deps.provider.Client.find(clientId);
      } catch (error) {
        // A registration the provider cannot load: nobody was told, so say so.
        return { clientId, ok: false as const, error: `client not loadable: ${(error as Error).message}` };
      }
      if (!client?.backchannelLogoutUri) return undefined;
      if (!sid && client.backchannelLogoutSessionRequired) return { clientId, ok: false as const, error: 'the session has no sid for this client' };
      try {
        // oidc-provider's own sender (models/client.js): a logout token signed like the client's ID tokens.
        await (client as unknown as { backchannelLogout(sub: string, sid: string): Promise<void> }).backchannelLogout(accountId, sid ?? '');
        return { clientId, ok: true as const };
      } catch (error) {
        return { clientId, ok: false as const, error: (error as Error).message };
      }
    }),
  );
  const sent = results.filter((result) => result !== undefined);
  return {
    ...revoked,
    notified: sent.filter((result) => result.ok).length,
    failed: sent.flatMap((result) => (result.ok ? [] : [{ clientId: result.clientId, error: result.error }])),
  };
}
