// `stepup audit list | query | export | verify`: read the hash-chained audit log, export it, check the chain.
import { open } from 'node:fs/promises';
import type { Command } from 'commander';
import type { AuditOutcome, AuditQuery, ChainedAuditEvent, StoredAuditEvent, Stores } from '../adapters/types.ts';
import { MAX_AUDIT_LIMIT } from '../adapters/audit-limit.ts';
import { CHAIN_PAGE_SIZE } from '../adapters/audit-chain.ts';
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
  const limit = checkedLimit(args.limit ?? DEFAULT_LIMIT);
  const accountId = await accountIdOf(stores, args.account);
  const events = await stores.audit.list({ accountId, type: args.type, limit });
  if (args.json) return out(JSON.stringify(events, null, 2));
  if (events.length === 0) return out('no audit events');
  const usernames = new Map((await stores.accounts.list()).map((account) => [account.id, account.username]));
  columns(events.map((event) => row(event, usernames))).forEach((line) => out(line));
}

export interface QueryAuditArgs {
  /** A username. */
  account?: string;
  client?: string;
  outcome?: string;
  type?: string;
  /** An ISO 8601 time or epoch milliseconds, inclusive. */
  since?: string;
  /** An ISO 8601 time or epoch milliseconds, inclusive. */
  until?: string;
  limit?: number;
}

const OUTCOMES: ReadonlyArray<AuditOutcome> = ['success', 'failure', 'info'];

/** Matching events, oldest first, one JSON object per line with their seq and hash. */
export async function queryAudit(stores: Stores, _config: AppConfig, args: QueryAuditArgs, out: Out): Promise<void> {
  const outcome = args.outcome as AuditOutcome | undefined;
  if (outcome !== undefined && !OUTCOMES.includes(outcome)) {
    throw new CliError('invalid_input', `--outcome must be one of ${OUTCOMES.join(', ')}`);
  }
  const filter: AuditQuery = {
    accountId: await accountIdOf(stores, args.account),
    clientId: args.client,
    outcome,
    type: args.type,
    from: timeOf('--since', args.since),
    to: timeOf('--until', args.until),
    limit: checkedLimit(args.limit ?? DEFAULT_LIMIT),
  };
  for (const entry of await stores.audit.query(filter)) out(jsonLine(entry));
}

/** Every event, in chain order, as JSON lines in `file` (replaced if it exists): for a SIEM. */
export async function exportAudit(stores: Stores, _config: AppConfig, args: { out: string }, out: Out): Promise<void> {
  const file = await open(args.out, 'w', 0o600);
  let count = 0;
  try {
    for (let afterSeq = 0; ;) {
      const page = await stores.audit.readChain(afterSeq, CHAIN_PAGE_SIZE);
      if (page.length > 0) await file.write(page.map((entry) => `${jsonLine(entry)}\n`).join(''));
      count += page.length;
      if (page.length < CHAIN_PAGE_SIZE) break;
      afterSeq = page[page.length - 1]!.seq;
    }
  } finally {
    await file.close();
  }
  out(`exported ${count} audit events to ${args.out}`);
}

/** Recomputes the hash chain: "chain intact", or an error naming the first broken seq (exit code 1). */
export async function verifyAudit(stores: Stores, _config: AppConfig, _args: object, out: Out): Promise<void> {
  const result = await stores.audit.verify();
  if (!result.ok) throw new CliError('conflict', `audit chain broken at seq ${result.seq}: ${result.reason}`);
  out(`chain intact: ${result.count} events`);
}

/** The event with its seq, hash version and hash: without `hash`, exactly what the hash covers (adapters/audit-chain.ts). */
function jsonLine({ seq, v, hash, event }: ChainedAuditEvent): string {
  return JSON.stringify({ seq, v, ...event, hash });
}

function checkedLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_AUDIT_LIMIT) {
    throw new CliError('invalid_input', `--limit must be a whole number from 1 to ${MAX_AUDIT_LIMIT}`);
  }
  return limit;
}

async function accountIdOf(stores: Stores, username: string | undefined): Promise<string | undefined> {
  if (username === undefined) return undefined;
  const account = await stores.accounts.findByUsername(username);
  if (!account) throw new CliError('not_found', `no user named "${username}"`);
  return account.id;
}

/** Epoch milliseconds from digits, or from an ISO 8601 date or time. */
function timeOf(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const time = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(time)) throw new CliError('invalid_input', `${option} must be an ISO 8601 time or epoch milliseconds`);
  return time;
}

/** time, type, outcome, account, client, requested acr, achieved acr and how, amr, factors, operation, operator (and approver), reason. */
function row(event: StoredAuditEvent, usernames: Map<string, string>): string[] {
  return [
    isoTime(event.at),
    event.type,
    event.outcome,
    `account=${orDash(event.accountId && (usernames.get(event.accountId) ?? event.accountId))}`,
    `client=${orDash(event.clientId)}`,
    `requested=${orDash(event.requestedAcr?.join(','))}`,
    `achieved=${orDash(event.achievedAcr)}${event.satisfaction ? ` (${event.satisfaction})` : ''}`,
    `amr=${orDash(event.amr?.join(','))}`,
    `factors=${orDash(event.factors?.join(','))}`,
    // An approved operation (RFC 9396): its types and the start of its hash (the full hash with --json).
    `operation=${orDash(event.operation && `${event.operation.types.join(',')}#${event.operation.hash.slice(0, 12)}`)}`,
    `operator=${orDash(event.operator)}${event.approvedBy !== undefined ? ` approvedBy=${event.approvedBy}` : ''}`,
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

  audit
    .command('query')
    .description('print matching audit events as JSON lines, oldest first, with their seq and hash')
    .option('--account <username>', 'only the events of this user')
    .option('--client <client_id>', 'only the events of this client')
    .option('--outcome <outcome>', `only events with this outcome (${OUTCOMES.join(', ')})`)
    .option('--type <type>', 'only events of this type')
    .option('--since <time>', 'only events at or after this time (ISO 8601 or epoch milliseconds)')
    .option('--until <time>', 'only events at or before this time (ISO 8601 or epoch milliseconds)')
    .option('--limit <n>', `at most this many events (default ${DEFAULT_LIMIT}, at most ${MAX_AUDIT_LIMIT})`, Number)
    .action((options: QueryAuditArgs) => run((stores, config) => queryAudit(stores, config, options, out)));

  audit
    .command('export')
    .description('write every audit event, in chain order, as JSON lines (for a SIEM)')
    .requiredOption('--out <file>', 'the file to write (replaced if it exists)')
    .action((options: { out: string }) => run((stores, config) => exportAudit(stores, config, options, out)));

  audit
    .command('verify')
    .description('recompute the audit hash chain; exit 1 naming the first broken seq')
    .action(() => run((stores, config) => verifyAudit(stores, config, {}, out)));
}
