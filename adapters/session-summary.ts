// A stored oidc-provider Session payload as the summary the account's session list shows, oldest login first.
import type { AdapterPayload } from 'oidc-provider';
import type { SessionSummary } from './types.ts';

/** `expiresAt` is the expiry the adapter stored (epoch seconds), not the payload's own `exp`. */
export function toSessionSummary(payload: AdapterPayload, accountId: string, expiresAt: number | undefined): SessionSummary {
  return {
    uid: String(payload.uid),
    accountId,
    ...(typeof payload.loginTs === 'number' && { loginTs: payload.loginTs }),
    ...(expiresAt !== undefined && { expiresAt }),
    clients: Object.entries(payload.authorizations ?? {}).map(([clientId, authorization]) => ({
      clientId,
      ...(typeof authorization.sid === 'string' && { sid: authorization.sid }),
      ...(typeof authorization.grantId === 'string' && { grantId: authorization.grantId }),
    })),
  };
}

export function byLogin(a: SessionSummary, b: SessionSummary): number {
  return (a.loginTs ?? 0) - (b.loginTs ?? 0) || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0);
}
