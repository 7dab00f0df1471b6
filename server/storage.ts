// Opens the configured storage: the embedded SQLite file under the data directory.
import { join } from 'node:path';
import type { Stores } from '../adapters/types.ts';
import { openSqliteStores } from '../adapters/sqlite/index.ts';
import type { AppConfig } from '../config/index.ts';

export async function openStores(config: AppConfig): Promise<Stores> {
  return openSqliteStores({ file: join(config.dataDir, 'stepup.sqlite') });
}
