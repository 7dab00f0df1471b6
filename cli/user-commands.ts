// `stepup user ...`: create and list accounts, enrol a TOTP authenticator, clear failed-attempt counters; registers the rest.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { StoreError, type Stores } from '../adapters/types.ts';
import { FACTOR_OF } from '../stepup/assessment.ts';
import { MAX_LABEL_LENGTH, MAX_TOTP_AUTHENTICATORS, MAX_USERNAME_LENGTH, clearAccountLimits, encryptSecret, hashPassword, newTotpEnrollment } from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import { totpKeyring } from '../config/keys.ts';
import { CliError } from './errors.ts';
import { findAccount } from './find-account.ts';
import { columns, isoTime } from './format.ts';
import { registerLifecycleCommands } from './lifecycle-commands.ts';
import { auditOperatorAction, operatorOfOptionalReason, type OperatorOptions } from './operator-action.ts';
import { addOperatorOptions } from './operator-options.ts';
import { checkPassword, passwordFromOptions, readPasswordFromStdin, type PasswordOptions } from './password-input.ts';
import type { Out, StoreAction } from './run.ts';
import { registerSessionCommands } from './session-commands.ts';
import { registerShowCommand } from './user-show.ts';
import { systemClock } from '../server/clock.ts';

export { passwordFromOptions } from './password-input.ts';

const OPERATOR_REASON = 'operator cli';
const DEFAULT_TOTP_LABEL = 'Authenticator app';

export async function addUser(stores: Stores, config: AppConfig, args: { username: string; password: string }, out: Out): Promise<void> {
  const username = checkUsername(args.username);
  checkPassword(args.password);
  if (await stores.accounts.findByUsername(username)) throw duplicate(username);
  const account = { id: randomUUID(), username, passwordHash: await hashPassword(args.password, config.password), createdAt: systemClock() };
  try {
    await stores.accounts.create(account);
  } catch (error) {
    if (error instanceof StoreError && error.code === 'conflict') throw duplicate(username);
    throw error;
  }
  out(`added user ${username} (id ${account.id})`);
}

export async function listUsers(stores: Stores, _config: AppConfig, args: { json?: boolean }, out: Out): Promise<void> {
  const users = [];
  for (const account of await stores.accounts.list()) {
    const kinds = new Set((await stores.authenticators.listByAccount(account.id)).map((a): string => FACTOR_OF[a.kind]));
    const factors = ['pwd', ...['otp', 'passkey'].filter((factor) => kinds.has(factor))];
    users.push({ username: account.username, id: account.id, createdAt: isoTime(account.createdAt * 1000), factors });
  }
  if (args.json) return out(JSON.stringify(users, null, 2));
  if (users.length === 0) return out('no users');
  columns(users.map((user) => [user.username, user.id, user.createdAt, user.factors.join(' ')])).forEach((line) => out(line));
}

export async function enrollTotp(stores: Stores, config: AppConfig, args: { username: string; label?: string } & OperatorOptions, out: Out): Promise<void> {
  const who = operatorOfOptionalReason(args, OPERATOR_REASON);
  const label = (args.label ?? DEFAULT_TOTP_LABEL).trim();
  if (label === '' || label.length > MAX_LABEL_LENGTH) throw new CliError('invalid_input', `the label must be 1 to ${MAX_LABEL_LENGTH} characters`);
  const account = await findAccount(stores, args.username);
  const apps = (await stores.authenticators.listByAccount(account.id)).filter((authenticator) => authenticator.kind === 'totp');
  if (apps.length >= MAX_TOTP_AUTHENTICATORS) {
    throw new CliError('conflict', `${account.username} already has ${apps.length} authenticator apps, the most an account may have (each multiplies the odds of a guessed code); remove one first`);
  }
  const { secret, uri } = newTotpEnrollment({ issuer: new URL(config.issuer).host, username: account.username });
  const now = systemClock();
  const id = randomUUID();
  await stores.authenticators.add({
    id,
    accountId: account.id,
    kind: 'totp',
    label,
    data: { secret: await encryptSecret(secret, totpKeyring(config.keys)) },
    createdAt: now,
  });
  await auditOperatorAction(stores, who, { type: 'authenticator.enroll', accountId: account.id, factor: 'otp', authenticatorId: id });
  out(uri);
  out(`secret (for manual entry): ${secret}`);
  out(`note: this enrolment of "${label}" for ${account.username} is recorded in the audit log; hand the secret to the user over a secure channel, it is not shown again`);
}

export async function unlockUser(stores: Stores, _config: AppConfig, args: { username: string } & OperatorOptions, out: Out): Promise<void> {
  const who = operatorOfOptionalReason(args, OPERATOR_REASON);
  const account = await findAccount(stores, args.username);
  const cleared = await clearAccountLimits(stores.attempts, account.id);
  await auditOperatorAction(stores, who, { type: 'account.unlock', accountId: account.id, cleared });
  out(`unlocked ${account.username}: cleared ${cleared.pwd} failed password and ${cleared.otp} failed code attempts (recorded in the audit log)`);
}

export function registerUserCommands(program: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const user = program.command('user').description('manage user accounts');

  user
    .command('add')
    .description('create an account with a password')
    .argument('<username>', `unique, case-insensitive, at most ${MAX_USERNAME_LENGTH} characters`)
    .option('--password <password>', 'the password (visible in shell history and process lists; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input (its final line break is dropped)')
    .action((username: string, options: PasswordOptions) =>
      run(async (stores, config) => addUser(stores, config, { username, password: await passwordFromOptions(options, readPasswordFromStdin) }, out)),
    );

  user
    .command('list')
    .description('list accounts: username, id, creation time, enrolled factors')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => run((stores, config) => listUsers(stores, config, options, out)));

  registerShowCommand(user, run, out);
  registerSessionCommands(user, run, out);

  addOperatorOptions(
    user
      .command('totp-enroll')
      .description('enrol a TOTP authenticator for a user and print its otpauth:// URI and secret (recorded in the audit log)')
      .argument('<username>')
      .option('--label <name>', `the authenticator's name shown to the user (default "${DEFAULT_TOTP_LABEL}")`),
    false,
  ).action((username: string, options: { label?: string } & OperatorOptions) => run((stores, config) => enrollTotp(stores, config, { username, ...options }, out)));

  addOperatorOptions(
    user.command('unlock').description("clear a user's failed password, code and recovery code attempts, ending any back-off or lock (recorded in the audit log)").argument('<username>'),
    false,
  ).action((username: string, options: OperatorOptions) => run((stores, config) => unlockUser(stores, config, { username, ...options }, out)));

  registerLifecycleCommands(user, run, out);
}

function checkUsername(username: string): string {
  if (username.trim() === '') throw new CliError('invalid_input', 'the username must not be empty');
  if (username !== username.trim()) throw new CliError('invalid_input', 'the username must not start or end with spaces');
  if (username.length > MAX_USERNAME_LENGTH) throw new CliError('invalid_input', `the username is longer than ${MAX_USERNAME_LENGTH} characters`);
  if (/\p{Cc}/u.test(username)) throw new CliError('invalid_input', 'the username must not contain control characters');
  return username;
}

function duplicate(username: string): CliError {
  return new CliError('conflict', `a user named "${username}" already exists (usernames are case-insensitive)`);
}
