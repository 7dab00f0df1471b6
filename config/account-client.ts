// The account pages are a first-party client of the provider: they step up through the same authorization flow.
import type { ClientMetadata } from 'oidc-provider';

export const ACCOUNT_CLIENT_ID = 'stepup-account';

export function accountRedirectUri(issuer: string): string {
  return `${issuer}/account/callback`;
}

export function accountClient(issuer: string): ClientMetadata {
  return {
    client_id: ACCOUNT_CLIENT_ID,
    client_name: 'Your account',
    token_endpoint_auth_method: 'none',
    response_types: ['none'],
    grant_types: [],
    redirect_uris: [accountRedirectUri(issuer)],
    first_party: true,
  };
}
