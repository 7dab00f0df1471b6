// Every coded error is a CodedError that keeps its own name, code, extra fields and cause.
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../adapters/types.ts';
import { AuthError, SecretBoxError } from '../../authenticators/errors.ts';
import { CliError } from '../../cli/errors.ts';
import { CodedError } from '../../errors/coded-error.ts';
import { PolicyError } from '../../policy/errors.ts';
import { CodedError as PackageCodedError } from '../../resource-server/coded-error.ts';
import { GuardConfigError, GuardError } from '../../resource-server/errors.ts';

describe('the provider errors', () => {
  it.each([
    ['StoreError', new StoreError('conflict', 'taken'), 'conflict'],
    ['PolicyError', new PolicyError('invalid_request', 'bad'), 'invalid_request'],
    ['CliError', new CliError('not_found', 'no such user'), 'not_found'],
    ['AuthError', new AuthError('locked', 'locked'), 'locked'],
    ['SecretBoxError', new SecretBoxError('unknown_key', 'no key'), 'unknown_key'],
  ])('%s is an Error and a CodedError with its own name and code', (name, error, code) => {
    expect(error).toBeInstanceOf(Error);
    expect(error).toBeInstanceOf(CodedError);
    expect(error).toMatchObject({ name, code });
    expect(String(error)).toMatch(new RegExp(`^${name}: `));
  });

  it('an AuthError keeps retryAfter and limit, set only when given', () => {
    expect(new AuthError('throttled', 'wait', 30, 'address')).toMatchObject({ code: 'throttled', retryAfter: 30, limit: 'address' });
    expect(new AuthError('invalid_credentials', 'no')).not.toHaveProperty('retryAfter', expect.anything());
  });

  it('a SecretBoxError keeps its cause', () => {
    const cause = new Error('bad tag');
    expect(new SecretBoxError('undecryptable', 'cannot open', { cause }).cause).toBe(cause);
  });

  it('the classes stay apart: a StoreError is no AuthError', () => {
    expect(new StoreError('conflict', 'taken')).not.toBeInstanceOf(AuthError);
  });
});

describe('the guard errors (their own copy of the base: the package imports nothing outside its folder)', () => {
  it('a GuardError carries its code, status, bearer error and cause', () => {
    const cause = new Error('socket');
    const error = new GuardError('provider_unavailable', 'down', { cause });
    expect(error).toBeInstanceOf(PackageCodedError);
    expect(error).toMatchObject({ name: 'GuardError', code: 'provider_unavailable', status: 503, error: 'temporarily_unavailable', cause });
  });

  it('a GuardConfigError has the code invalid_configuration', () => {
    expect(new GuardConfigError('no issuer')).toMatchObject({ name: 'GuardConfigError', code: 'invalid_configuration', message: 'no issuer' });
  });
});
