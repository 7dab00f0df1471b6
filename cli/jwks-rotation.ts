// Signing-key rotation as pure steps on a JWKS: oidc-provider signs with the first key of each algorithm and publishes them all.
import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import type { ResourceRecord } from '../adapters/types.ts';
import type { AppConfig } from '../config/index.ts';
import { CliError } from './errors.ts';

export interface Jwks {
  keys: JWK[];
}

function algorithms(jwks: Jwks): string[] {
  const algs: string[] = [];
  for (const key of jwks.keys) {
    if (typeof key.alg !== 'string') throw new CliError('invalid_input', `the key ${key.kid ?? '(without kid)'} has no "alg": every signing key must name its algorithm`);
    if (!algs.includes(key.alg)) algs.push(key.alg);
  }
  return algs;
}

/** A new key like the current signing key of its algorithm (same curve, same RSA modulus length). */
async function newKeyLike(current: JWK): Promise<JWK> {
  const alg = current.alg!;
  const modulusLength = current.kty === 'RSA' && current.n ? Buffer.from(current.n, 'base64url').length * 8 : undefined;
  const { privateKey } = await generateKeyPair(alg, { extractable: true, ...(current.crv && { crv: current.crv }), ...(modulusLength && { modulusLength }) });
  return { ...(await exportJWK(privateKey)), alg, use: 'sig', kid: `${alg.toLowerCase()}-${randomBytes(6).toString('base64url')}` };
}

/**
 * Adds one new key per algorithm. 'first': the new keys sign from the next start. 'last': they are only published,
 * for a rolling deployment in which no instance may sign with a key that others do not publish yet (then promote).
 */
export async function addSigningKeys(jwks: Jwks, placement: 'first' | 'last'): Promise<{ jwks: Jwks; added: JWK[] }> {
  const added: JWK[] = [];
  for (const alg of algorithms(jwks)) added.push(await newKeyLike(jwks.keys.find((key) => key.alg === alg)!));
  return { jwks: { keys: placement === 'first' ? [...added, ...jwks.keys] : [...jwks.keys, ...added] }, added };
}

/** Moves the last key of each algorithm (the one staged most recently) to the front, so it signs. */
export function promoteSigningKeys(jwks: Jwks): { jwks: Jwks; promoted: JWK[] } {
  const promoted = algorithms(jwks).map((alg) => jwks.keys.filter((key) => key.alg === alg).at(-1)!);
  return { jwks: { keys: [...promoted, ...jwks.keys.filter((key) => !promoted.includes(key))] }, promoted };
}

/** Keeps only the signing key of each algorithm (the first), dropping the older ones. */
export function retireSigningKeys(jwks: Jwks): { jwks: Jwks; retired: JWK[] } {
  const signing = algorithms(jwks).map((alg) => jwks.keys.find((key) => key.alg === alg)!);
  return { jwks: { keys: signing }, retired: jwks.keys.filter((key) => !signing.includes(key)) };
}

/**
 * Seconds a token signed with a key stays valid: ID tokens and JWT access tokens, whose lifetime is the default or a
 * registered resource's own (policy levels and operation types only shorten it). Refresh tokens and the access tokens
 * of resources registered `--format opaque` are not signed (the provider stores them), so their lifetimes do not count.
 */
export function longestSignedTokenLifetime(config: Pick<AppConfig, 'ttl'>, resources: ReadonlyArray<Pick<ResourceRecord, 'accessTokenTTL'> & Partial<Pick<ResourceRecord, 'format'>>> = []): number {
  const signed = resources.filter((resource) => resource.format !== 'opaque');
  return Math.max(config.ttl.idToken, config.ttl.accessToken, ...signed.map((resource) => resource.accessTokenTTL ?? 0));
}
