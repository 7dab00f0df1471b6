// The RP's view of the provider through openid-client: discovery (retried until it answers), authorization URLs, code exchange.
import * as oidc from 'openid-client';
import type { DemoConfig } from '../config.ts';
import type { TokenFacts } from './types.ts';

export interface Authorization {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
  maxAge?: number;
}

export interface Exchanged {
  sub: string;
  sid?: string;
  facts: TokenFacts;
  accessToken: string;
  accessTokenExpiresAt?: number;
  /** RFC 9396: the operations the access token approves, as the token response repeats them. */
  authorizationDetails?: unknown[];
}

export function providerClient(config: DemoConfig) {
  let discovered: Promise<oidc.Configuration> | undefined;
  const insecure = config.issuer.startsWith('http://');

  /** Discovery, once it succeeds; a failure is forgotten so the next request tries again. */
  function configuration(): Promise<oidc.Configuration> {
    discovered ??= oidc
      .discovery(new URL(config.issuer), config.clientId, config.clientSecret, undefined, {
        execute: insecure ? [oidc.allowInsecureRequests] : [],
        timeout: 10,
      })
      .catch((error: unknown) => {
        discovered = undefined;
        throw error;
      });
    return discovered;
  }

  return {
    configuration,

    /** A DPoP handle for a new key pair (ES256, not extractable): one per RP session, kept server-side. */
    async dpopHandle(): Promise<oidc.DPoPHandle> {
      return oidc.getDPoPHandle(await configuration(), await oidc.randomDPoPKeyPair('ES256'));
    },

    /** Authorization code flow with PKCE, state and nonce, for the API as `resource`; `extra` is what a challenge asked for. */
    async authorize(scope: string, extra: Record<string, string>): Promise<Authorization> {
      const verifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const url = oidc.buildAuthorizationUrl(await configuration(), {
        redirect_uri: `${config.rpUrl}/callback`,
        scope,
        resource: config.apiUrl,
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
        ...extra,
      });
      return { url, state, nonce, verifier, maxAge: extra.max_age !== undefined ? Number(extra.max_age) : undefined };
    },

    /**
     * Validates the callback and the ID token (nonce, and auth_time against max_age) and exchanges the code with a DPoP
     * proof made with `dpop`'s key (RFC 9449): the access token is bound to that key, so a stolen copy is of no use.
     */
    async exchange(callbackUrl: URL, checks: { state: string; nonce: string; verifier: string; maxAge?: number }, dpop: oidc.DPoPHandle): Promise<Exchanged> {
      const tokens = await oidc.authorizationCodeGrant(
        await configuration(),
        callbackUrl,
        {
          pkceCodeVerifier: checks.verifier,
          expectedState: checks.state,
          expectedNonce: checks.nonce,
          maxAge: checks.maxAge,
          idTokenExpected: true,
        },
        undefined,
        { DPoP: dpop },
      );
      const claims = tokens.claims()!;
      return {
        sub: claims.sub,
        sid: typeof claims.sid === 'string' ? claims.sid : undefined,
        facts: {
          acr: typeof claims.acr === 'string' ? claims.acr : undefined,
          amr: Array.isArray(claims.amr) ? claims.amr.filter((value): value is string => typeof value === 'string') : [],
          authTime: typeof claims.auth_time === 'number' ? claims.auth_time : undefined,
        },
        accessToken: tokens.access_token,
        accessTokenExpiresAt: tokens.expires_in !== undefined ? Math.floor(Date.now() / 1000) + tokens.expires_in : undefined,
        authorizationDetails: tokens.authorization_details ? [...tokens.authorization_details] : undefined,
      };
    },
  };
}

export type ProviderClient = ReturnType<typeof providerClient>;
