// What the benchmark and both servers agree on: the client they register and the bench policy's aal2 lifetime.

/** The confidential client both servers register: PKCE, code and refresh_token, client_secret_basic. */
export const BENCH_CLIENT = {
  client_id: 'bench-rp',
  client_secret: 'bench-rp-client-secret-0123456789abcdef',
  redirect_uris: ['http://127.0.0.1:1/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'client_secret_basic',
};

/** Never requested: the browser stops when a redirect points here. */
export const CALLBACK = BENCH_CLIENT.redirect_uris[0]!;

/** aal2 lasts this long in the product under benchmark (12 h by default), so a session's next aal2 request needs a new code. */
export const BENCH_AAL2_MAX_AGE = 5;

/** The one account the plain server's scripted login signs in, without a password. */
export const PLAIN_ACCOUNT_ID = 'plain-bench-account';

/** The product under benchmark hashes seeded passwords at this scrypt N (production: 2^15); password cost is measured alone. */
export const PRODUCT_BENCH_SCRYPT_N = 1024;
