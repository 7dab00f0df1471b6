// RFC 9449 at the resource server: which tokens need a DPoP proof, and where the request's URL (the proof's htu) comes from.
import { dpopVerifier, type DpopVerifierOptions } from './dpop-proof.ts';
import { GuardConfigError, GuardError } from './errors.ts';
import type { Credentials } from './authorization-header.ts';
import type { GuardRequest, VerifiedToken } from './types.ts';

interface SenderBindingOptions extends DpopVerifierOptions {
  /** The API's external origin; otherwise the origin of the URL the framework layer saw. */
  origin?: string;
}

/** `https://api.example.com` exactly: an http(s) origin without path, query or fragment. */
export function checkOrigin(origin: string): string {
  const url = URL.parse(origin);
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || url.pathname !== '/' || url.search || url.hash || url.username || url.password) {
    throw new GuardConfigError(`origin must be an http(s) origin such as https://api.example.com, got ${JSON.stringify(origin)}`);
  }
  return url.origin;
}

export function senderBinding(options: SenderBindingOptions) {
  const verifyProof = dpopVerifier(options);

  /** The request's URL as clients address it: with `origin`, only the path and query are taken from the request. */
  function externalUrl(url: string | undefined): string | undefined {
    const parsed = url === undefined ? undefined : URL.parse(url, options.origin ?? undefined);
    if (!parsed) return undefined;
    // Concatenated, not resolved: a request target such as //evil.example/x must not change the host.
    return options.origin ? `${options.origin}${parsed.pathname}${parsed.search}` : parsed.href;
  }

  /** Refuses a DPoP-bound token without its proof, a bound token sent as Bearer, and an unbound one where DPoP is required. */
  return async function checkBinding(credentials: Credentials, token: VerifiedToken, request: GuardRequest, now: number, required: boolean): Promise<void> {
    if (token.jkt === undefined) {
      if (credentials.scheme === 'DPoP') throw new GuardError('token_not_dpop_bound', 'the access token is not DPoP-bound: send it as Authorization: Bearer');
      if (required) throw new GuardError('dpop_required', 'this API accepts only DPoP-bound access tokens here');
      return;
    }
    // RFC 9449 §7.1: a DPoP-bound token sent as a bearer token is refused, whatever else comes with it.
    if (credentials.scheme === 'Bearer') throw new GuardError('token_dpop_bound', 'the access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof');
    await verifyProof({ proof: request.dpop, method: request.method, url: externalUrl(request.url), accessToken: credentials.token, jkt: token.jkt, now });
  };
}
