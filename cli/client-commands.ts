// `stepup client ...`: register relying parties (authorization code flow) and list them without their secrets.
import type { Command } from 'commander';
import type { Stores } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { ACCOUNT_CLIENT_ID } from '../config/account-client.ts';
import { CliError } from './errors.ts';
import { columns, orDash } from './format.ts';
import type { Out, StoreAction } from './run.ts';

export interface AddClientArgs {
  id: string;
  secret?: string;
  redirectUris: string[];
  name?: string;
  minAcr?: string;
  public?: boolean;
  thirdParty?: boolean;
  /** An API that may introspect tokens issued to other clients. */
  resourceServer?: boolean;
  /** Where the provider POSTs a back-channel logout token when a session of a user ends (OIDC Back-Channel Logout 1.0). */
  backchannelLogoutUri?: string;
  /** Operation types (RFC 9396 authorization_details types of the policy) this client may ask users to approve. */
  operationTypes?: string[];
  update?: boolean;
  allowInsecureRedirect?: boolean;
}

/** Hosts where a plain-http redirect never leaves the machine. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
const MIN_SECRET_LENGTH = 16;
const MAX_ID_LENGTH = 255;

export async function addClient(stores: Stores, config: AppConfig, args: AddClientArgs, out: Out): Promise<void> {
  const id = checkClientId(args.id);
  if (args.public && args.secret !== undefined) throw new CliError('invalid_input', 'a --public client has no secret; drop --secret');
  if (args.public && args.resourceServer) throw new CliError('invalid_input', 'a --resource-server must authenticate: drop --public');
  if (!args.public && (args.secret === undefined || args.secret.length < MIN_SECRET_LENGTH)) {
    throw new CliError('invalid_input', `--secret of at least ${MIN_SECRET_LENGTH} characters is required (e.g. \`openssl rand -base64 32\`), or --public for a client without one`);
  }
  if (args.redirectUris.length === 0 && !args.resourceServer) throw new CliError('invalid_input', 'at least one --redirect-uri is required');
  const signsIn = args.redirectUris.length > 0;
  for (const uri of args.redirectUris) checkRedirectUri(uri, Boolean(args.allowInsecureRedirect));
  if (args.minAcr !== undefined) checkAcr(args.minAcr, config);
  const operationTypes = [...new Set(args.operationTypes ?? [])];
  for (const type of operationTypes) {
    if (!Object.hasOwn(config.policy.operations, type)) {
      throw new CliError('invalid_input', `--operation-type "${type}" is not an operation type of the policy; use one of: ${Object.keys(config.policy.operations).join(', ') || '(none)'}`);
    }
  }
  if (args.backchannelLogoutUri !== undefined) checkBackchannelLogoutUri(args.backchannelLogoutUri, Boolean(args.allowInsecureRedirect));
  const name = args.name?.trim();
  if (args.name !== undefined && name === '') throw new CliError('invalid_input', '--name must not be empty');

  const exists = (await stores.clients.get(id)) !== undefined;
  if (exists && !args.update) throw new CliError('conflict', `a client "${id}" already exists; pass --update to replace its registration`);

  const firstParty = !args.thirdParty;
  await stores.clients.upsert({
    client_id: id,
    ...(args.public ? { token_endpoint_auth_method: 'none' } : { client_secret: args.secret }),
    ...(name !== undefined && { client_name: name }),
    redirect_uris: [...args.redirectUris],
    grant_types: signsIn ? ['authorization_code', 'refresh_token'] : [],
    response_types: signsIn ? ['code'] : [],
    first_party: firstParty,
    ...(args.minAcr !== undefined && { stepup_min_acr: args.minAcr }),
    ...(args.resourceServer && { stepup_resource_server: true }),
    // Without it, a request with authorization_details from this client is refused (invalid_authorization_details).
    ...(operationTypes.length > 0 && { authorization_details_types: operationTypes }),
    // The logout token names the session (sid) so the client signs out exactly the browser whose session ended.
    ...(args.backchannelLogoutUri !== undefined && { backchannel_logout_uri: args.backchannelLogoutUri, backchannel_logout_session_required: true }),
  });
  out(`${exists ? 'updated' : 'added'} client ${id}: ${describe(firstParty, Boolean(args.public), args.minAcr)}`);
  if (!firstParty) out('note: users are asked to consent before this third-party client receives their data');
}

export async function listClients(stores: Stores, _config: AppConfig, args: { json?: boolean }, out: Out): Promise<void> {
  const clients = (await stores.clients.list()).map(({ client_secret: _secret, ...metadata }) => metadata);
  if (args.json) return out(JSON.stringify(clients, null, 2));
  if (clients.length === 0) return out('no clients');
  const rows = clients.map((client) => [
    String(client.client_id),
    orDash(typeof client.client_name === 'string' ? client.client_name : undefined),
    client.first_party === true ? 'first-party' : 'third-party',
    client.token_endpoint_auth_method === 'none' ? 'public' : 'confidential',
    `min-acr=${orDash(typeof client.stepup_min_acr === 'string' ? client.stepup_min_acr : undefined)}`,
    Array.isArray(client.redirect_uris) ? client.redirect_uris.join(',') : '-',
  ]);
  columns(rows).forEach((line) => out(line));
}

export function registerClientCommands(program: Command, run: (action: StoreAction) => Promise<void>, out: Out): void {
  const client = program.command('client').description('manage the relying parties (OAuth clients) allowed to sign users in');

  client
    .command('add')
    .description('register a client for the authorization code flow')
    .requiredOption('--id <id>', 'the client_id')
    .option('--secret <secret>', `the client_secret, at least ${MIN_SECRET_LENGTH} characters (not with --public)`)
    .option('--redirect-uri <uri>', 'an allowed redirect URI: absolute https, or http on localhost / 127.0.0.1 (repeatable)', collect, [])
    .option('--name <name>', 'the name shown to users')
    .option('--min-acr <acr>', 'the lowest authentication level this client ever gets (an acr or alias of the ladder)')
    .option('--public', 'a client without a secret (token_endpoint_auth_method none; PKCE is required)')
    .option('--third-party', 'ask users for consent (default: first-party, no consent page)')
    .option('--resource-server', 'an API allowed to introspect access tokens issued to other clients')
    .option('--backchannel-logout-uri <uri>', "where the provider POSTs a logout token when a user's session ends (sign-out, recovery, an operator's revocation)")
    .option('--operation-type <type>', 'an operation type of the policy (authorization_details, RFC 9396) this client may ask users to approve (repeatable)', collect, [])
    .option('--update', 'replace the registration of an existing client')
    .option('--allow-insecure-redirect', 'accept http redirect URIs on hosts other than localhost (testing only)')
    .action((options: Omit<AddClientArgs, 'redirectUris' | 'operationTypes'> & { redirectUri: string[]; operationType: string[] }) => {
      const { redirectUri, operationType, ...rest } = options;
      return run((stores, config) => addClient(stores, config, { ...rest, redirectUris: redirectUri, operationTypes: operationType }, out));
    });

  client
    .command('list')
    .description('list clients: id, name, first/third party, public/confidential, minimum acr, redirect URIs (never secrets)')
    .option('--json', 'machine-readable output (without client_secret)')
    .action((options: { json?: boolean }) => run((stores, config) => listClients(stores, config, options, out)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function checkClientId(id: string): string {
  if (id === '' || id.length > MAX_ID_LENGTH || /[\s\p{Cc}]/u.test(id)) {
    throw new CliError('invalid_input', `the client id must be 1 to ${MAX_ID_LENGTH} characters without spaces`);
  }
  if (id === ACCOUNT_CLIENT_ID) throw new CliError('invalid_input', `the client id "${ACCOUNT_CLIENT_ID}" is reserved for the account pages`);
  return id;
}

function checkRedirectUri(uri: string, allowInsecure: boolean): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new CliError('invalid_input', `redirect URI "${uri}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError('invalid_input', `redirect URI "${uri}" must use https (or http on localhost)`);
  if (uri.includes('#')) throw new CliError('invalid_input', `redirect URI "${uri}" must not contain a fragment`);
  if (url.username !== '' || url.password !== '') throw new CliError('invalid_input', `redirect URI "${uri}" must not contain credentials`);
  if (url.protocol === 'http:' && !allowInsecure && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new CliError('invalid_input', `redirect URI "${uri}" uses http on a host other than localhost or 127.0.0.1; use https (or --allow-insecure-redirect for a test setup)`);
  }
}

/** RFC 8414-style rules for an endpoint the provider calls: absolute, no fragment, https except on loopback. */
function checkBackchannelLogoutUri(uri: string, allowInsecure: boolean): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new CliError('invalid_input', `--backchannel-logout-uri "${uri}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new CliError('invalid_input', `--backchannel-logout-uri "${uri}" must use https`);
  if (url.hash !== '' || uri.includes('#')) throw new CliError('invalid_input', `--backchannel-logout-uri "${uri}" must not contain a fragment`);
  if (url.protocol === 'http:' && !allowInsecure && !LOOPBACK_HOSTS.has(url.hostname)) {
    throw new CliError('invalid_input', `--backchannel-logout-uri "${uri}" uses http on a host other than localhost or 127.0.0.1; use https`);
  }
}

function checkAcr(acr: string, config: AppConfig): void {
  const known = config.policy.ladder.flatMap((level) => [level.acr, ...level.aliases]);
  if (!known.includes(acr)) throw new CliError('invalid_input', `--min-acr "${acr}" is not on the ladder; use one of: ${known.join(', ')}`);
}

function describe(firstParty: boolean, isPublic: boolean, minAcr: string | undefined): string {
  return [firstParty ? 'first-party' : 'third-party', isPublic ? 'public' : 'confidential', `min acr ${minAcr ?? 'none'}`].join(', ');
}
