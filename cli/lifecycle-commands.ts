// `stepup user disable | enable | remove-authenticator | password | reset | delete`: an operator's changes to an
// account, each with --reason, recorded in the audit log, and (but enable) cutting off every session and token.
import type { Command } from 'commander';
import type { Stores } from '../adapters/types.ts';
import { hashPassword } from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import { FACTOR_OF } from '../stepup/assessment.ts';
import { systemClock } from '../server/clock.ts';
import { CliError } from './errors.ts';
import { findAccount } from './find-account.ts';
import { isoTime } from './format.ts';
import { auditOperatorAction, cutOff, describeCutOff, operatorOf, reportFailedNotices, type OperatorOptions } from './operator-action.ts';
import { addOperatorOptions } from './operator-options.ts';
import { checkPassword, passwordFromOptions, readPasswordFromStdin, type PasswordOptions } from './password-input.ts';
import { resetUser, type ResetArgs } from './reset-user.ts';
import type { Out, StoreAction } from './run.ts';
import { noteSignInBlockers } from './sign-in-blockers.ts';

type UserArgs = { username: string } & OperatorOptions;

/** The provider refuses sign-in, step-up, refresh and introspection of a disabled account; what it holds is revoked. */
export async function disableUser(stores: Stores, config: AppConfig, args: UserArgs, out: Out): Promise<void> {
  const who = operatorOf(args);
  const account = await findAccount(stores, args.username);
  if (account.disabledAt !== undefined) throw new CliError('conflict', `${account.username} is already disabled (since ${isoTime(account.disabledAt * 1000)})`);
  await stores.accounts.setDisabled(account.id, systemClock());
  const revoked = await cutOff(stores, config, account.id);
  await auditOperatorAction(stores, who, { type: 'account.disable', accountId: account.id, revoked });
  out(`disabled ${account.username}: ${describeCutOff(revoked)} (recorded in the audit log)`);
  reportFailedNotices(revoked, out);
}

export async function enableUser(stores: Stores, _config: AppConfig, args: UserArgs, out: Out): Promise<void> {
  const who = operatorOf(args);
  const account = await findAccount(stores, args.username);
  if (account.disabledAt === undefined) throw new CliError('conflict', `${account.username} is not disabled`);
  await stores.accounts.setDisabled(account.id, undefined);
  await auditOperatorAction(stores, who, { type: 'account.enable', accountId: account.id });
  out(`enabled ${account.username}: they can sign in again (recorded in the audit log)`);
}

export async function removeAuthenticator(stores: Stores, config: AppConfig, args: UserArgs & { id: string }, out: Out): Promise<void> {
  const who = operatorOf(args);
  const account = await findAccount(stores, args.username);
  const authenticator = await stores.authenticators.get(args.id);
  const notFound = () => new CliError('not_found', `${account.username} has no authenticator with id "${args.id}" (see \`stepup user show ${account.username}\`)`);
  if (authenticator?.accountId !== account.id) throw notFound();
  if (!(await stores.authenticators.remove(authenticator.id, account.id))) throw notFound();
  const revoked = await cutOff(stores, config, account.id);
  await auditOperatorAction(stores, who, { type: 'authenticator.remove', accountId: account.id, factor: FACTOR_OF[authenticator.kind], authenticatorId: authenticator.id, revoked });
  out(`removed ${authenticator.kind} "${authenticator.label}" from ${account.username}: ${describeCutOff(revoked)} (recorded in the audit log)`);
  reportFailedNotices(revoked, out);
}

export async function setPassword(stores: Stores, config: AppConfig, args: UserArgs & { password: string }, out: Out): Promise<void> {
  const who = operatorOf(args);
  checkPassword(args.password);
  const account = await findAccount(stores, args.username);
  await stores.accounts.setPasswordHash(account.id, await hashPassword(args.password, config.password));
  const revoked = await cutOff(stores, config, account.id);
  await auditOperatorAction(stores, who, { type: 'account.password_set', accountId: account.id, factor: 'pwd', revoked });
  out(`set a new password for ${account.username}: ${describeCutOff(revoked)} (recorded in the audit log)`);
  reportFailedNotices(revoked, out);
  await noteSignInBlockers(stores, config, account, 'the new password', out);
}

/** Disabled first (no sign-in can slip in), then everything it holds is revoked, then it is deleted; its audit events stay. */
export async function deleteUser(stores: Stores, config: AppConfig, args: UserArgs, out: Out): Promise<void> {
  const who = operatorOf(args);
  const account = await findAccount(stores, args.username);
  if (account.disabledAt === undefined) await stores.accounts.setDisabled(account.id, systemClock());
  const revoked = await cutOff(stores, config, account.id);
  if (!(await stores.accounts.remove(account.id))) throw new CliError('not_found', `no user named "${args.username}"`);
  await auditOperatorAction(stores, who, { type: 'account.delete', accountId: account.id, revoked });
  out(`deleted ${account.username} (id ${account.id}) with its authenticators and recovery secrets: ${describeCutOff(revoked)} (recorded in the audit log, which keeps its events)`);
  reportFailedNotices(revoked, out);
}

export function registerLifecycleCommands(user: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const command = (name: string, description: string) => addOperatorOptions(user.command(name).description(description).argument('<username>'));

  command('disable', 'disable an account: no sign-in, step-up, refresh or introspection; ends its sessions, revokes its tokens, tells relying parties').action(
    (username: string, options: OperatorOptions) => run((stores, config) => disableUser(stores, config, { username, ...options }, out)),
  );

  command('enable', 'enable a disabled account again').action((username: string, options: OperatorOptions) => run((stores, config) => enableUser(stores, config, { username, ...options }, out)));

  command('remove-authenticator', "remove one of a user's authenticators (ids: `user show`); ends the user's sessions and revokes their tokens")
    .argument('<id>', 'the authenticator id')
    .action((username: string, id: string, options: OperatorOptions) => run((stores, config) => removeAuthenticator(stores, config, { username, id, ...options }, out)));

  command('password', "set a user's password; ends their sessions and revokes their tokens")
    .option('--password <password>', 'the password (visible in shell history and process lists; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input (its final line break is dropped)')
    .action((username: string, options: OperatorOptions & PasswordOptions) =>
      run(async (stores, config) => {
        // Refuse a missing --reason or an unknown user before asking for the password.
        operatorOf(options);
        await findAccount(stores, username);
        const password = await passwordFromOptions(options, readPasswordFromStdin);
        return setPassword(stores, config, { ...options, username, password }, out);
      }),
    );

  command('reset', 'remove all second factors and recovery codes, end every session, and print a single-use recovery link for the user')
    .option('--approved-by <name>', "a second operator's approval, required when the account reaches the ladder's highest level")
    .action((username: string, options: Omit<ResetArgs, 'username'>) => run((stores, config) => resetUser(stores, config, { username, ...options }, out)));

  command('delete', 'delete an account with its authenticators and recovery secrets, after ending its sessions and revoking its tokens').action((username: string, options: OperatorOptions) =>
    run((stores, config) => deleteUser(stores, config, { username, ...options }, out)),
  );
}
