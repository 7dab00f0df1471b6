// The provider reads the operators' resource registry while it runs (a 5 s cache, no restart), never serves a
// registration it cannot sign for (invalid_target, not a 500), and refuses to start with one (naming STEPUP_JWKS).
import { cleanEnv } from '../support/clean-env.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeJwt } from 'jose';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { RESOURCE_CACHE_SECONDS } from '../../server/resource-registry.ts';
import { Browser, expectCallback } from './harness/browser.ts';
import { createAccount } from './harness/accounts.ts';
import { startProvider } from './harness/provider.ts';
import { useProvider } from './harness/use-provider.ts';
import { CALLBACK } from './harness/rp.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const { provider, rp } = useProvider();

/** The authorization request's outcome for `resource`: the error the client is sent back with, or none. */
async function authorize(resource: string): Promise<string | null> {
  const flow = await rp.start(new Browser(CALLBACK), { scope: 'openid read', resource });
  return flow.step.kind === 'callback' ? expectCallback(flow.step).searchParams.get('error') : null;
}

describe('changes to the registry while the provider runs', () => {
  it(`apply within ${RESOURCE_CACHE_SECONDS} s: a new resource is served, a removed one refused with invalid_target`, async () => {
    const added = 'https://added.example.test';
    expect(await authorize(provider.api)).toBeNull();
    await provider.stores.resources.add({ indicator: added, scope: 'read', dpop: false, format: 'jwt', alg: 'ES256', createdAt: 0 });
    expect(await authorize(added)).toBe('invalid_target');

    provider.clock.advance(RESOURCE_CACHE_SECONDS);
    expect(await authorize(added)).toBeNull();
    const account = await createAccount(provider);
    const tokens = await rp.signIn(new Browser(CALLBACK), account, { scope: 'openid read', resource: added });
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: added, scope: 'read' });

    await provider.stores.resources.remove(added);
    provider.clock.advance(RESOURCE_CACHE_SECONDS);
    expect(await authorize(added)).toBe('invalid_target');
  });

  it('refuses with invalid_target, never a 500, a registration whose algorithm has no key (written past the CLI)', async () => {
    const unsignable = 'https://es384.example.test';
    await provider.stores.resources.add({ indicator: unsignable, scope: 'read', dpop: false, format: 'jwt', alg: 'ES384', createdAt: 0 });
    provider.clock.advance(RESOURCE_CACHE_SECONDS);
    expect(await authorize(unsignable)).toBe('invalid_target');
    await provider.stores.resources.remove(unsignable);
  });
});

describe('start-up', () => {
  it('refuses an RSA-only STEPUP_JWKS while a resource is signed ES256, naming STEPUP_JWKS', async () => {
    const material = await generateKeyMaterial();
    const keys = serializeKeys({ ...material, jwks: { keys: material.jwks.keys.filter((key) => key.kty === 'RSA') } });
    await expect(startProvider({ env: { STEPUP_JWKS: keys.jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys } })).rejects.toThrow(
      /resource http:\/\/127\.0\.0\.1:\d+\/api: its access tokens are signed ES256, and STEPUP_JWKS has no key for ES256/,
    );
    // With the resource signed RS256 the same keys start.
    const rsa = await startProvider({
      env: { STEPUP_JWKS: keys.jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys },
      resources: (issuer) => [{ indicator: `${issuer}/api`, scope: 'read', alg: 'RS256' }],
    });
    await rsa.close();
  });

  it('of the real server exits with the configuration error code, naming STEPUP_JWKS', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepup-rsa-only-'));
    try {
      const stores = openSqliteStores({ file: join(dataDir, 'stepup.sqlite') });
      await stores.resources.add({ indicator: 'https://api.example.test', scope: 'read', dpop: false, format: 'jwt', alg: 'ES256', createdAt: 0 });
      await stores.close();
      const material = await generateKeyMaterial();
      const keys = serializeKeys({ ...material, jwks: { keys: material.jwks.keys.filter((key) => key.kty === 'RSA') } });
      const started = spawnSync(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        cwd: repo,
        env: {
          ...cleanEnv(),
          DATA_DIR: dataDir,
          PORT: '0',
          HOST: '127.0.0.1',
          STEPUP_DEMO: '0',
          LOG_LEVEL: 'silent',
          STEPUP_JWKS: keys.jwks,
          STEPUP_COOKIE_KEYS: keys.cookieKeys,
          STEPUP_TOTP_KEYS: keys.totpKeys,
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(started.status).toBe(78);
      expect(started.stderr).toMatch(/configuration error: resource https:\/\/api\.example\.test: its access tokens are signed ES256, and STEPUP_JWKS has no key for ES256/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('a resource registered with --min-acr', () => {
  // The step-up decision merges resourceRules(registry) (server/resource-registry.ts) with policy.scopeRules.
  it('needs that level for a request naming it, like a scope rule with `resource`', async () => {
    const guarded = 'https://guarded.example.test';
    await provider.stores.resources.add({ indicator: guarded, scope: 'read', dpop: false, format: 'jwt', alg: 'ES256', minAcr: 'aal2', createdAt: 0 });
    provider.clock.advance(RESOURCE_CACHE_SECONDS);
    const account = await createAccount(provider, { totp: true });
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { scope: 'openid read', resource: guarded });
    // Signed in at aal1: the provider asks for the code before it issues anything for the resource.
    expect(flow.step.kind).toBe('page');
    const done = await browser.submit(flow.step, '/otp', { code: account.code() });
    const tokens = await rp.finish(flow, expectCallback(done));
    expect(decodeJwt(tokens.access_token)).toMatchObject({ aud: guarded, acr: 'aal2' });
    await provider.stores.resources.remove(guarded);
  });

  it('a code issued before the level was raised is not redeemed below it (nor is a refresh token)', async () => {
    const raised = 'https://raised.example.test';
    await provider.stores.resources.add({ indicator: raised, scope: 'read', dpop: false, alg: 'ES256', format: 'jwt', createdAt: 0 });
    provider.clock.advance(RESOURCE_CACHE_SECONDS);
    const account = await createAccount(provider);
    const browser = new Browser(CALLBACK);
    await rp.signIn(browser, account);
    const flow = await rp.start(browser, { scope: 'openid read', resource: raised });
    const callback = expectCallback(flow.step);
    await provider.stores.resources.replace({ indicator: raised, scope: 'read', dpop: false, alg: 'ES256', format: 'jwt', minAcr: 'aal2', createdAt: 0 });
    provider.clock.advance(RESOURCE_CACHE_SECONDS);
    const refused = await rp.finish(flow, callback).catch((error: unknown) => error);
    expect(refused).toMatchObject({ error: 'invalid_grant', error_description: expect.stringContaining(raised) });
    await provider.stores.resources.remove(raised);
  });
});
