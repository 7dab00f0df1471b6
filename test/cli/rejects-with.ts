// The CLI tests' assertion for a refused command: a CliError with this code and a message that says why.
import { expect } from 'vitest';
import { CliError } from '../../cli/errors.ts';

export async function rejectsWith(promise: Promise<unknown>, code: CliError['code'], message: RegExp): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CliError);
  expect(error).toMatchObject({ code, message: expect.stringMatching(message) });
}
