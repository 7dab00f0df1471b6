// Verifies an RFC 9449 DPoP proof for a protected-resource request (§4.3, §7): the proof is a fresh JWS over this
// method and URL, signed by the key the access token is bound to, and carrying the access token's hash.
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, errors, jwtVerify, type JWK } from 'jose';
import { GuardError } from './errors.ts';
import type { ReplayStore } from './replay-store.ts';
import type { dpopNonces } from './dpop-nonce.ts';

export interface DpopCheck {
  /** The `DPoP` header as received; several values are refused (§4.3 check 1). */
  proof: string | readonly string[] | undefined;
  method: string | undefined;
  /** The request's absolute URL, as the guard sees it from outside. */
  url: string | undefined;
  accessToken: string;
  /** The token's `cnf.jkt`. */
  jkt: string;
  /** Epoch seconds. */
  now: number;
}

export interface DpopVerifierOptions {
  algorithms: readonly string[];
  /** Seconds a proof is accepted after its iat. */
  maxAge: number;
  /** Seconds a proof's iat may be ahead of our clock. */
  futureSkew: number;
  replayStore: ReplayStore;
  /** When set, every proof must carry a nonce this API handed out (RFC 9449 §9). */
  nonces?: ReturnType<typeof dpopNonces>;
}

const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;
/** Members of a private or symmetric JWK: a proof's `jwk` must be a public key (§4.2). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

function invalid(message: string, cause?: unknown): GuardError {
  return new GuardError('dpop_proof_invalid', message, { cause });
}

/**
 * RFC 9449 §4.3 check 9 with RFC 3986 §6.2.2/§6.2.3 normalisation (WHATWG URL: case of scheme and host, default port,
 * dot segments, percent-encoding), query and fragment ignored. Path case and trailing slashes stay significant.
 */
function htuOf(value: string): string | undefined {
  const url = URL.parse(value);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) return undefined;
  url.search = '';
  url.hash = '';
  return url.href;
}

/** base64url(SHA-256(access token)): the proof's `ath` (§4.2). */
function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken).digest('base64url');
}

export function dpopVerifier(options: DpopVerifierOptions) {
  const algorithms = [...options.algorithms];

  /** Checks the proof and records its jti; answers the thumbprint of its key, which equals the token's `cnf.jkt`. */
  return async function verifyDpopProof({ proof, method, url, accessToken, jkt, now }: DpopCheck): Promise<string> {
    if (proof === undefined || (typeof proof === 'string' && proof.trim() === '')) {
      throw new GuardError('dpop_proof_missing', 'the access token is DPoP-bound: send a DPoP proof in the DPoP header');
    }
    if (typeof proof !== 'string' || proof.includes(',')) throw invalid('send exactly one DPoP header');
    const jws = proof.trim();
    if (jws.length > MAX_PROOF_LENGTH) throw invalid('the DPoP proof is too long');

    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(jws);
    } catch (cause) {
      throw invalid('the DPoP proof is not a JWS', cause);
    }
    // Checked before the signature, for clear messages; jwtVerify checks typ and alg again.
    if (header.typ !== 'dpop+jwt') throw invalid('the DPoP proof must have typ dpop+jwt');
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw invalid(`the DPoP proof must be signed with one of ${algorithms.join(' ')}`);
    const jwk = header.jwk as JWK | undefined;
    if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) throw invalid('the DPoP proof must carry its public key in the jwk header');
    if (PRIVATE_MEMBERS.some((member) => member in jwk)) throw invalid('the DPoP proof jwk must be a public key: it carries private or symmetric key material');

    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(jws, EmbeddedJWK, { typ: 'dpop+jwt', algorithms, currentDate: new Date(now * 1000) }));
    } catch (cause) {
      if (cause instanceof errors.JWSSignatureVerificationFailed) throw invalid('the DPoP proof signature is invalid', cause);
      throw invalid('the DPoP proof is invalid', cause);
    }

    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) throw invalid('the DPoP proof needs a jti');
    if (typeof htm !== 'string' || htm !== method) throw invalid(`the DPoP proof is for another method (htm must be ${method})`);
    const expectedHtu = url === undefined ? undefined : htuOf(url);
    if (expectedHtu === undefined) throw invalid('the request URL is unknown: the DPoP proof cannot be checked');
    if (typeof htu !== 'string' || htuOf(htu) !== expectedHtu) throw invalid(`the DPoP proof is for another URL (htu must be ${expectedHtu})`);
    if (typeof iat !== 'number' || !Number.isFinite(iat)) throw invalid('the DPoP proof needs an iat');
    if (iat > now + options.futureSkew) throw invalid('the DPoP proof was issued in the future (iat)');
    if (iat < now - options.maxAge) throw invalid(`the DPoP proof is older than ${options.maxAge} seconds (iat)`);
    if (typeof ath !== 'string' || ath !== accessTokenHash(accessToken)) throw invalid('the DPoP proof is for another access token (ath)');

    // After the proof's own checks, so that a client told to fetch a nonce (RFC 9449 §9) has nothing else to mend.
    if (options.nonces && !options.nonces.accepts(payload.nonce, now)) {
      throw new GuardError(
        'dpop_nonce_required',
        payload.nonce === undefined ? 'this API requires a nonce in DPoP proofs: use the DPoP-Nonce header' : 'the DPoP proof nonce is stale or unknown: use the DPoP-Nonce header',
      );
    }

    const thumbprint = await calculateJwkThumbprint(jwk, 'sha256');
    // RFC 9449 §7.1's own example answers a key that is not the token's with invalid_token ("Invalid DPoP key binding").
    if (thumbprint !== jkt) throw new GuardError('dpop_key_mismatch', 'the DPoP proof is signed with a key the access token is not bound to (cnf.jkt)');

    // Last: only a proof that passed every check takes a slot; it stays until it could no longer pass the iat check.
    let fresh: boolean;
    try {
      fresh = await options.replayStore.consume(`dpop:${thumbprint}:${jti}`, iat + options.maxAge + 1);
    } catch (cause) {
      throw new GuardError('replay_store_unavailable', 'the DPoP replay check is unavailable', { cause });
    }
    if (!fresh) throw new GuardError('dpop_proof_replayed', 'the DPoP proof was already used (jti)');
    return thumbprint;
  };
}
