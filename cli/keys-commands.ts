// `stepup keys generate`: fresh key material for production, printed as shell `export` lines.
import type { Command } from 'commander';
import { generateKeyMaterial, serializeKeys } from '../config/keys.ts';
import { shellQuote } from './format.ts';
import type { Out } from './run.ts';

/** Needs neither configuration nor stores: it must work before a production configuration exists. */
export async function generateKeys(out: Out): Promise<void> {
  const { jwks, cookieKeys, totpKeys } = serializeKeys(await generateKeyMaterial());
  out('# Keys of the step-up provider: token signing (STEPUP_JWKS), cookie signing (STEPUP_COOKIE_KEYS), TOTP secret encryption (STEPUP_TOTP_KEYS).');
  out('# They must be identical on every instance and kept secret: whoever holds them can forge tokens and sessions and read TOTP secrets.');
  out('# Losing STEPUP_TOTP_KEYS makes enrolled TOTP authenticators unusable; to rotate a key, put the new one first and keep the old ones after it.');
  out(`export STEPUP_JWKS=${shellQuote(jwks)}`);
  out(`export STEPUP_COOKIE_KEYS=${shellQuote(cookieKeys)}`);
  out(`export STEPUP_TOTP_KEYS=${shellQuote(totpKeys)}`);
}

export function registerKeysCommands(program: Command, out: Out): void {
  const keys = program.command('keys').description('key material shared by every instance');

  keys
    .command('generate')
    .description('print new STEPUP_JWKS, STEPUP_COOKIE_KEYS and STEPUP_TOTP_KEYS as shell export lines (e.g. > stepup-keys.env, mode 600)')
    .action(() => generateKeys(out));
}
