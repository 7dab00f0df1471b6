// Runs a command with the server's configuration and stores, and turns errors into a message and an exit code.
import type { Stores } from '../adapters/types.ts';
import { StoreError } from '../adapters/types.ts';
import { AuthError, SecretBoxError } from '../authenticators/index.ts';
import { ConfigError, loadConfig, type AppConfig } from '../config/index.ts';
import { openStores } from '../server/storage.ts';
import { CliError } from './errors.ts';

/** Where a command writes its output, one line per call. */
export type Out = (line: string) => void;

export type StoreAction = (stores: Stores, config: AppConfig) => Promise<void>;

/** Loads the configuration from the environment exactly like the server, opens the stores, and always closes them. */
export async function withStores(action: StoreAction, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = await loadConfig(env);
  const stores = await openStores(config);
  try {
    await action(stores, config);
  } finally {
    await stores.close();
  }
}

/** EX_CONFIG from sysexits.h, as the server uses. */
const EXIT_CONFIG = 78;

/** Prints the error on stderr and returns the exit code: expected errors get one line, anything else its stack. */
export function reportError(error: unknown, err: Out): number {
  if (error instanceof ConfigError) {
    err(`configuration error: ${error.message}`);
    return EXIT_CONFIG;
  }
  if (error instanceof CliError || error instanceof StoreError || error instanceof AuthError || error instanceof SecretBoxError) {
    err(`error: ${error.message}`);
    return 1;
  }
  err(error instanceof Error ? (error.stack ?? error.message) : String(error));
  return 1;
}
