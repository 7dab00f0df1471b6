// The operator CLI `stepup`: same configuration (environment) and storage as the server.
import { Command } from 'commander';
import { environmentHelp } from '../config/settings-docs.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerDbCommands } from './db-commands.ts';
import { registerKeysCommands } from './keys-commands.ts';
import { registerResourceCommands } from './resource-commands.ts';
import { reportError, withStores, type Out } from './run.ts';
import { registerUserCommands } from './user-commands.ts';

const ENVIRONMENT_HELP = `
Configuration comes from the environment, exactly as for the server; use the server's values (TOTP secrets
are encrypted with STEPUP_TOTP_KEYS).

${environmentHelp()}

Commands that change an account (user sessions revoke, disable, enable, remove-authenticator, password,
reset, delete) refuse to run without --reason <text>; the reason and the operator (--operator <name>,
default: the OS user) are recorded in the audit log.

Exit codes: 0 success, 1 error, 78 configuration error.`;

export function buildProgram(out: Out): Command {
  const program = new Command()
    .name('stepup')
    .description('Operate the step-up OpenID Connect provider: users and their lifecycle, clients, resource servers, keys and the audit log.')
    .showHelpAfterError()
    .addHelpText('after', ENVIRONMENT_HELP);
  registerUserCommands(program, withStores, out);
  registerClientCommands(program, withStores, out);
  registerResourceCommands(program, withStores, out);
  registerKeysCommands(program, out);
  registerAuditCommands(program, withStores, out);
  registerDbCommands(program, out);
  return program;
}

const out: Out = (line) => void process.stdout.write(`${line}\n`);
const err: Out = (line) => void process.stderr.write(`${line}\n`);

try {
  await buildProgram(out).parseAsync(process.argv);
} catch (error) {
  process.exitCode = reportError(error, err);
}
