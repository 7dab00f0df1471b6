// `stepup user ...`: create and list accounts, enrol a TOTP authenticator, clear failed-attempt counters.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { StoreError, type AuthenticatorKind, type Stores } from '../adapters/types.ts';
import {
  MAX_LABEL_LENGTH,
  MAX_PASSWORD_LENGTH,
  MAX_USERNAME_LENGTH,
  clearAccountLimits,
  encryptSecret,
  hashPassword,
  newTotpEnrollment,
} from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import { totpKeyring } from '../config/keys.ts';
import { CliError } from './errors.ts';
import { columns, isoTime } from './format.ts';
import type { Out, StoreAction } from './run.ts';
import { systemClock } from '../server/clock.ts';

export const OPERATOR_REASON = 'operator cli';
const DEFAULT_TOTP_LABEL = 'Authenticator app';
const FACTOR_OF: Record<AuthenticatorKind, string> = { totp: 'otp', passkey: 'passkey' };
/** Far more than any password we accept; stops `--password-stdin < big-file` early. */
const MAX_STDIN_BYTES = 64 * 1024;

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
    const kinds = new Set((await stores.authenticators.listByAccount(account.id)).map((a) => FACTOR_OF[a.kind] ?? a.kind));
    const factors = ['pwd', ...['otp', 'passkey'].filter((factor) => kinds.has(factor))];
    users.push({ username: account.username, id: account.id, createdAt: isoTime(account.createdAt * 1000), factors });
  }
  if (args.json) return out(JSON.stringify(users, null, 2));
  if (users.length === 0) return out('no users');
  columns(users.map((user) => [user.username, user.id, user.createdAt, user.factors.join(' ')])).forEach((line) => out(line));
}

export async function enrollTotp(stores: Stores, config: AppConfig, args: { username: string; label?: string }, out: Out): Promise<void> {
  const label = (args.label ?? DEFAULT_TOTP_LABEL).trim();
  if (label === '' || label.length > MAX_LABEL_LENGTH) throw new CliError('invalid_input', `the label must be 1 to ${MAX_LABEL_LENGTH} characters`);
  const account = await findAccount(stores, args.username);
  const { secret, uri } = newTotpEnrollment({ issuer: new URL(config.issuer).host, username: account.username });
  const now = systemClock();
  await stores.authenticators.add({
    id: randomUUID(),
    accountId: account.id,
    kind: 'totp',
    label,
    data: { secret: await encryptSecret(secret, totpKeyring(config.keys)) },
    createdAt: now,
  });
  await stores.audit.append({ at: Date.now(), type: 'authenticator.enroll', outcome: 'success', factor: 'otp', accountId: account.id, reason: OPERATOR_REASON });
  out(uri);
  out(`secret (for manual entry): ${secret}`);
  out(`note: this enrolment of "${label}" for ${account.username} is recorded in the audit log; hand the secret to the user over a secure channel, it is not shown again`);
}

export async function unlockUser(stores: Stores, _config: AppConfig, args: { username: string }, out: Out): Promise<void> {
  const account = await findAccount(stores, args.username);
  const cleared = await clearAccountLimits(stores.attempts, account.id);
  await stores.audit.append({ at: Date.now(), type: 'account.unlock', outcome: 'success', accountId: account.id, reason: OPERATOR_REASON });
  out(`unlocked ${account.username}: cleared ${cleared.pwd} failed password and ${cleared.otp} failed code attempts (recorded in the audit log)`);
}

/** Exactly one of `--password` and `--password-stdin`. */
export async function passwordFromOptions(options: { password?: string; passwordStdin?: boolean }, readStdin: () => Promise<string>): Promise<string> {
  if ((options.password !== undefined) === Boolean(options.passwordStdin)) {
    throw new CliError('invalid_input', 'give exactly one of --password <password> and --password-stdin');
  }
  return options.password ?? (await readStdin());
}

/** All of standard input without its final line break; typed without echo when it is a terminal. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  if (stdin.isTTY) return promptHidden(stdin);
  let text = '';
  stdin.setEncoding('utf8');
  for await (const chunk of stdin) {
    text += chunk as string;
    if (text.length > MAX_STDIN_BYTES) throw new CliError('invalid_input', `the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  return text.replace(/\r?\n$/, '');
}

function promptHidden(stdin: NodeJS.ReadStream): Promise<string> {
  process.stderr.write('password (not shown): ');
  return new Promise((resolve, reject) => {
    let typed = '';
    const done = (error?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
      if (error) reject(error);
      else resolve(typed);
    };
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') return done();
        if (char === '\u0003') return done(new CliError('invalid_input', 'cancelled'));
        if (char === '\u007f' || char === '\b') typed = typed.slice(0, -1);
        else typed += char;
      }
    };
    stdin.setEncoding('utf8');
    stdin.setRawMode(true);
    stdin.on('data', onData);
    stdin.resume();
  });
}

export function registerUserCommands(program: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const user = program.command('user').description('manage user accounts');

  user
    .command('add')
    .description('create an account with a password')
    .argument('<username>', `unique, case-insensitive, at most ${MAX_USERNAME_LENGTH} characters`)
    .option('--password <password>', 'the password (visible in shell history and process lists; prefer --password-stdin)')
    .option('--password-stdin', 'read the password from standard input (its final line break is dropped)')
    .action((username: string, options: { password?: string; passwordStdin?: boolean }) =>
      run(async (stores, config) => addUser(stores, config, { username, password: await passwordFromOptions(options, readPasswordFromStdin) }, out)),
    );

  user
    .command('list')
    .description('list accounts: username, id, creation time, enrolled factors')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => run((stores, config) => listUsers(stores, config, options, out)));

  user
    .command('totp-enroll')
    .description('enrol a TOTP authenticator for a user and print its otpauth:// URI and secret (recorded in the audit log)')
    .argument('<username>')
    .option('--label <name>', `the authenticator's name shown to the user (default "${DEFAULT_TOTP_LABEL}")`)
    .action((username: string, options: { label?: string }) => run((stores, config) => enrollTotp(stores, config, { username, ...options }, out)));

  user
    .command('unlock')
    .description("clear a user's failed password and code attempts, ending any back-off or lock (recorded in the audit log)")
    .argument('<username>')
    .action((username: string) => run((stores, config) => unlockUser(stores, config, { username }, out)));
}

function checkUsername(username: string): string {
  if (username.trim() === '') throw new CliError('invalid_input', 'the username must not be empty');
  if (username !== username.trim()) throw new CliError('invalid_input', 'the username must not start or end with spaces');
  if (username.length > MAX_USERNAME_LENGTH) throw new CliError('invalid_input', `the username is longer than ${MAX_USERNAME_LENGTH} characters`);
  if (/\p{Cc}/u.test(username)) throw new CliError('invalid_input', 'the username must not contain control characters');
  return username;
}

function checkPassword(password: string): void {
  if (password.length === 0) throw new CliError('invalid_input', 'the password must not be empty');
  if (password.length > MAX_PASSWORD_LENGTH) throw new CliError('invalid_input', `the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
}

async function findAccount(stores: Stores, username: string) {
  const account = await stores.accounts.findByUsername(username);
  if (!account) throw new CliError('not_found', `no user named "${username}"`);
  return account;
}

function duplicate(username: string): CliError {
  return new CliError('conflict', `a user named "${username}" already exists (usernames are case-insensitive)`);
}
