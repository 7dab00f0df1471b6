// What the step-up flow needs from the rest of the server, as plain values and functions (no koa, no oidc-provider).
import type { Stores } from '../adapters/types.ts';
import type { SecretKeyring } from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import type { Revocation } from './revocation.ts';
import type { Assessor } from './assessment.ts';

export interface FlowDeps {
  config: Pick<AppConfig, 'policy' | 'webauthn' | 'password' | 'limiter' | 'addressLimit'>;
  stores: Stores;
  assess: Assessor;
  /** The TOTP keyring: TOTP secrets and recovery-secret hashes at rest. */
  keyring: SecretKeyring;
  /** Epoch seconds. */
  now: () => number;
  /** Ends the account's other sessions and revokes its grants (a recovery sign-in). */
  revokeAccess: (accountId: string, keepSessionUid?: string) => Promise<Revocation>;
  /** Times factor verifications, when metrics are on. */
  metrics?: { timeVerification(factor: string): (outcome: string) => void };
  logger?: { warn(details: object, message: string): void };
}
