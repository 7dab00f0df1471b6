// What the interaction and account routes need from the rest of the server.
import type Provider from 'oidc-provider';
import type { Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import type { SecretKeyring } from '../authenticators/index.ts';
import type { Assessor } from '../stepup/assessment.ts';
import type { StepUpFlow } from '../stepup/flow.ts';
import type { Revocation } from '../stepup/revocation.ts';

export interface InteractionDeps {
  provider: Provider;
  config: AppConfig;
  stores: Stores;
  assess: Assessor;
  /** The step-up flow the sign-in pages run. */
  flow: StepUpFlow;
  /** The TOTP keyring: TOTP secrets and recovery-secret hashes at rest. */
  keyring: SecretKeyring;
  /** Seals the account pages' short-lived cookies; derived from the cookie keys, apart from the TOTP keyring. */
  cookieKeyring: SecretKeyring;
  /** Ends the account's other sessions, revokes its grants and tokens, tells relying parties (a credential change). */
  revokeAccess: (accountId: string, keepSessionUid?: string) => Promise<Revocation>;
  /** Epoch seconds. */
  now: () => number;
  logger?: { warn(details: object, message: string): void };
}
