// `stepup keys ...`: fresh key material for production, and signing-key rotation, printed as shell `export` lines.
import type { Command } from 'commander';
import type { ResourceRecord } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { generateKeyMaterial, parseJwks, serializeKeys } from '../config/keys.ts';
import { CliError } from './errors.ts';
import { shellQuote } from './format.ts';
import { addSigningKeys, longestSignedTokenLifetime, promoteSigningKeys, retireSigningKeys, type Jwks } from './jwks-rotation.ts';
import { withStores, type Out } from './run.ts';

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

/** The current signing keys, as every instance has them in STEPUP_JWKS. */
export interface CurrentKeys {
  jwks: string | undefined;
  /** The registered resource servers: one with a longer access-token lifetime makes old keys wait longer. */
  resources?: ReadonlyArray<Pick<ResourceRecord, 'accessTokenTTL'>>;
}

function currentJwks({ jwks }: CurrentKeys): Jwks {
  if (jwks === undefined || jwks.trim() === '') {
    throw new CliError('invalid_input', 'STEPUP_JWKS is not set: key rotation starts from the current signing keys, the value every instance uses');
  }
  return parseJwks('STEPUP_JWKS', jwks);
}

const kids = (keys: Jwks['keys']): string => keys.map((key) => key.kid ?? '(no kid)').join(', ');

function printJwks(jwks: Jwks, out: Out): void {
  out(`export STEPUP_JWKS=${shellQuote(JSON.stringify(jwks))}`);
}

/**
 * Adds a new key per algorithm, first (signing from the next start) or, with `stage`, last (published only, for a
 * rolling deployment: then `keys promote`). The old keys stay published so the tokens they signed still verify.
 */
export async function rotateKeys(config: AppConfig, args: CurrentKeys & { stage?: boolean }, out: Out): Promise<void> {
  const { jwks, added } = await addSigningKeys(currentJwks(args), args.stage ? 'last' : 'first');
  const old = jwks.keys.filter((key) => !added.includes(key));
  const lifetime = longestSignedTokenLifetime(config, args.resources);
  if (args.stage) {
    out(`# Staged signing keys ${kids(added)}: published, not signing yet. Give every instance this STEPUP_JWKS, then run \`keys promote\` with it.`);
  } else {
    out(`# New signing keys ${kids(added)} sign from the next start; the old keys ${kids(old)} stay published, so tokens they signed still verify.`);
    out('# Give every instance this same STEPUP_JWKS and restart them together (for a rolling restart, use `keys rotate --stage`, then `keys promote`).');
    out(
      `# Drop the old keys (\`keys retire\`) no sooner than ${lifetime} s after every instance signs with the new ones: the longest lifetime of a signed token, plus how long relying parties cache the JWKS.`,
    );
  }
  printJwks(jwks, out);
}

/** Makes the keys staged last by `keys rotate --stage` the signing ones, keeping the previous ones published. */
export async function promoteKeys(config: AppConfig, args: CurrentKeys, out: Out): Promise<void> {
  const { jwks, promoted } = promoteSigningKeys(currentJwks(args));
  out(`# Signing keys ${kids(promoted)} sign from the next start; the others stay published. Give every instance this STEPUP_JWKS.`);
  out(`# Drop the old keys (\`keys retire\`) no sooner than ${longestSignedTokenLifetime(config, args.resources)} s after every instance signs with the new ones.`);
  printJwks(jwks, out);
}

/** Drops every key but the signing one of each algorithm: tokens they signed stop verifying. */
export async function retireKeys(config: AppConfig, args: CurrentKeys, out: Out): Promise<void> {
  const { jwks, retired } = retireSigningKeys(currentJwks(args));
  if (retired.length === 0) throw new CliError('invalid_input', 'STEPUP_JWKS has one key per algorithm: there is nothing to retire');
  out(`# Retired ${kids(retired)}: tokens they signed no longer verify. Deploy this only once every such token has expired`);
  out(`# (${longestSignedTokenLifetime(config, args.resources)} s after every instance started signing with ${kids(jwks.keys)}).`);
  printJwks(jwks, out);
}

/** Rotation commands read STEPUP_JWKS before the configuration, so an unset value is reported as such. */
async function withCurrentKeys(action: (config: AppConfig, args: CurrentKeys) => Promise<void>): Promise<void> {
  const jwks = process.env.STEPUP_JWKS;
  currentJwks({ jwks });
  await withStores(async (stores, config) => action(config, { jwks, resources: await stores.resources.list() }));
}

export function registerKeysCommands(program: Command, out: Out): void {
  const keys = program.command('keys').description('key material shared by every instance');

  keys
    .command('generate')
    .description('print new STEPUP_JWKS, STEPUP_COOKIE_KEYS and STEPUP_TOTP_KEYS as shell export lines (e.g. > stepup-keys.env, mode 600)')
    .action(() => generateKeys(out));

  keys
    .command('rotate')
    .description('print STEPUP_JWKS with a new signing key per algorithm first and the current keys kept (published) after it')
    .option('--stage', 'add the new keys last instead: published but not signing, for a rolling deployment (then keys promote)')
    .action((options: { stage?: boolean }) => withCurrentKeys((config, args) => rotateKeys(config, { ...args, stage: options.stage }, out)));

  keys
    .command('promote')
    .description('print STEPUP_JWKS with the keys staged by rotate --stage moved first, so they sign')
    .action(() => withCurrentKeys((config, args) => promoteKeys(config, args, out)));

  keys
    .command('retire')
    .description('print STEPUP_JWKS without the old keys (only once every token they signed has expired)')
    .action(() => withCurrentKeys((config, args) => retireKeys(config, args, out)));
}
