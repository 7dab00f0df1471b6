// What the interaction and account routes need from the rest of the server.
import type Provider from 'oidc-provider';
import type { Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import type { SecretKeyring } from '../authenticators/index.ts';
import type { Assessor } from '../server/assessment.ts';
import type { Metrics } from '../server/metrics.ts';
import type { Logger } from '../server/logger.ts';

export interface InteractionDeps {
  provider: Provider;
  config: AppConfig;
  stores: Stores;
  assess: Assessor;
  /** The TOTP keyring: TOTP secrets and recovery-secret hashes at rest. */
  keyring: SecretKeyring;
  /** Seals the account pages' short-lived cookies; derived from the cookie keys, apart from the TOTP keyring. */
  cookieKeyring: SecretKeyring;
  /** Epoch seconds. */
  now: () => number;
  /** Times factor verifications, when metrics are on. */
  metrics?: Metrics;
  logger?: Logger;
}
