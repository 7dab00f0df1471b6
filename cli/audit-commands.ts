// `stepup audit list`: the audit log, newest first, filtered by account and event type.
import type { Command } from 'commander';
import type { AuditEvent, Stores } from '../adapters/types.ts';
import { MAX_AUDIT_LIMIT } from '../adapters/audit-limit.ts';
import type { AppConfig } from '../config/index.ts';
import { CliError } from './errors.ts';
import { columns, isoTime, orDash } from './format.ts';
import type { Out, StoreAction } from './run.ts';

export interface ListAuditArgs {
  /** A username. */
  account?: string;
  type?: string;
  limit?: number;
  json?: boolean;
}

const DEFAULT_LIMIT = 50;

export async function listAudit(stores: Stores, _config: AppConfig, args: ListAuditArgs, out: Out): Promise<void> {
  const limit = args.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) {
    throw new CliError('invalid_input', `--limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
  }
  let accountId: string | undefined;
  if (args.account !== undefined) {
    const account = await stores.accounts.findByUsername(args.account);
    if (!account) throw new CliError('not_found', `no user named "${args.account}"`);
    accountId = account.id;
  }
  const events = await stores.audit.list({ accountId, type: args.type, limit });
  if (args.json) return out(JSON.stringify(events, null, 2));
  if (events.length === 0) return out('no audit events');
  const usernames = new Map((await stores.accounts.list()).map((account) => [account.id, account.username]));
  columns(events.map((event) => row(event, usernames))).forEach((line) => out(line));
}

/** time, type, outcome, account, client, requested acr, achieved acr, amr, reason. */
function row(event: AuditEvent, usernames: Map<string, string>): string[] {
  return [
    isoTime(event.at),
    event.type,
    event.outcome,
    `account=${orDash(event.accountId && (usernames.get(event.accountId) ?? event.accountId))}`,
    `client=${orDash(event.clientId)}`,
    `requested=${orDash(event.requestedAcr?.join(','))}`,
    `achieved=${orDash(event.achievedAcr)}`,
    `amr=${orDash(event.amr?.join(','))}`,
    `reason=${orDash(event.reason)}`,
  ];
}

export function registerAuditCommands(program: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const audit = program.command('audit').description('read the audit log of sign-ins, step-ups and operator actions');

  audit
    .command('list')
    .description('list audit events, newest first')
    .option('--account <username>', 'only the events of this user')
    .option('--type <type>', 'only events of this type (e.g. factor.verify, authenticator.enroll, account.unlock)')
    .option('--limit <n>', `at most this many events (default ${DEFAULT_LIMIT}, at most ${MAX_AUDIT_LIMIT})`, Number)
    .option('--json', 'machine-readable output')
    .action((options: ListAuditArgs) => run((stores, config) => listAudit(stores, config, options, out)));
}
