// One settings table: every variable the server and the CLI read is in it, documented, and applied by loadConfig.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type AppConfig } from '../../config/index.ts';
import { environmentHelp } from '../../config/settings-docs.ts';
import { SETTING_GROUPS, SETTINGS } from '../../config/settings.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const dataDir = tempDirs('stepup-config-spec-');
const names = SETTINGS.map((entry) => entry.env);

/** `process.env.NAME` and `vars.NAME` in the server's, the CLI's and the configuration's sources. */
function variablesRead(): Set<string> {
  const found = new Set<string>();
  for (const folder of ['server', 'cli', 'config', 'interactions']) {
    const root = new URL(`../../${folder}/`, import.meta.url);
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'))) {
      const source = readFileSync(new URL(file, root), 'utf8');
      for (const match of source.matchAll(/\b(?:process\.env|vars)\.([A-Z][A-Z0-9_]*)/g)) found.add(match[1]!);
    }
  }
  return found;
}

describe('the settings table', () => {
  it('has every variable the server and the CLI read', () => {
    const read = variablesRead();
    expect(read.size).toBeGreaterThan(20);
    expect([...read].filter((name) => !(names as string[]).includes(name))).toEqual([]);
  });

  it('names each variable once, in a known group', () => {
    expect(new Set(names).size).toBe(names.length);
    for (const entry of SETTINGS) expect(Object.keys(SETTING_GROUPS)).toContain(entry.group);
  });

  it.each(SETTINGS.map((entry) => [entry.env, entry] as const))('documents %s: one line without links, and its default', (_name, entry) => {
    expect(entry.description).not.toMatch(/\n|\]\(/);
    expect(entry.default !== undefined && entry.unset !== undefined, 'a default value or what happens when unset, not both').toBe(false);
    expect(entry.default !== undefined || entry.unset !== undefined, 'a default value or what happens when unset').toBe(true);
  });

  it('gives every default to its schema', () => {
    for (const entry of SETTINGS) {
      if (entry.default !== undefined) expect(entry.schema.safeParse(String(entry.default)).success, entry.env).toBe(true);
    }
  });
});

describe('the CLI help', () => {
  it('lists every setting on one line, with its default', () => {
    const lines = environmentHelp().split('\n');
    for (const name of names) {
      const line = lines.filter((text) => text.trim().split(/\s+/)[0] === name);
      expect(line, name).toHaveLength(1);
      expect(line[0]).toMatch(/\(.*default: .+\)$/);
    }
  });

  it('shows the bounds and the default of a lifetime', () => {
    expect(environmentHelp()).toMatch(/STEPUP_CODE_TTL +seconds an authorization code can be redeemed \(10 s to 10 minutes; default: 60 s = 1 minute\)/);
  });
});

describe('lifetimes', () => {
  it("default to today's values", async () => {
    const config = await loadConfig({ DATA_DIR: dataDir() });
    expect(config.ttl).toEqual({ session: 30 * 24 * 3600, interaction: 3600, authorizationCode: 60, idToken: 3600, accessToken: 600, refreshToken: 14 * 24 * 3600 });
    expect(config.sensitiveActionMaxAge).toBe(300);
  });

  it.each<[string, string, (config: AppConfig) => number]>([
    ['STEPUP_SESSION_TTL', '86400', (config) => config.ttl.session],
    ['STEPUP_INTERACTION_TTL', '900', (config) => config.ttl.interaction],
    ['STEPUP_CODE_TTL', '30', (config) => config.ttl.authorizationCode],
    ['STEPUP_ID_TOKEN_TTL', '300', (config) => config.ttl.idToken],
    ['STEPUP_ACCESS_TOKEN_TTL', '120', (config) => config.ttl.accessToken],
    ['STEPUP_REFRESH_TOKEN_TTL', '3600', (config) => config.ttl.refreshToken],
    ['STEPUP_SENSITIVE_ACTION_MAX_AGE', '120', (config) => config.sensitiveActionMaxAge],
  ])('%s=%s is applied', async (name, value, read) => {
    expect(read(await loadConfig({ DATA_DIR: dataDir(), [name]: value }))).toBe(Number(value));
  });

  it.each([
    ['STEPUP_CODE_TTL', '9'],
    ['STEPUP_CODE_TTL', '601'],
    ['STEPUP_CODE_TTL', '60.5'],
    ['STEPUP_SESSION_TTL', 'a month'],
    ['STEPUP_ACCESS_TOKEN_TTL', '0'],
    ['STEPUP_SENSITIVE_ACTION_MAX_AGE', '3601'],
  ])('%s=%s is refused, naming the setting', async (name, value) => {
    await expect(loadConfig({ DATA_DIR: dataDir(), [name]: value })).rejects.toThrow(new RegExp(`^invalid environment: ${name}: `));
  });

  it('shorten the default refresh token lifetime to a shorter session', async () => {
    expect((await loadConfig({ DATA_DIR: dataDir(), STEPUP_SESSION_TTL: '86400' })).ttl.refreshToken).toBe(86400);
  });

  it('refuse a refresh token that outlives its grant (the session)', async () => {
    await expect(loadConfig({ DATA_DIR: dataDir(), STEPUP_SESSION_TTL: '86400', STEPUP_REFRESH_TOKEN_TTL: '86401' })).rejects.toThrow(
      /STEPUP_REFRESH_TOKEN_TTL \(86401\) exceeds STEPUP_SESSION_TTL \(86400\)/,
    );
  });

  it('refuse STEPUP_RESOURCE_SERVERS, which the resource registry replaced, printing the commands that register its entries', async () => {
    const servers = JSON.stringify([
      { indicator: 'https://api.example.test', scope: 'read' },
      { indicator: "https://pay.example.test/it's", scope: 'pay', accessTokenTTL: 60 },
    ]);
    const refusal = await loadConfig({ DATA_DIR: dataDir(), STEPUP_RESOURCE_SERVERS: servers }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(ConfigError);
    expect((refusal as Error).message).toContain('STEPUP_RESOURCE_SERVERS is no longer read');
    expect((refusal as Error).message).toContain(`npm run cli -- resource add --indicator 'https://api.example.test' --scope 'read';`);
    expect((refusal as Error).message).toContain(`npm run cli -- resource add --indicator 'https://pay.example.test/it'\\''s' --scope 'pay' --ttl 60`);
    // Unreadable: the refusal still names the command; empty counts as unset.
    await expect(loadConfig({ DATA_DIR: dataDir(), STEPUP_RESOURCE_SERVERS: '[{' })).rejects.toThrow(/STEPUP_RESOURCE_SERVERS is no longer read: .*resource add --indicator <uri>/);
    await expect(loadConfig({ DATA_DIR: dataDir(), STEPUP_RESOURCE_SERVERS: '' })).resolves.toBeDefined();
  });
});

describe('empty variables', () => {
  it('count as unset where they did before the table', async () => {
    const config = await loadConfig({ DATA_DIR: dataDir(), MONGODB_URI: '', MONGODB_DB: '', STEPUP_PROXY_HOPS: '', STEPUP_RECOVERY_COOL_OFF: '' });
    expect(config.storage.kind).toBe('sqlite');
    expect(config.proxyHops).toBe(0);
    expect(config.policy.recovery.coolOff).toBe(24 * 3600);
  });

  it('are refused elsewhere, naming the setting', async () => {
    await expect(loadConfig({ DATA_DIR: dataDir(), HOST: '' })).rejects.toThrow(/^invalid environment: HOST: /);
  });
});
