// The --operator and --reason options every command that changes an account takes.
import type { Command } from 'commander';
import { MAX_REASON_LENGTH } from './operator-action.ts';

export function addOperatorOptions(command: Command, reasonRequired = true): Command {
  return command
    .option('--operator <name>', 'who runs the command, for the audit log (default: the OS user)')
    .option('--reason <text>', `${reasonRequired ? 'required: ' : ''}why, in at most ${MAX_REASON_LENGTH} characters (recorded in the audit log)`);
}
