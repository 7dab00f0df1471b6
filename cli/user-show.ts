// `stepup user show <u>`: one account as an operator needs it: status, factors, recovery codes, sessions, lock state.
import type { Command } from 'commander';
import type { AttemptStore, AuthenticatorRecord, Stores } from '../adapters/types.ts';
import { attemptKeys, backoffDelay, type LimiterPolicy } from '../authenticators/index.ts';
import type { AppConfig } from '../config/index.ts';
import { FACTOR_OF } from '../stepup/assessment.ts';
import { accountCeiling } from './account-ceiling.ts';
import { systemClock } from '../server/clock.ts';
import { findAccount } from './find-account.ts';
import { columns, isoTime, orDash } from './format.ts';
import type { Out, StoreAction } from './run.ts';
import { sessionRows, sessionView } from './session-commands.ts';
import { isCoolingOff } from '../policy/cool-off.ts';

const LIMITED = { password: attemptKeys.password, totp: attemptKeys.totp, recovery: attemptKeys.recovery } as const;
const LIMITED_NAMES: Record<keyof typeof LIMITED, string> = { password: 'password', totp: 'code', recovery: 'recovery code' };

const LABEL_WIDTH = 17;

const time = (epochSeconds: number | undefined): string | null => (epochSeconds === undefined ? null : isoTime(epochSeconds * 1000));

export async function showUser(stores: Stores, config: AppConfig, args: { username: string; json?: boolean }, out: Out): Promise<void> {
  const account = await findAccount(stores, args.username);
  const now = systemClock();
  const authenticators = await stores.authenticators.listByAccount(account.id);
  const codes = await stores.recoverySecrets.summary(account.id, 'code', now);
  const link = await stores.recoverySecrets.summary(account.id, 'link', now);
  const sessions = await stores.sessions.list(account.id, now);
  const view = {
    username: account.username,
    id: account.id,
    createdAt: time(account.createdAt),
    disabledAt: time(account.disabledAt),
    password: Boolean(account.passwordHash),
    highestLevel: accountCeiling(config.policy.ladder, account, authenticators)?.acr ?? null,
    authenticators: authenticators.map((authenticator) => authenticatorView(authenticator, now)),
    recoveryCodes: codes ? { remaining: codes.remaining, total: codes.total, createdAt: time(codes.createdAt) } : null,
    recoveryLink: link && link.remaining > 0 ? { createdAt: time(link.createdAt) } : null,
    sessions: sessions.map(sessionView),
    failedAttempts: await limits(stores.attempts, account.id, config.limiter, now),
  };
  if (args.json) return out(JSON.stringify(view, null, 2));

  const field = (label: string, value: string) => out(`${label.padEnd(LABEL_WIDTH)}${value}`);
  field('user', `${view.username} (id ${view.id})`);
  field('created', orDash(view.createdAt));
  field('status', view.disabledAt ? `disabled since ${view.disabledAt}` : 'enabled');
  field('highest level', `${orDash(view.highestLevel)}${authenticators.some((entry) => isCoolingOff(entry.coolOff, now)) ? ' (counting authenticators in cool-off)' : ''}`);
  field('password', view.password ? 'set' : 'none');
  field('authenticators', String(view.authenticators.length));
  columns(view.authenticators.map(authenticatorRow)).forEach((line) => out(`  ${line}`));
  const { recoveryCodes, recoveryLink } = view;
  field('recovery codes', recoveryCodes ? `${recoveryCodes.remaining} of ${recoveryCodes.total} left (made ${recoveryCodes.createdAt})` : 'none');
  field('recovery link', recoveryLink ? `issued ${recoveryLink.createdAt}, not used yet` : 'none');
  field('sessions', `${sessions.length} live`);
  sessionRows(sessions).forEach((line) => out(`  ${line}`));
  const failed = Object.entries(view.failedAttempts).map(([name, state]) => `${LIMITED_NAMES[name as keyof typeof LIMITED]} ${lockText(state, view.username)}`);
  field('failed attempts', failed.join(', '));
}

function authenticatorView(authenticator: AuthenticatorRecord, now: number) {
  const { coolOff } = authenticator;
  return {
    id: authenticator.id,
    kind: authenticator.kind,
    factor: FACTOR_OF[authenticator.kind] ?? null,
    label: authenticator.label,
    createdAt: time(authenticator.createdAt),
    lastUsedAt: time(authenticator.lastUsedAt),
    coolOff: coolOff ? { until: time(coolOff.until), cap: coolOff.cap, origin: coolOff.origin, active: isCoolingOff(coolOff, now) } : null,
  };
}

function authenticatorRow(view: ReturnType<typeof authenticatorView>): string[] {
  return [
    view.id,
    view.kind,
    JSON.stringify(view.label),
    `created ${orDash(view.createdAt)}`,
    `last used ${view.lastUsedAt ?? 'never'}`,
    view.coolOff?.active ? `cool-off until ${view.coolOff.until} (counts at most ${view.coolOff.cap})` : '',
  ];
}

interface LimitState {
  failures: number;
  locked: boolean;
  /** While a back-off holds: when the next guess is allowed. */
  waitUntil: string | null;
}

/** The consecutive wrong guesses per limited factor, with the lock and back-off they cause (authenticators/attempt-limiter.ts). */
async function limits(attempts: AttemptStore, accountId: string, policy: LimiterPolicy, now: number): Promise<Record<keyof typeof LIMITED, LimitState>> {
  const result = {} as Record<keyof typeof LIMITED, LimitState>;
  for (const [name, keyOf] of Object.entries(LIMITED) as Array<[keyof typeof LIMITED, (id: string) => string]>) {
    const failures = (await attempts.get(keyOf(accountId)))?.failures ?? 0;
    const guesses = await attempts.get(attemptKeys.guesses(keyOf(accountId)));
    const until = guesses ? guesses.lastFailureAt + backoffDelay(guesses.failures, policy) : 0;
    result[name] = { failures, locked: failures >= policy.lockAfter, waitUntil: until > now ? time(until) : null };
  }
  return result;
}

function lockText(state: LimitState, username: string): string {
  if (state.locked) return `${state.failures} (locked until \`stepup user unlock ${username}\`)`;
  return `${state.failures}${state.waitUntil ? ` (back-off until ${state.waitUntil})` : ''}`;
}

export function registerShowCommand(user: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  user
    .command('show')
    .description("one user's status, authenticators, recovery codes, live sessions and failed attempts (read-only)")
    .argument('<username>')
    .option('--json', 'machine-readable output')
    .action((username: string, options: { json?: boolean }) => run((stores, config) => showUser(stores, config, { username, ...options }, out)));
}
