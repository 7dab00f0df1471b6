// `stepup user sessions <u>` lists a user's live sessions; `user sessions revoke <u>` ends them all and revokes tokens.
import type { Command } from 'commander';
import type { SessionSummary, Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { systemClock } from '../server/clock.ts';
import { findAccount } from './find-account.ts';
import { columns, isoTime, orDash } from './format.ts';
import { auditOperatorAction, cutOff, describeCutOff, operatorOf, reportFailedNotices, type OperatorOptions } from './operator-action.ts';
import { addOperatorOptions } from './operator-options.ts';
import type { Out, StoreAction } from './run.ts';

/** A session as the CLI shows it, times in ISO 8601. */
export function sessionView(session: SessionSummary) {
  return {
    uid: session.uid,
    loginAt: session.loginTs !== undefined ? isoTime(session.loginTs * 1000) : null,
    expiresAt: session.expiresAt !== undefined ? isoTime(session.expiresAt * 1000) : null,
    clients: session.clients.map((client) => client.clientId),
  };
}

/** uid, login time, expiry, clients signed in to. */
export function sessionRows(sessions: SessionSummary[]): string[] {
  return columns(sessions.map(sessionView).map((session) => [session.uid, `login ${orDash(session.loginAt)}`, `expires ${orDash(session.expiresAt)}`, `clients ${orDash(session.clients.join(','))}`]));
}

export async function listSessions(stores: Stores, _config: AppConfig, args: { username: string; json?: boolean }, out: Out): Promise<void> {
  const account = await findAccount(stores, args.username);
  const sessions = await stores.sessions.list(account.id, systemClock());
  if (args.json) return out(JSON.stringify(sessions.map(sessionView), null, 2));
  if (sessions.length === 0) return out(`${account.username} has no live sessions`);
  sessionRows(sessions).forEach((line) => out(line));
}

export async function revokeSessions(stores: Stores, config: AppConfig, args: { username: string } & OperatorOptions, out: Out): Promise<void> {
  const who = operatorOf(args);
  const account = await findAccount(stores, args.username);
  const revoked = await cutOff(stores, config, account.id);
  await auditOperatorAction(stores, who, { type: 'account.sessions_revoked', accountId: account.id, revoked });
  out(`revoked the sessions of ${account.username}: ${describeCutOff(revoked)} (recorded in the audit log)`);
  reportFailedNotices(revoked, out);
}

export function registerSessionCommands(user: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const sessions = user
    .command('sessions')
    .description("list a user's live sessions: uid, login time, expiry, clients (or `sessions revoke <username>`)")
    .argument('<username>')
    .option('--json', 'machine-readable output')
    .action((username: string, options: { json?: boolean }) => run((stores, config) => listSessions(stores, config, { username, ...options }, out)));

  addOperatorOptions(
    sessions.command('revoke').description("end all of a user's sessions, revoke their grants and tokens and tell relying parties (back-channel logout)").argument('<username>'),
  ).action((username: string, options: OperatorOptions) => run((stores, config) => revokeSessions(stores, config, { username, ...options }, out)));
}
