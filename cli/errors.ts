// Errors an operator can fix: printed as one line on stderr, exit code 1, never a stack trace.
export type CliErrorCode = 'invalid_input' | 'conflict' | 'not_found';

export class CliError extends Error {
  readonly code: CliErrorCode;
  constructor(code: CliErrorCode, message: string) {
    super(message);
    this.name = 'CliError';
    this.code = code;
  }
}
