// `stepup user reset`: a user who lost their second factors starts over with their password and a single-use link.
import type { AccountRecord, AuthenticatorRecord, Stores } from '../adapters/types.ts';
import { issueRecoveryLink } from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import { totpKeyring } from '../config/keys.ts';
import { systemClock } from '../server/clock.ts';
import { accountCeiling } from './account-ceiling.ts';
import { CliError } from './errors.ts';
import { findAccount } from './find-account.ts';
import { count, isoTime } from './format.ts';
import { MAX_NAME_LENGTH, auditOperatorAction, checkedText, cutOff, describeCutOff, operatorOf, reportFailedNotices, type Operator, type OperatorOptions } from './operator-action.ts';
import type { Out } from './run.ts';
import { noteSignInBlockers } from './sign-in-blockers.ts';

export interface ResetArgs extends OperatorOptions {
  username: string;
  /** The second operator, required to reset an account that reaches the ladder's top level. */
  approvedBy?: string;
}

/**
 * Removes every second factor and the recovery codes, cuts off every session and token, and prints a recovery link
 * (the password plus the link open a recovery session where the user enrols again). Nothing changes when refused.
 */
export async function resetUser(stores: Stores, config: AppConfig, args: ResetArgs, out: Out): Promise<void> {
  const who = operatorOf(args);
  const approvedBy = args.approvedBy === undefined ? undefined : checkedText('--approved-by', args.approvedBy, MAX_NAME_LENGTH);
  if (approvedBy !== undefined && approvedBy.toLowerCase() === who.operator.toLowerCase()) {
    throw new CliError('invalid_input', `--approved-by must name another operator than ${who.operator}`);
  }
  const account = await findAccount(stores, args.username);
  const authenticators = await stores.authenticators.listByAccount(account.id);
  checkApproval(config, account, authenticators, approvedBy);
  const operator: Operator = { ...who, ...(approvedBy !== undefined && { approvedBy }) };

  const removed = await stores.authenticators.removeAllForAccount(account.id);
  await stores.recoverySecrets.removeAll(account.id, 'code');
  const revoked = await cutOff(stores, config, account.id);
  const now = systemClock();
  const link = await issueRecoveryLink(account.id, config.policy.recovery.linkTtl, { secrets: stores.recoverySecrets, keyring: totpKeyring(config.keys), now });
  await auditOperatorAction(stores, operator, { type: 'account.reset', accountId: account.id, revoked });

  out(`reset ${account.username}: removed ${count(removed, 'authenticator')} and the recovery codes, ${describeCutOff(revoked)} (recorded in the audit log)`);
  reportFailedNotices(revoked, out);
  out(`recovery link, valid until ${isoTime(link.expiresAt * 1000)} and usable once with the user's password; hand it to ${account.username} over a secure channel, it is not shown again:`);
  out(`${config.issuer.replace(/\/+$/, '')}/account/recover?link=${encodeURIComponent(link.token)}`);
  await noteSignInBlockers(stores, config, account, 'the link', out);
}

/** An account that reaches the top level (even through authenticators in cool-off) needs a second operator's approval. */
function checkApproval(config: AppConfig, account: AccountRecord, authenticators: AuthenticatorRecord[], approvedBy: string | undefined): void {
  const { ladder, recovery } = config.policy;
  if (!recovery.resetNeedsApproval || approvedBy !== undefined) return;
  const top = ladder[ladder.length - 1]!;
  if (accountCeiling(ladder, account, authenticators)?.acr === top.acr) {
    throw new CliError('invalid_input', `${account.username} reaches ${top.acr}, the highest level: resetting needs a second operator's --approved-by <name>`);
  }
}
