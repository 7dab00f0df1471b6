// Key material: signing JWKS, cookie keys with the account-cookie sealing keyring derived from them, and the TOTP encryption keyring; generated and kept on disk in development only.
import { hkdfSync, randomBytes } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { z } from 'zod';
import { ConfigError } from './errors.ts';

export interface KeyMaterial {
  /** Private signing keys; the first of each algorithm signs, the rest stay published for verification. */
  jwks: { keys: JWK[] };
  /** Newest first: the first signs cookies, the others still verify. */
  cookieKeys: string[];
  /** Newest first: the first encrypts TOTP secrets, all decrypt. */
  totpKeys: Array<{ kid: string; key: Uint8Array }>;
  /** True when the keys were generated for development. */
  generated: boolean;
}

const jwksSchema = z.object({ keys: z.array(z.object({ kty: z.string(), d: z.string() }).passthrough()).min(1) });
const totpKeySchema = z.string().regex(/^[^:]+:[A-Za-z0-9_-]{43}$/, 'each TOTP key is "kid:<32 bytes base64url>"');

function parseJson(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${name} is not valid JSON`);
  }
}

export function parseJwks(name: string, text: string): { keys: JWK[] } {
  const result = jwksSchema.safeParse(parseJson(name, text));
  if (!result.success) throw new ConfigError(`${name} must be a JWKS of private keys ({"keys":[...]}, each with "d")`);
  return result.data as { keys: JWK[] };
}

export function parseTotpKeys(name: string, text: string): KeyMaterial['totpKeys'] {
  return text.split(',').map((entry) => {
    const result = totpKeySchema.safeParse(entry.trim());
    if (!result.success) throw new ConfigError(`${name}: ${result.error.issues[0]!.message}`);
    const [kid, key] = entry.trim().split(':') as [string, string];
    return { kid, key: new Uint8Array(Buffer.from(key, 'base64url')) };
  });
}

export function parseCookieKeys(name: string, text: string): string[] {
  const keys = text.split(',').map((key) => key.trim());
  if (keys.some((key) => key.length < 32)) throw new ConfigError(`${name}: each cookie key must be at least 32 characters`);
  return keys;
}

async function generateSigningKeys(): Promise<{ keys: JWK[] }> {
  const keys: JWK[] = [];
  for (const alg of ['RS256', 'ES256'] as const) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true });
    const jwk = await exportJWK(privateKey);
    keys.push({ ...jwk, alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('base64url')}` });
  }
  return { keys };
}

export async function generateKeyMaterial(): Promise<Omit<KeyMaterial, 'generated'>> {
  return {
    jwks: await generateSigningKeys(),
    cookieKeys: [randomBytes(32).toString('base64url')],
    totpKeys: [{ kid: `totp-${randomBytes(4).toString('hex')}`, key: new Uint8Array(randomBytes(32)) }],
  };
}

/** Development keys persist in the data directory so sessions and TOTP secrets survive a restart. */
export async function developmentKeys(dataDir: string): Promise<KeyMaterial> {
  const file = join(dataDir, 'dev-keys.json');
  if (!existsSync(file)) {
    // Two processes starting together must end with the same keys: write a complete file aside,
    // then link it into place, which fails (and the other process's keys win) if one is there already.
    const material = await generateKeyMaterial();
    mkdirSync(dataDir, { recursive: true });
    const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, JSON.stringify(serializeKeys(material), null, 2), { mode: 0o600 });
    try {
      linkSync(draft, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(draft);
    }
  }
  const saved = parseJson(file, readFileSync(file, 'utf8')) as { jwks: string; cookieKeys: string; totpKeys: string };
  return {
    jwks: parseJwks(file, saved.jwks),
    cookieKeys: parseCookieKeys(file, saved.cookieKeys),
    totpKeys: parseTotpKeys(file, saved.totpKeys),
    generated: true,
  };
}

/** The environment-variable form of key material, as `cli keys generate` prints it. */
export function serializeKeys(material: Omit<KeyMaterial, 'generated'>): { jwks: string; cookieKeys: string; totpKeys: string } {
  return {
    jwks: JSON.stringify(material.jwks),
    cookieKeys: material.cookieKeys.join(','),
    totpKeys: material.totpKeys.map(({ kid, key }) => `${kid}:${Buffer.from(key).toString('base64url')}`).join(','),
  };
}

