// `resource add / list / remove`: the registry an operator manages, against a real store, and every bad input refused.
import { cleanEnv } from '../support/clean-env.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStores } from '../../adapters/sqlite/index.ts';
import type { Stores } from '../../adapters/types.ts';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { longestSignedTokenLifetime } from '../../cli/jwks-rotation.ts';
import { addResource, listResources, removeResource, type AddResourceArgs } from '../../cli/resource-commands.ts';
import { rejectsWith } from './rejects-with.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'stepup-resource-cli-'));
let config: AppConfig;
let stores: Stores;
let lines: string[];
const out = (line: string) => void lines.push(line);

beforeAll(async () => {
  config = await loadConfig({ NODE_ENV: 'test', DATA_DIR: join(root, 'config'), STEPUP_SCRYPT_N: '1024' });
});
beforeEach(() => {
  stores = openSqliteStores({ file: ':memory:' });
  lines = [];
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const valid: AddResourceArgs = { indicator: 'https://payments.example/api', scope: 'pay refund' };

describe('resource add, list and remove', () => {
  it('registers with defaults (ES256, no DPoP, the default lifetime), lists and removes', async () => {
    await addResource(stores, config, valid, out);
    expect(await stores.resources.get(valid.indicator)).toEqual({ indicator: valid.indicator, scope: 'pay refund', dpop: false, format: 'jwt', alg: 'ES256', createdAt: expect.any(Number) });
    expect(lines[0]).toBe('added resource https://payments.example/api: scope "pay refund", tokens live 600 s (default), bearer or DPoP, min acr none, JWT access tokens signed ES256');
    expect(lines[1]).toMatch(/within 5 s/);

    lines = [];
    await addResource(stores, config, { indicator: 'http://localhost:3002', scope: 'api:read  api:read api:write', ttl: '120', dpop: true, minAcr: 'phr', alg: 'RS256' }, out);
    expect(await stores.resources.get('http://localhost:3002')).toMatchObject({ scope: 'api:read api:write', accessTokenTTL: 120, dpop: true, minAcr: 'phr', format: 'jwt', alg: 'RS256' });
    await addResource(stores, config, { indicator: 'https://ledger.example', scope: 'pay', format: 'opaque' }, out);

    lines = [];
    await listResources(stores, config, {}, out);
    expect(lines).toEqual([
      'http://localhost:3002         ttl=120           dpop=required  min-acr=phr  format=jwt     alg=RS256  scope="api:read api:write"',
      'https://ledger.example        ttl=600(default)  dpop=no        min-acr=-    format=opaque  alg=-      scope="pay"',
      'https://payments.example/api  ttl=600(default)  dpop=no        min-acr=-    format=jwt     alg=ES256  scope="pay refund"',
    ]);
    lines = [];
    await listResources(stores, config, { json: true }, out);
    expect(JSON.parse(lines.join('\n'))).toEqual(await stores.resources.list());
    expect(JSON.parse(lines.join('\n')).map((resource: { format: string }) => resource.format)).toEqual(['jwt', 'opaque', 'jwt']);
    await removeResource(stores, config, { indicator: 'https://ledger.example' }, out);

    lines = [];
    await removeResource(stores, config, { indicator: valid.indicator }, out);
    expect(lines[0]).toMatch(/^removed resource https:\/\/payments.example\/api: new tokens for it are refused \(invalid_target\)/);
    await rejectsWith(removeResource(stores, config, { indicator: valid.indicator }, out), 'not_found', /no resource https:\/\/payments.example\/api/);
    lines = [];
    await removeResource(stores, config, { indicator: 'http://localhost:3002' }, out);
    lines = [];
    await listResources(stores, config, {}, out);
    expect(lines).toEqual(['no resources (register one with `resource add --indicator <uri> --scope "<scopes>"`)']);
  });

  it('refuses a second registration of an indicator unless --update, which keeps its creation time', async () => {
    await addResource(stores, config, valid, out);
    const created = (await stores.resources.get(valid.indicator))!.createdAt;
    await rejectsWith(addResource(stores, config, { ...valid, scope: 'pay' }, out), 'conflict', /registered already; pass --update/);
    await addResource(stores, config, { ...valid, scope: 'pay', dpop: true, update: true }, out);
    expect(await stores.resources.get(valid.indicator)).toEqual({ indicator: valid.indicator, scope: 'pay', dpop: true, format: 'jwt', alg: 'ES256', createdAt: created });
  });

  it.each<[string, Partial<AddResourceArgs>, RegExp]>([
    ['a relative indicator', { indicator: '/api' }, /not an absolute URI/],
    ['an indicator with a fragment', { indicator: 'https://api.example/#x' }, /fragment/],
    ['an indicator with a query', { indicator: 'https://api.example/?tenant=1' }, /query/],
    ['an indicator with credentials', { indicator: 'https://user:pw@api.example/' }, /credentials/],
    ['http on another host', { indicator: 'http://api.example/' }, /must use https/],
    ['another scheme', { indicator: 'urn:example:api' }, /must use https/],
    ['an overlong indicator', { indicator: `https://api.example/${'a'.repeat(2100)}` }, /at most 2048/],
    ['an empty scope', { scope: '   ' }, /at least one scope/],
    ['openid', { scope: 'api openid' }, /"openid" belongs to the sign-in/],
    ['offline_access', { scope: 'offline_access' }, /"offline_access" belongs to the sign-in/],
    ['a scope with a quote', { scope: 'api "x' }, /""x" is not a scope/],
    ['too many scopes', { scope: Array.from({ length: 51 }, (_, i) => `s${i}`).join(' ') }, /more than 50/],
    ['a ttl of 0', { ttl: '0' }, /--ttl must be a whole number of seconds from 60 to 86400/],
    ['a negative ttl', { ttl: '-5' }, /--ttl/],
    ['a fractional ttl', { ttl: '90.5' }, /--ttl/],
    ['a ttl above a day', { ttl: '86401' }, /--ttl/],
    ['a ttl that is not a number', { ttl: 'soon' }, /--ttl/],
    ['an unknown level', { minAcr: 'aal9' }, /--min-acr "aal9" is not on the ladder; use one of: aal1, aal2, phr/],
    ['alg none', { alg: 'none' }, /--alg "none" is not one of/],
    ['a symmetric alg', { alg: 'HS256' }, /--alg "HS256" is not one of/],
    ['an alg without a key', { alg: 'ES384' }, /--alg ES384: STEPUP_JWKS has no key that signs ES384 \(it signs .*ES256/],
    ['an unknown format', { format: 'paseto' }, /--format "paseto" is not one of jwt, opaque/],
    ['a format in another case', { format: 'JWT' }, /--format "JWT" is not one of jwt, opaque/],
    ['--alg with --format opaque', { format: 'opaque', alg: 'ES256' }, /--alg applies to --format jwt only: opaque access tokens are not signed/],
    ['--alg with --format opaque, even an algorithm without a key', { format: 'opaque', alg: 'ES384' }, /--alg applies to --format jwt only/],
  ])('refuses %s', async (_name, change, message) => {
    await rejectsWith(addResource(stores, config, { ...valid, ...change }, out), 'invalid_input', message);
    expect(await stores.resources.list()).toEqual([]);
  });

  it('refuses http even on localhost in production', async () => {
    const keys = serializeKeys(await generateKeyMaterial());
    const production = await loadConfig({
      NODE_ENV: 'production',
      DATA_DIR: join(root, 'production'),
      ISSUER: 'https://id.example',
      STEPUP_JWKS: keys.jwks,
      STEPUP_COOKIE_KEYS: keys.cookieKeys,
      STEPUP_TOTP_KEYS: keys.totpKeys,
    });
    await rejectsWith(addResource(stores, production, { ...valid, indicator: 'http://localhost:3002' }, out), 'invalid_input', /must use https$/);
  });

  it('refuses an algorithm the configured keys cannot sign, naming STEPUP_JWKS (an RSA-only JWKS and the default ES256)', async () => {
    const material = await generateKeyMaterial();
    const rsaOnly = { ...config, keys: { ...config.keys, jwks: { keys: material.jwks.keys.filter((key) => key.kty === 'RSA') } } };
    await rejectsWith(addResource(stores, rsaOnly, valid, out), 'invalid_input', /--alg ES256: STEPUP_JWKS has no key that signs ES256 \(it signs RS256\)/);
    await addResource(stores, rsaOnly, { ...valid, alg: 'RS256' }, out);
    expect((await stores.resources.get(valid.indicator))?.alg).toBe('RS256');
  });
});

describe('resource add --format opaque', () => {
  it('registers opaque access tokens, which need no signing key (an RSA-only JWKS and no --alg)', async () => {
    const material = await generateKeyMaterial();
    const rsaOnly = { ...config, keys: { ...config.keys, jwks: { keys: material.jwks.keys.filter((key) => key.kty === 'RSA') } } };
    await addResource(stores, rsaOnly, { ...valid, format: 'opaque', dpop: true }, out);
    expect(await stores.resources.get(valid.indicator)).toMatchObject({ format: 'opaque', dpop: true });
    expect(lines[0]).toBe('added resource https://payments.example/api: scope "pay refund", tokens live 600 s (default), DPoP required, min acr none, opaque access tokens (introspection, revocable)');
  });

  it('--update moves a resource between formats (the registration is replaced whole)', async () => {
    await addResource(stores, config, { ...valid, alg: 'RS256' }, out);
    await addResource(stores, config, { ...valid, format: 'opaque', update: true }, out);
    expect(await stores.resources.get(valid.indicator)).toMatchObject({ format: 'opaque' });
    await addResource(stores, config, { ...valid, format: 'jwt', alg: 'RS256', update: true }, out);
    expect(await stores.resources.get(valid.indicator)).toMatchObject({ format: 'jwt', alg: 'RS256' });
  });
});

describe('key rotation waits for the longest registered token lifetime', () => {
  it('counts a resource lifetime above the defaults, and ignores resources without their own', () => {
    expect(longestSignedTokenLifetime(config)).toBe(3600);
    expect(longestSignedTokenLifetime(config, [{}, { accessTokenTTL: 120 }])).toBe(3600);
    expect(longestSignedTokenLifetime(config, [{ accessTokenTTL: 7200 }])).toBe(7200);
    expect(longestSignedTokenLifetime(config, [{ format: 'jwt', accessTokenTTL: 7200 }])).toBe(7200);
  });

  it('ignores opaque resources: their access tokens are stored, not signed', () => {
    expect(longestSignedTokenLifetime(config, [{ format: 'opaque', accessTokenTTL: 86400 }])).toBe(3600);
    expect(
      longestSignedTokenLifetime(config, [
        { format: 'opaque', accessTokenTTL: 86400 },
        { format: 'jwt', accessTokenTTL: 7200 },
      ]),
    ).toBe(7200);
  });
});

describe('the resource commands of the real executable', () => {
  it('add, list and remove against a data directory', () => {
    const env = { ...cleanEnv(), DATA_DIR: join(root, 'executable'), STEPUP_SCRYPT_N: '1024', LOG_LEVEL: 'silent' };
    const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], { cwd: repo, env, encoding: 'utf8', timeout: 60_000 });
    const added = cli('resource', 'add', '--indicator', 'https://api.example', '--scope', 'read', '--dpop', '--min-acr', 'aal2', '--ttl', '300');
    expect(added.stderr).toBe('');
    expect(added.status).toBe(0);
    expect(cli('resource', 'list').stdout).toMatch(/^https:\/\/api\.example +ttl=300 +dpop=required +min-acr=aal2 +format=jwt +alg=ES256 +scope="read"$/m);
    // commander passes --alg only when typed, so --format opaque with it is refused, and without it accepted.
    const both = cli('resource', 'add', '--indicator', 'https://api.example/opaque', '--scope', 'read', '--format', 'opaque', '--alg', 'ES256');
    expect(both.status).toBe(1);
    expect(both.stderr).toMatch(/^error: --alg applies to --format jwt only/);
    expect(cli('resource', 'add', '--indicator', 'https://api.example/opaque', '--scope', 'read', '--format', 'opaque').status).toBe(0);
    expect(cli('resource', 'list').stdout).toMatch(/^https:\/\/api\.example\/opaque +ttl=600\(default\) +dpop=no +min-acr=- +format=opaque +alg=- +scope="read"$/m);
    const bad = cli('resource', 'add', '--indicator', 'https://api.example/other', '--scope', 'openid');
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/^error: --scope: "openid" belongs to the sign-in/);
    expect(cli('resource', 'remove', '--indicator', 'https://api.example').status).toBe(0);
    expect(cli('resource', 'remove', '--indicator', 'https://api.example').stderr).toMatch(/^error: no resource https:\/\/api\.example is registered/);
  });
});
