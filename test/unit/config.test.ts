// Configuration is validated at start-up with errors that name the setting; production refuses unsafe set-ups.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { checkRuntime } from '../../config/runtime.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const dataDir = tempDirs('stepup-config-');

async function productionKeys() {
  const keys = serializeKeys(await generateKeyMaterial());
  return { STEPUP_JWKS: keys.jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys };
}

describe('loadConfig', () => {
  it('has working development defaults and advertises the ladder in ascending rank', async () => {
    const config = await loadConfig({ DATA_DIR: dataDir() });
    expect(config.production).toBe(false);
    expect(config.demo).toBe(true);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.policy.ladder.map((level) => level.acr)).toEqual(['aal1', 'aal2', 'phr']);
    expect(config.keys.generated).toBe(true);
  });

  it('keeps development keys across restarts', async () => {
    const dir = dataDir();
    const first = await loadConfig({ DATA_DIR: dir });
    const second = await loadConfig({ DATA_DIR: dir });
    expect(second.keys.jwks).toEqual(first.keys.jwks);
    expect(second.keys.cookieKeys).toEqual(first.keys.cookieKeys);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ ISSUER: 'not a url' }, /ISSUER/],
    [{ NODE_ENV: 'staging' }, /NODE_ENV/],
    [{ STEPUP_SCRYPT_N: '3000' }, /STEPUP_SCRYPT_N/],
    [{ STEPUP_JWKS: '{"keys":[]}' }, /STEPUP_JWKS|STEPUP_COOKIE_KEYS/],
    [{ STEPUP_RESOURCE_SERVERS: '[{"indicator":"nope"}]' }, /STEPUP_RESOURCE_SERVERS is no longer read/],
  ])('names the bad setting in %o', async (env, message) => {
    await expect(loadConfig({ DATA_DIR: dataDir(), ...env })).rejects.toThrow(message);
  });

  it.each([
    [
      {
        ladder: [
          { acr: 'a', rank: 2, combinations: [['pwd']], maxAge: 10 },
          { acr: 'b', rank: 1, combinations: [['otp']], maxAge: 10 },
        ],
      },
      /ascending rank/,
    ],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['sms']], maxAge: 10 }] }, /ladder\.0\.combinations/],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['pwd']], maxAge: 10 }], scopeRules: [{ scope: 'x', acr: 'zzz' }] }, /unknown acr "zzz"/],
    [{ ladder: [{ acr: 'a', aliases: ['a'], rank: 1, combinations: [['pwd']], maxAge: 10 }] }, /used twice/],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['recovery']], maxAge: 10 }] }, /ladder\.0\.combinations/],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['pwd']], maxAge: 10 }], attestation: {} }, /at least one root certificate or metadata statement/],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['pwd']], maxAge: 10 }], attestation: { rootCertificates: ['missing.pem'] } }, /cannot read the root certificate missing\.pem/],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['pwd']], maxAge: 10 }], attestation: { rootCertificates: ['policy.json'] } }, /policy\.json is not a PEM certificate/],
    [{ ladder: [{ acr: 'a', rank: 1, combinations: [['pwd']], maxAge: 10 }], attestation: { rootCertificates: ['x.pem'], allowedAaguids: ['not-a-uuid'] } }, /allowedAaguids/],
  ])('rejects an invalid policy file', async (policy, message) => {
    const dir = dataDir();
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify(policy));
    await expect(loadConfig({ DATA_DIR: dir, STEPUP_POLICY_FILE: file })).rejects.toThrow(message);
  });

  describe('proxy hops', () => {
    it('trust one proxy with an https issuer (TLS ends in front of this plain-HTTP server), none with http', async () => {
      expect((await loadConfig({ DATA_DIR: dataDir(), ISSUER: 'https://id.example.test' })).proxyHops).toBe(1);
      expect((await loadConfig({ DATA_DIR: dataDir() })).proxyHops).toBe(0);
      expect((await loadConfig({ DATA_DIR: dataDir(), ISSUER: 'https://id.example.test', STEPUP_PROXY_HOPS: '2' })).proxyHops).toBe(2);
    });

    it('refuse 0 with an https issuer, naming the setting', async () => {
      await expect(loadConfig({ DATA_DIR: dataDir(), ISSUER: 'https://id.example.test', STEPUP_PROXY_HOPS: '0' })).rejects.toThrow(/STEPUP_PROXY_HOPS=0/);
    });

    it('refuse values that are not a small count', async () => {
      for (const value of ['-1', '11', 'one']) {
        await expect(loadConfig({ DATA_DIR: dataDir(), STEPUP_PROXY_HOPS: value })).rejects.toBeInstanceOf(ConfigError);
      }
    });
  });

  describe('in production', () => {
    it('refuses to generate keys', async () => {
      await expect(loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example', DATA_DIR: dataDir() })).rejects.toThrow(/STEPUP_JWKS.*keys generate/);
    });

    it('refuses an http issuer (cookies without Secure)', async () => {
      await expect(loadConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example', DATA_DIR: dataDir(), ...(await productionKeys()) })).rejects.toThrow(/https/);
    });

    it('refuses the demo', async () => {
      await expect(loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example', STEPUP_DEMO: '1', DATA_DIR: dataDir(), ...(await productionKeys()) })).rejects.toThrow(ConfigError);
    });

    it('starts with configured keys and no demo', async () => {
      const config = await loadConfig({ NODE_ENV: 'production', ISSUER: 'https://id.example', DATA_DIR: dataDir(), ...(await productionKeys()) });
      expect(config.demo).toBe(false);
      expect(config.keys.generated).toBe(false);
    });
  });
});

describe('checkRuntime', () => {
  it.each([
    ['v22.12.0', false, { ok: true }],
    ['v24.1.0', true, { ok: true }],
    ['v20.19.0', false, { ok: true, warning: expect.stringMatching(/end-of-life/) }],
    ['v20.19.0', true, { ok: false, warning: expect.stringMatching(/Refusing to start in production/) }],
    ['v20.10.0', false, { ok: false, warning: expect.stringMatching(/too old/) }],
    ['v18.20.0', false, { ok: false, warning: expect.stringMatching(/too old/) }],
  ])('%s (production: %s)', (version, production, verdict) => {
    expect(checkRuntime(version, production)).toEqual(verdict);
  });
});

describe('development keys', () => {
  it('are the same for processes that start together on an empty data directory', async () => {
    const dir = dataDir();
    const loaded = await Promise.all(Array.from({ length: 8 }, () => loadConfig({ DATA_DIR: dir })));
    const kids = new Set(loaded.map((config) => JSON.stringify(config.keys.jwks)));
    expect(kids.size).toBe(1);
  });
});
