// The operator CLI `stepup`: same configuration (environment) and storage as the server.
import { Command } from 'commander';
import { registerAuditCommands } from './audit-commands.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerDbCommands } from './db-commands.ts';
import { registerKeysCommands } from './keys-commands.ts';
import { reportError, withStores, type Out } from './run.ts';
import { registerUserCommands } from './user-commands.ts';

const ENVIRONMENT_HELP = `
Configuration comes from the environment, exactly as for the server:
  DATA_DIR          directory of the SQLite database (default: data)
  MONGODB_URI       use MongoDB instead of SQLite (mongodb:// or mongodb+srv://)
  MONGODB_DB        the MongoDB database name (default: stepup)
  NODE_ENV          development (default) | production | test
  ISSUER            the provider's public URL (TOTP URIs name its host)
  STEPUP_POLICY_FILE, STEPUP_SCRYPT_N, STEPUP_JWKS, STEPUP_COOKIE_KEYS, STEPUP_TOTP_KEYS
                    as for the server; TOTP secrets are encrypted with STEPUP_TOTP_KEYS,
                    so use the server's values.

Commands that change an account (user sessions revoke, disable, enable, remove-authenticator, password,
reset, delete) refuse to run without --reason <text>; the reason and the operator (--operator <name>,
default: the OS user) are recorded in the audit log.

Exit codes: 0 success, 1 error, 78 configuration error.`;

export function buildProgram(out: Out): Command {
  const program = new Command()
    .name('stepup')
    .description('Operate the step-up OpenID Connect provider: users and their lifecycle, clients, keys and the audit log.')
    .showHelpAfterError()
    .addHelpText('after', ENVIRONMENT_HELP);
  registerUserCommands(program, withStores, out);
  registerClientCommands(program, withStores, out);
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
