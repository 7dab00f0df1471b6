// The base of our own errors: a code from a closed union that callers switch on (never the message); imports nothing, so every layer may use it.
export class CodedError<C extends string> extends Error {
  readonly code: C;
  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}
