// What cutting off an account's access reached: sessions, grants and tokens revoked, and relying parties told.
import type { RevokedForAccount } from '../adapters/types.ts';

export interface Revocation extends RevokedForAccount {
  /** Back-channel logout tokens relying parties accepted. */
  notified: number;
  /** Those they refused or did not answer in time (logged by the caller; the sessions are ended anyway). */
  failed: Array<{ clientId: string; error: string }>;
}
