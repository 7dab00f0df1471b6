// Signing-key rotation: new keys sign, old keys stay published until retired, and the provider really behaves so.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyMaterial, serializeKeys } from '../../config/keys.ts';
import { loadConfig, type AppConfig } from '../../config/index.ts';
import { promoteKeys, retireKeys, rotateKeys } from '../../cli/keys-commands.ts';
import { CliError } from '../../cli/errors.ts';
import { createAccount } from '../integration/harness/accounts.ts';
import { Browser } from '../integration/harness/browser.ts';
import { startProvider } from '../integration/harness/provider.ts';
import { CALLBACK, relyingParty } from '../integration/harness/rp.ts';
import { REPO, cleanEnv } from '../multi-instance/instance.ts';

const root = mkdtempSync(join(tmpdir(), 'stepup-keys-'));
let config: AppConfig;
let keys: { jwks: string; cookieKeys: string; totpKeys: string };

beforeAll(async () => {
  keys = serializeKeys(await generateKeyMaterial());
  config = await loadConfig({ NODE_ENV: 'test', DATA_DIR: join(root, 'config'), STEPUP_JWKS: keys.jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Runs a command and reads back the STEPUP_JWKS it exports, through a real shell, as an operator would. */
async function exported(command: (out: (line: string) => void) => Promise<void>): Promise<{ lines: string[]; jwks: string }> {
  const lines: string[] = [];
  await command((line) => lines.push(line));
  const file = join(root, `out-${Math.random().toString(36).slice(2)}.env`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const shell = spawnSync('sh', ['-c', `. "${file}" && printf %s "$STEPUP_JWKS"`], { encoding: 'utf8' });
  return { lines, jwks: shell.stdout };
}

const kidsOf = (jwks: string): string[] => (JSON.parse(jwks) as { keys: Array<{ kid: string }> }).keys.map((key) => key.kid);
const algsOf = (jwks: string): string[] => (JSON.parse(jwks) as { keys: Array<{ alg: string }> }).keys.map((key) => key.alg);

describe('keys rotate', () => {
  it('puts a new key per algorithm first and keeps the current ones after it, with a note on when to drop them', async () => {
    const { lines, jwks } = await exported((out) => rotateKeys(config, { jwks: keys.jwks }, out));
    const old = kidsOf(keys.jwks);
    const kids = kidsOf(jwks);
    expect(kids).toHaveLength(4);
    expect(kids.slice(2)).toEqual(old);
    expect(algsOf(jwks)).toEqual(['RS256', 'ES256', 'RS256', 'ES256']);
    expect(new Set(kids).size).toBe(4);
    const note = lines.filter((line) => line.startsWith('#')).join('\n');
    expect(note).toContain(old.join(', '));
    expect(note).toMatch(/no sooner than 3600 s/);
    expect(note).toMatch(/every instance/);
    const rotated = await loadConfig({
      NODE_ENV: 'production',
      ISSUER: 'https://id.example',
      DATA_DIR: join(root, 'prod'),
      STEPUP_JWKS: jwks,
      STEPUP_COOKIE_KEYS: keys.cookieKeys,
      STEPUP_TOTP_KEYS: keys.totpKeys,
    });
    expect(rotated.keys.jwks.keys.map((key) => key.kid)).toEqual(kids);
    const rsa = JSON.parse(jwks).keys as Array<{ n?: string }>;
    expect(Buffer.from(rsa[0]!.n!, 'base64url').length).toBe(Buffer.from(rsa[2]!.n!, 'base64url').length);
  });

  it('with --stage, publishes the new keys last; promote then moves them first', async () => {
    const staged = await exported((out) => rotateKeys(config, { jwks: keys.jwks, stage: true }, out));
    const old = kidsOf(keys.jwks);
    expect(kidsOf(staged.jwks).slice(0, 2)).toEqual(old);
    const fresh = kidsOf(staged.jwks).slice(2);
    const promoted = await exported((out) => promoteKeys(config, { jwks: staged.jwks }, out));
    expect(kidsOf(promoted.jwks)).toEqual([...fresh, ...old]);
  });

  it('retire keeps only the signing key of each algorithm, and refuses when there is nothing to retire', async () => {
    const rotated = await exported((out) => rotateKeys(config, { jwks: keys.jwks }, out));
    const retired = await exported((out) => retireKeys(config, { jwks: rotated.jwks }, out));
    expect(kidsOf(retired.jwks)).toEqual(kidsOf(rotated.jwks).slice(0, 2));
    await expect(retireKeys(config, { jwks: retired.jwks }, () => {})).rejects.toBeInstanceOf(CliError);
  });

  it('refuses without STEPUP_JWKS, and from the executable says so', async () => {
    await expect(rotateKeys(config, { jwks: undefined }, () => {})).rejects.toMatchObject({ code: 'invalid_input', message: expect.stringMatching(/STEPUP_JWKS is not set/) });
    const run = spawnSync('npx', ['tsx', 'cli/main.ts', 'keys', 'rotate'], { cwd: REPO, env: { ...cleanEnv(), NODE_ENV: 'test', DATA_DIR: join(root, 'exe') }, encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^error: STEPUP_JWKS is not set/m);
  }, 90_000);
});

describe('a provider started with a rotated JWKS', () => {
  async function idTokenAndJwks(jwks: string): Promise<{ idToken: string; published: JSONWebKeySet; close: () => Promise<void> }> {
    const provider = await startProvider({ env: { STEPUP_JWKS: jwks, STEPUP_COOKIE_KEYS: keys.cookieKeys, STEPUP_TOTP_KEYS: keys.totpKeys } });
    try {
      const account = await createAccount(provider);
      const rp = await relyingParty(provider);
      const tokens = await rp.signIn(new Browser(CALLBACK), account);
      const published = (await (await fetch(`${provider.issuer}/jwks`)).json()) as JSONWebKeySet;
      return { idToken: tokens.id_token!, published, close: () => provider.close() };
    } catch (error) {
      await provider.close();
      throw error;
    }
  }

  it('signs with the new key, publishes the old one (tokens it signed still verify), and retiring drops it', async () => {
    const before = await idTokenAndJwks(keys.jwks);
    await before.close();
    const rotated = await exported((out) => rotateKeys(config, { jwks: keys.jwks }, out));
    const after = await idTokenAndJwks(rotated.jwks);
    await after.close();

    expect(decodeProtectedHeader(before.idToken).kid).toBe(kidsOf(keys.jwks)[0]);
    expect(decodeProtectedHeader(after.idToken).kid).toBe(kidsOf(rotated.jwks)[0]);
    expect(after.published.keys.map((key) => key.kid)).toEqual(kidsOf(rotated.jwks));
    expect(after.published.keys.every((key) => !('d' in key))).toBe(true);
    await expect(jwtVerify(before.idToken, createLocalJWKSet(after.published))).resolves.toBeDefined();

    const retired = await exported((out) => retireKeys(config, { jwks: rotated.jwks }, out));
    const publicOnly = { keys: after.published.keys.filter((key) => kidsOf(retired.jwks).includes(key.kid!)) };
    await expect(jwtVerify(after.idToken, createLocalJWKSet(publicOnly))).resolves.toBeDefined();
    await expect(jwtVerify(before.idToken, createLocalJWKSet(publicOnly))).rejects.toThrow();
  }, 60_000);
});
