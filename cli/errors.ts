// Errors an operator can fix: printed as one line on stderr, exit code 1, never a stack trace.
import { CodedError } from '../errors/coded-error.ts';

export type CliErrorCode = 'invalid_input' | 'conflict' | 'not_found';

export class CliError extends CodedError<CliErrorCode> {}
