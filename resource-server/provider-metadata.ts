// Loads the provider's discovery document once (and again after a failure): jwks_uri, introspection, acr values.
import { GuardError } from './errors.ts';

export interface ProviderMetadata {
  jwksUri: string;
  introspectionEndpoint?: string;
  acrValuesSupported?: string[];
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}

function unavailable(message: string, cause?: unknown): GuardError {
  return new GuardError('provider_unavailable', `the authorization server's metadata is unavailable (${message})`, { cause });
}

async function fetchMetadata(issuer: string, timeout: number): Promise<ProviderMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let body: unknown;
  try {
    const response = await fetch(url, { headers: { accept: 'application/json' }, redirect: 'manual', signal: AbortSignal.timeout(timeout) });
    if (response.status !== 200) throw unavailable(`${url} answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw error instanceof GuardError ? error : unavailable(`${url}: ${(error as Error).message}`, error);
  }
  const document = (body ?? {}) as Record<string, unknown>;
  // OpenID Connect Discovery §4.3: the document must name exactly the issuer it was fetched for.
  if (document.issuer !== issuer) throw unavailable(`discovery names issuer ${String(document.issuer)}, expected ${issuer}`);
  if (typeof document.jwks_uri !== 'string') throw unavailable('discovery has no jwks_uri');
  return {
    jwksUri: document.jwks_uri,
    introspectionEndpoint: typeof document.introspection_endpoint === 'string' ? document.introspection_endpoint : undefined,
    acrValuesSupported: isStringArray(document.acr_values_supported) ? document.acr_values_supported : undefined,
  };
}

/** A loader that fetches at most once at a time, keeps the first success, and asks again after a failure. */
export function providerMetadata(issuer: string, timeout: number): () => Promise<ProviderMetadata> {
  let loaded: ProviderMetadata | undefined;
  let pending: Promise<ProviderMetadata> | undefined;
  return async () => {
    if (loaded) return loaded;
    pending ??= fetchMetadata(issuer, timeout).then(
      (metadata) => (loaded = metadata),
      (error: unknown) => {
        pending = undefined;
        throw error;
      },
    );
    return pending;
  };
}
