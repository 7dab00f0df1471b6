// Which JWS algorithms the configured keys can sign with, as oidc-provider selects a key: what `resource add --alg`
// and the start-up check compare a resource's algorithm with.
import { describe, expect, it } from 'vitest';
import type { JWK } from 'jose';
import { signingAlgorithms } from '../../config/keys.ts';

const rsa: JWK = { kty: 'RSA', n: 'n', e: 'AQAB', d: 'd' };
const p256: JWK = { kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'd' };

describe('signingAlgorithms', () => {
  it.each<[string, JWK[], string[]]>([
    ['a key naming its alg signs that alg only', [{ ...rsa, alg: 'RS256' }], ['RS256']],
    ['an RSA key without alg signs every RSA algorithm', [rsa], ['PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512']],
    ['an EC key signs its curve', [p256, { kty: 'EC', crv: 'P-384', x: 'x', y: 'y', d: 'd' }], ['ES256', 'ES384']],
    ['an Ed25519 key', [{ kty: 'OKP', crv: 'Ed25519', x: 'x', d: 'd' }], ['EdDSA', 'Ed25519']],
    ['an encryption key signs nothing', [{ ...p256, use: 'enc' }], []],
    ['a key whose key_ops exclude sign signs nothing', [{ ...p256, key_ops: ['verify'] }], []],
    ['an alg its type cannot have signs nothing', [{ ...p256, alg: 'RS256' }], []],
    ['an X25519 key signs nothing', [{ kty: 'OKP', crv: 'X25519', x: 'x', d: 'd' }], []],
  ])('%s', (_name, keys, algs) => {
    expect([...signingAlgorithms({ keys })].sort()).toEqual([...algs].sort());
  });
});
