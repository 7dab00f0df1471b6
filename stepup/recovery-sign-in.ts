// The recovery sign-in: the password plus a recovery code (or an operator's recovery link) opens a recovery session,
// after every other session of the account has been ended and its grants revoked.
import { AuthError, verifyPassword, verifyRecoveryCode, verifyRecoveryLink, type GuessLimits } from '../authenticators/index.ts';
import type { AuthEvent } from '../policy/types.ts';
import { ACCOUNT_CLIENT_ID } from '../config/account-client.ts';
import { recoveryOpened } from './audit.ts';
import type { FlowDeps } from './flow-deps.ts';

export type RecoveryMode = 'code' | 'link';

/** Only the account pages' own sign-in can be a recovery: for any other client the parameter means nothing. */
export function recoveryMode(params: Record<string, unknown>, clientId: string): RecoveryMode | undefined {
  const mode = params.stepup_recovery;
  return clientId === ACCOUNT_CLIENT_ID && (mode === 'code' || mode === 'link') ? mode : undefined;
}

export interface RecoveryAttempt {
  mode: RecoveryMode;
  username: string;
  password: string;
  code: string;
  /** The operator's recovery link token, from the cookie /account/recover set (mode `link`). */
  linkToken?: string;
  /** Called once the link token is spent, so the caller can drop the cookie that carried it. */
  linkSpent?: () => void;
  /** The session the interaction belongs to, if signed in: kept when it is the same account's. */
  session?: { uid: string; accountId?: string };
}

/**
 * Verifies the password, then the recovery secret (each against its guessing limits), then cuts off the account's
 * other sessions, grants and tokens and tells relying parties. Throws AuthError when anything is refused.
 */
export async function recoverySignIn(deps: FlowDeps, limits: GuessLimits, attempt: RecoveryAttempt): Promise<AuthEvent[]> {
  const { stores } = deps;
  const { event: password, account } = await verifyPassword({ username: attempt.username, password: attempt.password }, { ...limits, accounts: stores.accounts, passwordParams: deps.config.password });
  if (account.disabledAt !== undefined) throw new AuthError('disabled', 'the account is disabled');
  const secretDeps = { ...limits, secrets: stores.recoverySecrets, keyring: deps.keyring };
  const { event: recovery } =
    attempt.mode === 'code'
      ? await verifyRecoveryCode({ accountId: account.id, code: attempt.code }, secretDeps)
      : await verifyRecoveryLink({ accountId: account.id, token: attempt.linkToken }, secretDeps);
  if (attempt.mode === 'link') attempt.linkSpent?.();

  const keep = attempt.session?.accountId === account.id ? attempt.session.uid : undefined;
  const revoked = await deps.revokeAccess(account.id, keep);
  for (const failure of revoked.failed) deps.logger?.warn({ clientId: failure.clientId, err: failure.error }, 'back-channel logout not accepted');
  await stores.audit.append(recoveryOpened(deps.now, attempt.mode, revoked, { accountId: account.id, clientId: ACCOUNT_CLIENT_ID, sessionUid: keep }));
  return [password, recovery];
}
