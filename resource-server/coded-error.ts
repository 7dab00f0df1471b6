// The base of GuardError and GuardConfigError, a copy of the provider's errors/coded-error.ts: this package is published alone and imports nothing outside its folder.
export class CodedError<C extends string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
