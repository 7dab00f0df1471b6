// A password given to the CLI: from exactly one of --password and --password-stdin, checked like the sign-in page's.
import { MAX_PASSWORD_LENGTH } from '../authenticators/index.ts';
import { CliError } from './errors.ts';

/** Far more than any password we accept; stops `--password-stdin < big-file` early. */
const MAX_STDIN_BYTES = 64 * 1024;

export interface PasswordOptions {
  password?: string;
  passwordStdin?: boolean;
}

/** Exactly one of `--password` and `--password-stdin`. */
export async function passwordFromOptions(options: PasswordOptions, readStdin: () => Promise<string>): Promise<string> {
  if ((options.password !== undefined) === Boolean(options.passwordStdin)) {
    throw new CliError('invalid_input', 'give exactly one of --password <password> and --password-stdin');
  }
  return options.password ?? (await readStdin());
}

export function checkPassword(password: string): void {
  if (password.length === 0) throw new CliError('invalid_input', 'the password must not be empty');
  if (password.length > MAX_PASSWORD_LENGTH) throw new CliError('invalid_input', `the password is longer than ${MAX_PASSWORD_LENGTH} characters`);
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
