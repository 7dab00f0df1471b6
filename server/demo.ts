// The development demo: one account with a password and TOTP, one first-party client. Never in production.
import { StoreError, type Stores } from '../adapters/types.ts';
import { encryptSecret, hashPassword, totpUri, type SecretKeyring } from '../authenticators/index.ts';
import type { PasswordParams } from '../config/index.ts';
import { DEFAULT_ACCESS_TOKEN_ALG } from '../config/keys.ts';

const DEMO = {
  username: 'demo',
  password: 'demo-password',
  /** A published secret: anyone can compute the codes. Development only. */
  totpSecret: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
  clientId: 'demo-rp',
  clientSecret: 'demo-rp-client-secret',
  redirectUris: ['http://localhost:3001/callback', 'http://127.0.0.1:3001/callback'],
  backchannelLogoutUri: 'http://localhost:3001/backchannel-logout',
  /** The demo bank sends its transfers as RFC 9396 payments (`client add --operation-type payment`). */
  operationTypes: ['payment'],
  /** The API the README's examples name as `resource` (`npm run demo` registers its demo API as well). */
  apiPath: '/api',
  apiScope: 'api:read api:write payments',
} as const;

/** True when demo data exists in the store (production refuses to start with it). */
export async function hasDemoData(stores: Stores): Promise<boolean> {
  return (await stores.accounts.findByUsername(DEMO.username)) !== undefined || (await stores.clients.get(DEMO.clientId)) !== undefined;
}

/**
 * `operationTypes`: the policy's operation types, when the caller knows them; the demo client is registered only for
 * those of its types the policy declares (oidc-provider refuses a client naming an undeclared type). Without it, the
 * default policy's are assumed.
 */
export async function seedDemo(stores: Stores, deps: { issuer: string; keyring: SecretKeyring; password: PasswordParams; now: number; operationTypes?: readonly string[] }) {
  const operationTypes = DEMO.operationTypes.filter((type) => deps.operationTypes?.includes(type) ?? true);
  let account = await stores.accounts.findByUsername(DEMO.username);
  if (!account) {
    account = { id: 'demo-account', username: DEMO.username, passwordHash: await hashPassword(DEMO.password, deps.password), createdAt: deps.now };
    await stores.accounts.create(account);
    await stores.authenticators.add({
      id: 'demo-totp',
      accountId: account.id,
      kind: 'totp',
      label: 'Demo authenticator app',
      data: { secret: await encryptSecret(DEMO.totpSecret, deps.keyring) },
      createdAt: deps.now,
    });
  }
  const client = await stores.clients.get(DEMO.clientId);
  if (client) {
    // A data directory from before payments: the demo client learns to send them (only the demo's own client, only in development).
    const types: unknown[] = Array.isArray(client.authorization_details_types) ? client.authorization_details_types : [];
    const missing = operationTypes.filter((type) => !types.includes(type));
    if (missing.length > 0) await stores.clients.upsert({ ...client, client_id: DEMO.clientId, authorization_details_types: [...types, ...missing] });
  } else {
    await stores.clients.upsert({
      client_id: DEMO.clientId,
      client_secret: DEMO.clientSecret,
      client_name: 'Demo relying party',
      redirect_uris: [...DEMO.redirectUris],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      first_party: true,
      // The demo RP drops its session when the provider ends the user's (sign-out, recovery, an operator's disable).
      backchannel_logout_uri: DEMO.backchannelLogoutUri,
      backchannel_logout_session_required: true,
      ...(operationTypes.length > 0 && { authorization_details_types: [...operationTypes] }),
    });
  }
  // A development resource server, as the provider had by default before the registry: `$ISSUER/api`, signed ES256.
  const api = `${deps.issuer}${DEMO.apiPath}`;
  if (!(await stores.resources.get(api))) {
    // Another instance starting at once may have added it first.
    await stores.resources.add({ indicator: api, scope: DEMO.apiScope, dpop: false, format: 'jwt', alg: DEFAULT_ACCESS_TOKEN_ALG, createdAt: deps.now }).catch((error: unknown) => {
      if (!(error instanceof StoreError && error.code === 'conflict')) throw error;
    });
  }
  return { ...DEMO, api, totpUri: totpUri({ issuer: new URL(deps.issuer).host, label: DEMO.username, secret: DEMO.totpSecret }) };
}
