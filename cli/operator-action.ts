// What every operator change to an account shares: who runs it and why (checked before anything changes), cutting
// off the account's sessions, grants and tokens, and the one audit event it writes.
import { userInfo } from 'node:os';
import type { Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { revokeAccountAccess } from '../server/account-revocation.ts';
import type { Revocation } from '../stepup/revocation.ts';
import { operatorEvent, type OperatorAction } from '../stepup/audit.ts';
import { systemClock } from '../server/clock.ts';
import { CliError } from './errors.ts';
import { count } from './format.ts';
import type { Out } from './run.ts';

export interface OperatorOptions {
  operator?: string;
  reason?: string;
}

export interface Operator {
  operator: string;
  reason: string;
  /** The second operator who approved, where one is required. */
  approvedBy?: string;
}

export const MAX_NAME_LENGTH = 100;
export const MAX_REASON_LENGTH = 500;

/** The operator (--operator, else the OS user) and the mandatory --reason; throws CliError('invalid_input') otherwise. */
export function operatorOf(options: OperatorOptions): Operator {
  if (options.reason === undefined || options.reason.trim() === '') {
    throw new CliError('invalid_input', 'missing --reason <text>: say why you are doing this (it is recorded in the audit log)');
  }
  return { operator: operatorName(options.operator), reason: checkedText('--reason', options.reason, MAX_REASON_LENGTH) };
}

/** For commands that predate --reason: it is optional (but checked when given), `fallback` otherwise. */
export function operatorOfOptionalReason(options: OperatorOptions, fallback: string): Operator {
  const reason = options.reason === undefined ? fallback : checkedText('--reason', options.reason, MAX_REASON_LENGTH);
  return { operator: operatorName(options.operator), reason };
}

/** --operator if given, else the OS user running the command. */
function operatorName(given: string | undefined): string {
  if (given !== undefined) return checkedText('--operator', given, MAX_NAME_LENGTH);
  let name = '';
  try {
    name = userInfo().username;
  } catch {
    // A uid without a passwd entry (some containers): the operator has to say who they are.
  }
  if (name.trim() === '') throw new CliError('invalid_input', 'cannot tell who you are from the OS user: give --operator <name>');
  return name;
}

/** Trimmed, not blank, one line, at most `max` characters. */
export function checkedText(option: string, value: string, max: number): string {
  const text = value.trim();
  if (text === '') throw new CliError('invalid_input', `${option} must not be blank`);
  if (text.length > max) throw new CliError('invalid_input', `${option} is longer than ${max} characters`);
  if (/\p{Cc}/u.test(text)) throw new CliError('invalid_input', `${option} must be one line without control characters`);
  return text;
}

/**
 * Ends every session of the account, revokes its grants and tokens and tells relying parties with a back-channel
 * logout URI. oidc-provider is loaded only here: the commands that only read do not need it.
 */
export async function cutOff(stores: Stores, config: AppConfig, accountId: string): Promise<Revocation> {
  const { buildProvider } = await import('../server/provider.ts');
  return revokeAccountAccess({ provider: buildProvider({ config, stores }), stores, now: systemClock }, accountId);
}

/** "ended 2 sessions, revoked 3 grants and 5 tokens, notified 1 relying party". */
export function describeCutOff(revoked: Revocation): string {
  return [
    `ended ${count(revoked.sessions, 'session')}`,
    `revoked ${count(revoked.grants, 'grant')} and ${count(revoked.tokens, 'token')}`,
    `notified ${count(revoked.notified, 'relying party', 'relying parties')}`,
  ].join(', ');
}

/** One line per relying party that refused or did not answer its logout token (its sessions are ended anyway). */
export function reportFailedNotices(revoked: Revocation, out: Out): void {
  for (const failure of revoked.failed) {
    out(`note: relying party ${failure.clientId} did not accept the back-channel logout (${failure.error}); its sessions were ended anyway`);
  }
}

/** The audit event of an operator command: who, why, who approved, and what was cut off (without the failures). */
export async function auditOperatorAction(stores: Stores, who: Operator, action: OperatorAction): Promise<void> {
  await stores.audit.append(operatorEvent(systemClock, who, action));
}