/** The TOTP keyring in the shape the secret box uses: the first key encrypts, all decrypt. */
export function totpKeyring(material: Pick<KeyMaterial, 'totpKeys'>): { currentKid: string; keys: Record<string, Uint8Array> } {
  return {
    currentKid: material.totpKeys[0]!.kid,
    keys: Object.fromEntries(material.totpKeys.map(({ kid, key }) => [kid, key])),
  };
}

/** The purpose bound into every cookie-sealing key (HKDF info): a key derived for one purpose opens nothing sealed for another. */
const COOKIE_SEAL_INFO = 'stepup account cookie seal v1';

/**
 * The keyring that seals the account pages' short-lived cookies, in the secret box's shape: one key per cookie key,
 * derived with HKDF-SHA-256, so it shares nothing with the TOTP keyring. Each kid is derived too (another info), so it
 * names the same key when a newer cookie key is put first: the first key seals, all open.
 */
export function cookieSealKeyring(material: Pick<KeyMaterial, 'cookieKeys'>): { currentKid: string; keys: Record<string, Uint8Array> } {
  const derive = (cookieKey: string, info: string, bytes: number) => new Uint8Array(hkdfSync('sha256', cookieKey, new Uint8Array(0), info, bytes));
  const derived = material.cookieKeys.map((cookieKey) => ({
    kid: `cookie-${Buffer.from(derive(cookieKey, `${COOKIE_SEAL_INFO} kid`, 9)).toString('base64url')}`,
    key: derive(cookieKey, COOKIE_SEAL_INFO, 32),
  }));
  return { currentKid: derived[0]!.kid, keys: Object.fromEntries(derived.map(({ kid, key }) => [kid, key])) };
}

/** The JWS algorithms a JWT access token may be signed with (asymmetric only: resource servers verify with the public keys). */
export const ACCESS_TOKEN_ALGS = ['ES256', 'ES384', 'ES512', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512', 'EdDSA', 'Ed25519'] as const;

/** What `resource add` signs with unless told otherwise: compact, fast to verify, and what every JOSE library supports. */
export const DEFAULT_ACCESS_TOKEN_ALG = 'ES256';

/** The algorithms a key type (and curve) can sign with, as oidc-provider assigns them to a key without `alg`. */
function algorithmsOf(key: JWK): string[] {
  if (key.kty === 'RSA') return ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'];
  if (key.kty === 'EC') return { 'P-256': ['ES256'], 'P-384': ['ES384'], 'P-521': ['ES512'] }[key.crv ?? ''] ?? [];
  if (key.kty === 'OKP' && key.crv === 'Ed25519') return ['EdDSA', 'Ed25519'];
  return [];
}

/**
 * The JWS algorithms the signing keys can sign with: a key's own `alg`, or every algorithm of its type and curve when
 * it names none, skipping encryption keys and keys whose key_ops exclude signing (oidc-provider selects keys alike).
 */
export function signingAlgorithms(jwks: { keys: JWK[] }): Set<string> {
  const algs = new Set<string>();
  for (const key of jwks.keys) {
    if (key.use !== undefined && key.use !== 'sig') continue;
    if (Array.isArray(key.key_ops) && !key.key_ops.includes('sign')) continue;
    const possible = algorithmsOf(key);
    for (const alg of key.alg === undefined ? possible : possible.filter((candidate) => candidate === key.alg)) algs.add(alg);
  }
  return algs;
}

/** The purpose bound into the DPoP nonce secret (HKDF info): it shares nothing with the cookie keys it comes from. */
const DPOP_NONCE_INFO = 'stepup dpop nonce v1';

/**
 * The secret oidc-provider derives DPoP nonces (RFC 9449 §8) from: HKDF-SHA-256 of the signing cookie key, so every
 * instance with the same STEPUP_COOKIE_KEYS issues and accepts the same nonces without another setting.
 */
export function dpopNonceSecret(material: Pick<KeyMaterial, 'cookieKeys'>): Buffer {
  return Buffer.from(hkdfSync('sha256', material.cookieKeys[0]!, new Uint8Array(0), DPOP_NONCE_INFO, 32));
}
