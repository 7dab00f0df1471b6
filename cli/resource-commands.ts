// `stepup resource ...`: register the APIs that receive access tokens (RFC 8707 resource indicators), JWT (RFC 9068) or
// opaque (introspected, RFC 7662), list and remove them. Running providers read the registry through a cache of RESOURCE_CACHE_SECONDS: no restart.
import type { Command } from 'commander';
import type { ResourceRecord, Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { ACCESS_TOKEN_ALGS, DEFAULT_ACCESS_TOKEN_ALG, signingAlgorithms } from '../config/keys.ts';
import { RESOURCE_CACHE_SECONDS } from '../server/resource-registry.ts';
import { CliError } from './errors.ts';
import { columns, orDash } from './format.ts';
import type { Out, StoreAction } from './run.ts';

export interface AddResourceArgs {
  indicator: string;
  scope: string;
  /** Seconds, as typed. */
  ttl?: string;
  dpop?: boolean;
  minAcr?: string;
  alg?: string;
  /** `jwt` (default) or `opaque`, as typed. */
  format?: string;
  /** Replace the registration of an indicator registered already. */
  update?: boolean;
}

/** Hosts where plain http never leaves the machine (the same as for redirect URIs). */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_INDICATOR_LENGTH = 2048;
/** The bounds of STEPUP_ACCESS_TOKEN_TTL: a JWT access token cannot be recalled, so never more than a day. */
const TTL_BOUNDS = { min: 60, max: 24 * 3600 };
const MAX_SCOPES = 50;
/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
/** Scopes of the sign-in itself, never of an API: openid and offline_access would be swallowed by the resource. */
const RESERVED_SCOPES = new Set(['openid', 'offline_access']);
/** How its access tokens travel: signed JWTs the API verifies alone, or references the provider stores and answers for. */
const FORMATS = ['jwt', 'opaque'] as const;

export async function addResource(stores: Stores, config: AppConfig, args: AddResourceArgs, out: Out): Promise<void> {
  const indicator = checkIndicator(args.indicator, config.production);
  const scope = checkScope(args.scope);
  const accessTokenTTL = args.ttl === undefined ? undefined : checkTtl(args.ttl);
  const format = checkFormat(args.format ?? 'jwt');
  // An opaque token is signed by nobody: an --alg there would be a setting that does nothing, so it is refused.
  if (format === 'opaque' && args.alg !== undefined) throw new CliError('invalid_input', '--alg applies to --format jwt only: opaque access tokens are not signed; drop --alg or use --format jwt');
  // An opaque resource records the default algorithm, unused, so that the record keeps one shape.
  const alg = format === 'jwt' ? checkAlg(args.alg ?? DEFAULT_ACCESS_TOKEN_ALG, config) : DEFAULT_ACCESS_TOKEN_ALG;
  if (args.minAcr !== undefined) checkAcr(args.minAcr, config);

  const existing = await stores.resources.get(indicator);
  if (existing && !args.update) throw new CliError('conflict', `a resource ${indicator} is registered already; pass --update to replace its registration`);
  const resource: ResourceRecord = {
    indicator,
    scope,
    ...(accessTokenTTL !== undefined && { accessTokenTTL }),
    dpop: Boolean(args.dpop),
    ...(args.minAcr !== undefined && { minAcr: args.minAcr }),
    format,
    alg,
    createdAt: existing?.createdAt ?? Math.floor(Date.now() / 1000),
  };
  if (existing) {
    if (!(await stores.resources.replace(resource))) throw new CliError('not_found', `the resource ${indicator} was removed meanwhile; add it again`);
  } else {
    await stores.resources.add(resource);
  }
  out(`${existing ? 'updated' : 'added'} resource ${indicator}: ${describe(resource, config)}`);
  out(`note: running providers apply it within ${RESOURCE_CACHE_SECONDS} s`);
}

export async function listResources(stores: Stores, config: AppConfig, args: { json?: boolean }, out: Out): Promise<void> {
  const resources = await stores.resources.list();
  if (args.json) return out(JSON.stringify(resources, null, 2));
  if (resources.length === 0) return out('no resources (register one with `resource add --indicator <uri> --scope "<scopes>"`)');
  const rows = resources.map((resource) => [
    resource.indicator,
    `ttl=${resource.accessTokenTTL ?? `${config.ttl.accessToken}(default)`}`,
    `dpop=${resource.dpop ? 'required' : 'no'}`,
    `min-acr=${orDash(resource.minAcr)}`,
    `format=${resource.format}`,
    `alg=${resource.format === 'jwt' ? resource.alg : '-'}`,
    `scope="${resource.scope}"`,
  ]);
  columns(rows).forEach((line) => out(line));
}

export async function removeResource(stores: Stores, _config: AppConfig, args: { indicator: string }, out: Out): Promise<void> {
  if (!(await stores.resources.remove(args.indicator))) throw new CliError('not_found', `no resource ${args.indicator} is registered (see \`resource list\`)`);
  out(`removed resource ${args.indicator}: new tokens for it are refused (invalid_target) within ${RESOURCE_CACHE_SECONDS} s; tokens already issued stay valid until they expire`);
}

export function registerResourceCommands(program: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const resource = program.command('resource').description('manage the APIs (resource servers) that receive access tokens when a client names them as `resource`');

  resource
    .command('add')
    .description('register an API: clients naming it as `resource` get access tokens for it (JWTs with it as audience, or opaque)')
    .requiredOption('--indicator <uri>', 'the resource indicator (RFC 8707) and `aud` of its tokens: absolute https (http on localhost outside production), no fragment or query')
    .requiredOption('--scope <scopes>', 'the scopes it accepts, space-separated (not openid or offline_access)')
    .option('--ttl <seconds>', `access-token lifetime, ${TTL_BOUNDS.min} to ${TTL_BOUNDS.max} (default: STEPUP_ACCESS_TOKEN_TTL); the policy may shorten it`)
    .option('--dpop', 'its access tokens must be DPoP-bound (RFC 9449): token requests without a DPoP proof are refused')
    .option('--min-acr <acr>', 'the lowest level (an acr or alias of the ladder) a request naming it needs')
    .option('--format <format>', 'its access tokens: jwt (signed, verified by the API alone, RFC 9068) or opaque (stored: revocable at once, introspected, RFC 7662) (default: jwt)')
    // No commander default: `--alg` given with `--format opaque` must be told from `--alg` left out.
    .option(
      '--alg <alg>',
      `for --format jwt: the JWS algorithm its access tokens are signed with (${ACCESS_TOKEN_ALGS.join(', ')}); STEPUP_JWKS needs a key for it (default: ${DEFAULT_ACCESS_TOKEN_ALG})`,
    )
    .option('--update', 'replace the registration of an indicator registered already')
    .action((options: AddResourceArgs) => run((stores, config) => addResource(stores, config, options, out)));

  resource
    .command('list')
    .description('list the registered APIs: indicator, token lifetime, DPoP, minimum level, token format, signing algorithm, scopes')
    .option('--json', 'machine-readable output')
    .action((options: { json?: boolean }) => run((stores, config) => listResources(stores, config, options, out)));

  resource
    .command('remove')
    .description('unregister an API: no new access tokens for it (those issued stay valid until they expire)')
    .requiredOption('--indicator <uri>', 'the resource indicator, exactly as registered')
    .action((options: { indicator: string }) => run((stores, config) => removeResource(stores, config, options, out)));
}

function checkIndicator(indicator: string, production: boolean): string {
  let url: URL;
  try {
    url = new URL(indicator);
  } catch {
    throw new CliError('invalid_input', `--indicator "${indicator}" is not an absolute URI`);
  }
  if (indicator.length > MAX_INDICATOR_LENGTH) throw new CliError('invalid_input', `--indicator must be at most ${MAX_INDICATOR_LENGTH} characters`);
  if (/[\s\p{Cc}]/u.test(indicator)) throw new CliError('invalid_input', `--indicator "${indicator}" must not contain spaces or control characters`);
  if (indicator.includes('#')) throw new CliError('invalid_input', `--indicator "${indicator}" must not contain a fragment (RFC 8707)`);
  if (url.search !== '' || indicator.includes('?')) throw new CliError('invalid_input', `--indicator "${indicator}" must not contain a query (RFC 8707)`);
  if (url.username !== '' || url.password !== '') throw new CliError('invalid_input', `--indicator "${indicator}" must not contain credentials`);
  if (url.protocol === 'https:') return indicator;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && !production) return indicator;
  throw new CliError('invalid_input', `--indicator "${indicator}" must use https${production ? '' : ' (or http on localhost / 127.0.0.1 outside production)'}`);
}

