// Password hashing with scrypt, encoded as `scrypt$N$r$p$salt$hash` so the parameters can change later.
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { AuthError } from './errors.ts';

export interface PasswordParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
  /** Derived key length in bytes. */
  keylen: number;
  /** Memory ceiling in bytes handed to scrypt; derived from N and r when omitted. */
  maxmem?: number;
}

/** About 32 MiB and tens of milliseconds per hash. */
export const DEFAULT_PASSWORD_PARAMS: Readonly<PasswordParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1, keylen: 32 });

export const MAX_PASSWORD_LENGTH = 1024;

const SALT_BYTES = 16;
const B64 = /^[A-Za-z0-9+/]+$/;

interface ParsedHash {
  params: PasswordParams;
  salt: Buffer;
  hash: Buffer;
}

/** Throws AuthError('invalid_input') for a password that is empty, not a string, or longer than 1024 characters. */
export function assertPasswordInput(password: unknown): asserts password is string {
  if (typeof password !== 'string' || password.length === 0) {
    throw new AuthError('invalid_input', 'password is required');
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new AuthError('invalid_input', `password is longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
}

/** Hashes a password with fresh random salt. */
export async function hashPassword(password: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): Promise<string> {
  assertPasswordInput(password);
  assertParams(params);
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, params);
  return ['scrypt', params.N, params.r, params.p, b64(salt), b64(hash)].join('$');
}

/** Constant-time check of a password against an encoded hash; a malformed hash never matches. */
export async function verifyPasswordHash(password: string, encoded: string): Promise<boolean> {
  assertPasswordInput(password);
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return dummyVerify(password);
  const candidate = await derive(password, parsed.salt, parsed.params);
  return timingSafeEqual(candidate, parsed.hash);
}

/** True when the hash was made with other parameters (or cannot be read) and should be replaced on next login. */
export function needsRehash(encoded: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): boolean {
  const parsed = parsePasswordHash(encoded);
  if (!parsed) return true;
  const { N, r, p, keylen } = parsed.params;
  return N !== params.N || r !== params.r || p !== params.p || keylen !== params.keylen || parsed.salt.length < SALT_BYTES;
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * Spends the time of one verification and returns false: used when the username is unknown,
 * so that the answer takes as long as for a wrong password. The dummy hash is computed once per
 * parameter set, lazily (call it at start-up to warm it).
 */
export async function dummyVerify(password: string, params: PasswordParams = DEFAULT_PASSWORD_PARAMS): Promise<false> {
  assertPasswordInput(password);
  assertParams(params);
  const key = `${params.N}$${params.r}$${params.p}$${params.keylen}`;
  let dummy = dummyHashes.get(key);
  if (!dummy) {
    dummy = hashPassword(randomBytes(32).toString('base64'), params);
    dummyHashes.set(key, dummy);
    dummy.catch(() => dummyHashes.delete(key));
  }
  const parsed = parsePasswordHash(await dummy)!;
  const candidate = await derive(password, parsed.salt, { ...parsed.params, maxmem: params.maxmem });
  timingSafeEqual(candidate, parsed.hash);
  return false;
}

function parsePasswordHash(encoded: string): ParsedHash | undefined {
  if (typeof encoded !== 'string') return undefined;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (![n, r, p].every((v) => /^[1-9][0-9]{0,9}$/.test(v)) || !B64.test(salt) || !B64.test(hash)) return undefined;
  const saltBytes = Buffer.from(salt, 'base64');
  const hashBytes = Buffer.from(hash, 'base64');
  const params: PasswordParams = { N: Number(n), r: Number(r), p: Number(p), keylen: hashBytes.length };
  if (!paramsAreSane(params) || saltBytes.length < 8) return undefined;
  return { params, salt: saltBytes, hash: hashBytes };
}

/** Bounds that keep a corrupted stored hash from costing unbounded memory or time. */
function paramsAreSane({ N, r, p, keylen }: PasswordParams): boolean {
  return (
    Number.isInteger(N) &&
    N >= 2 &&
    N <= 2 ** 22 &&
    (N & (N - 1)) === 0 &&
    Number.isInteger(r) &&
    r >= 1 &&
    r <= 64 &&
    Number.isInteger(p) &&
    p >= 1 &&
    p <= 64 &&
    Number.isInteger(keylen) &&
    keylen >= 16 &&
    keylen <= 128 &&
    128 * N * r <= 2 ** 30
  );
}

function assertParams(params: PasswordParams): void {
  if (!paramsAreSane(params)) {
    throw new RangeError('scrypt parameters out of range (N a power of two up to 2^22, 1 <= r, p <= 64, 16 <= keylen <= 128)');
  }
}

function derive(password: string, salt: Buffer, params: PasswordParams): Promise<Buffer> {
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: params.maxmem ?? Math.max(32 * 1024 * 1024, 2 * 128 * params.N * params.r * params.p),
  };
  const input = password.normalize('NFKC');
  return new Promise((resolve, reject) => {
    scrypt(input, salt, params.keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
