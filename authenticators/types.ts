// The one result shape every authenticator returns: the event its verification proves.
import type { AuthEvent } from '../policy/types.ts';

export interface VerifiedFactor {
  event: AuthEvent;
}