function checkScope(text: string): string {
  const scopes = text.split(' ').filter(Boolean);
  if (scopes.length === 0) throw new CliError('invalid_input', '--scope needs at least one scope, e.g. --scope "api:read api:write"');
  if (scopes.length > MAX_SCOPES) throw new CliError('invalid_input', `--scope has more than ${MAX_SCOPES} scopes`);
  for (const scope of scopes) {
    if (!SCOPE_TOKEN.test(scope)) throw new CliError('invalid_input', `--scope: "${scope}" is not a scope (RFC 6749 §3.3: printable ASCII without spaces, quotes or backslashes)`);
    if (RESERVED_SCOPES.has(scope)) throw new CliError('invalid_input', `--scope: "${scope}" belongs to the sign-in, not to an API; drop it`);
  }
  return [...new Set(scopes)].join(' ');
}

function checkTtl(text: string): number {
  const seconds = /^\d{1,6}$/.test(text) ? Number(text) : Number.NaN;
  if (!(seconds >= TTL_BOUNDS.min && seconds <= TTL_BOUNDS.max)) {
    throw new CliError('invalid_input', `--ttl must be a whole number of seconds from ${TTL_BOUNDS.min} to ${TTL_BOUNDS.max}`);
  }
  return seconds;
}

function checkFormat(format: string): ResourceRecord['format'] {
  const known = FORMATS.find((each) => each === format);
  if (!known) throw new CliError('invalid_input', `--format "${format}" is not one of ${FORMATS.join(', ')}`);
  return known;
}

