// Child process: a plain oidc-provider (same version, same SQLite adapter, keys, cookies, TTLs) with a scripted login.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { loadConfig } from '../../config/index.ts';
import { oidcTtl } from '../../server/provider.ts';
import { BENCH_CLIENT, PLAIN_ACCOUNT_ID } from './agreed.ts';
import { commonHandlers, serveChannel } from './channel.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'stepup-bench-plain-'));
const server = createServer({ keepAliveTimeout: 60_000 });
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const { port } = server.address() as AddressInfo;
const issuer = `http://127.0.0.1:${port}`;

// The product's configuration is read for its key kinds (RS256 + ES256, one cookie key) and token lifetimes only.
const { keys, ttl } = await loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, ISSUER: issuer, PORT: String(port), STEPUP_DEMO: '0', LOG_LEVEL: 'silent' });
const stores = openSqliteStores({ file: join(dataDir, 'plain.sqlite') });
await stores.clients.upsert({ ...BENCH_CLIENT });
const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: false, signed: true };

/** Consent as a first-party client gets it: the grant grows to what is requested, no page. */
async function loadExistingGrant(ctx: KoaContextWithOIDC) {
  const { oidc } = ctx;
  const grantId = (oidc.result as { consent?: { grantId?: string } } | undefined)?.consent?.grantId ?? oidc.session!.grantIdFor(oidc.client!.clientId);
  const grant = (grantId ? await oidc.provider.Grant.find(grantId) : undefined) ?? new oidc.provider.Grant({ clientId: oidc.client!.clientId, accountId: oidc.session!.accountId! });
  grant.addOIDCScope([...oidc.requestParamScopes].join(' '));
  await grant.save();
  return grant;
}

const configuration: Configuration = {
  adapter: stores.OidcAdapter,
  jwks: keys.jwks as Configuration['jwks'],
  cookies: { keys: keys.cookieKeys, long: cookie, short: cookie },
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  loadExistingGrant,
  responseTypes: ['code'],
  pkce: { required: () => true },
  ttl: oidcTtl(ttl),
};
const provider = new Provider(issuer, configuration);

// The scripted interaction: a page with one form; posting it signs in the fixed account, or grants what consent asks.
provider.use(async (ctx, next) => {
  const match = /^\/interaction\/([\w-]+)(\/submit)?$/.exec(ctx.path);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !match[2]) {
    ctx.type = 'html';
    ctx.body = `<!doctype html><title>Sign in</title><form method="post" action="/interaction/${details.uid}/submit"><input type="hidden" name="go" value="1"><button>Continue</button></form>`;
    return;
  }
  if (ctx.method !== 'POST' || !match[2]) return next();
  let result: Record<string, unknown>;
  if (details.prompt.name === 'login') {
    result = { login: { accountId: PLAIN_ACCOUNT_ID } };
  } else {
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId: PLAIN_ACCOUNT_ID, clientId: String(details.params.client_id) });
    const missing = details.prompt.details as { missingOIDCScope?: string[] };
    if (missing.missingOIDCScope) grant!.addOIDCScope(missing.missingOIDCScope.join(' '));
    result = { consent: { grantId: await grant!.save() } };
  }
  const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: false });
  ctx.status = 303;
  ctx.redirect(to);
});
server.on('request', provider.callback());

// However this process ends (stopped, or its parent gone), its data folder goes with it.
process.once('exit', () => {
  rmSync(dataDir, { recursive: true, force: true });
});

serveChannel(issuer, { ...commonHandlers(), seed: async () => [] }, async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await stores.close();
  rmSync(dataDir, { recursive: true, force: true });
});
