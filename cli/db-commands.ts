// `stepup db ...`: bring the storage's schema (SQLite migrations, MongoDB indexes) up to date, or show how far it is.
import type { Command } from 'commander';
import { storageEngine } from '../adapters/engines.ts';
import type { SchemaRefusal } from '../adapters/storage-engine.ts';
import type { AppConfig } from '../config/index.ts';
import { loadConfig } from '../config/index.ts';
import { CliError } from './errors.ts';
import type { Out } from './run.ts';

/** Creates what is missing and reports it; safe to run again, and while instances are running. */
export async function migrateDatabase(config: AppConfig, out: Out): Promise<void> {
  const { where, applied, present, refused } = await storageEngine(config.storage).migrate();
  out(`${where}: ${applied.length} applied, ${present.length} already present${refusedCount(refused)}`);
  for (const name of applied) out(`  + ${name}`);
  printRefused(refused, out);
}

/** Prints what `db migrate` would do; fails (exit 1) unless the storage is up to date, so scripts can check. */
export async function databaseStatus(config: AppConfig, out: Out): Promise<void> {
  const { where, pending, present, conflicting, refused } = await storageEngine(config.storage).status();
  out(`${where}: ${present.length} present, ${pending.length} pending, ${conflicting.length} conflicting${refusedCount(refused)}`);
  for (const name of pending) out(`  missing     ${name}`);
  for (const name of conflicting) out(`  conflicting ${name} (exists with other keys or options: drop it, then run db migrate)`);
  printRefused(refused, out);
  if (pending.length + conflicting.length > 0) {
    throw new CliError('conflict', conflicting.length > 0 ? 'the storage has conflicting indexes' : 'the storage is not up to date: run `db migrate`');
  }
}

function refusedCount(refused: SchemaRefusal[]): string {
  return refused.length > 0 ? `, ${refused.length} refused by the server` : '';
}

/** Each refused index with the server's reason, then what holds without them (once per kind of index). */
function printRefused(refused: SchemaRefusal[], out: Out): void {
  for (const { name, reason } of refused) out(`  refused     ${name} (${reason})`);
  for (const fallback of new Set(refused.map((refusal) => refusal.fallback))) out(`  instead:    ${fallback}`);
}

export function registerDbCommands(program: Command, out: Out): void {
  const db = program.command('db').description('the storage schema: SQLite migrations, or MongoDB collections and indexes (MONGODB_URI)');

  db.command('migrate')
    .description('create missing tables or indexes (production never creates MongoDB indexes at start: run this first)')
    .action(async () => migrateDatabase(await loadConfig(), out));

  db.command('status')
    .description('show what db migrate would create; exit code 1 unless everything is in place')
    .action(async () => databaseStatus(await loadConfig(), out));
}