function checkAlg(alg: string, config: AppConfig): string {
  if (!(ACCESS_TOKEN_ALGS as readonly string[]).includes(alg)) throw new CliError('invalid_input', `--alg "${alg}" is not one of ${ACCESS_TOKEN_ALGS.join(', ')}`);
  const signable = signingAlgorithms(config.keys.jwks);
  if (!signable.has(alg)) {
    throw new CliError('invalid_input', `--alg ${alg}: STEPUP_JWKS has no key that signs ${alg} (it signs ${[...signable].join(', ') || 'nothing'}); add one, or choose one of those`);
  }
  return alg;
}

function checkAcr(acr: string, config: AppConfig): void {
  const known = config.policy.ladder.flatMap((level) => [level.acr, ...level.aliases]);
  if (!known.includes(acr)) throw new CliError('invalid_input', `--min-acr "${acr}" is not on the ladder; use one of: ${known.join(', ')}`);
}

function describe(resource: ResourceRecord, config: AppConfig): string {
  return [
    `scope "${resource.scope}"`,
    `tokens live ${resource.accessTokenTTL ?? config.ttl.accessToken} s${resource.accessTokenTTL === undefined ? ' (default)' : ''}`,
    resource.dpop ? 'DPoP required' : 'bearer or DPoP',
    `min acr ${resource.minAcr ?? 'none'}`,
    resource.format === 'jwt' ? `JWT access tokens signed ${resource.alg}` : 'opaque access tokens (introspection, revocable)',
  ].join(', ');
}
