// Typed configuration from the environment (the settings table), validated at start-up with errors that name the bad setting.
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { MetadataStatement } from '@simplewebauthn/server';
import { z } from 'zod';
import { DEFAULT_LADDER, DEFAULT_SCOPE_RULES, DEFAULT_OPERATIONS } from './ladder.ts';
import { secureCookies } from './cookies.ts';
import { ConfigError } from './errors.ts';
import { developmentKeys, parseCookieKeys, parseJwks, parseTotpKeys, type KeyMaterial } from './keys.ts';
import { policySchema, type StepUpPolicy } from './policy-schema.ts';
import { DEFAULT_MONGODB_DB, DEFAULT_REFRESH_TOKEN_TTL, envSchema, type EnvVars } from './settings.ts';
import { DEFAULT_LIMITER_POLICY, type AddressLimitPolicy, type AttestationTrust, type LimiterPolicy, type PasswordParams } from '../authenticators/index.ts';

export { ConfigError } from './errors.ts';

export type { PasswordParams } from '../authenticators/index.ts';

/** Where everything is kept: the embedded SQLite file, or MongoDB (shared by several instances). */
export type StorageConfig = { kind: 'sqlite'; file: string } | { kind: 'mongodb'; uri: string; dbName: string };

export interface AppConfig {
  production: boolean;
  port: number;
  host: string;
  issuer: string;
  dataDir: string;
  storage: StorageConfig;
  /** Seed the demo account and client (development only). */
  demo: boolean;
  policy: StepUpPolicy;
  keys: KeyMaterial;
  password: PasswordParams;
  limiter: LimiterPolicy;
  /** Wrong guesses (passwords and TOTP codes, all accounts together) allowed per client address and window. */
  addressLimit: AddressLimitPolicy;
  /**
   * Reverse proxies in front of the server, each appending to X-Forwarded-For: the client address is the entry
   * that many places from the right (entries further left are whatever the client sent). 0: the socket's address.
   */
  proxyHops: number;
  /** Lifetimes in seconds. */
  ttl: { session: number; interaction: number; authorizationCode: number; idToken: number; accessToken: number; refreshToken: number };
  /** How recent a step-up must be before a user may change their authenticators. */
  sensitiveActionMaxAge: number;
  /** A sign-out also revokes the grants (and refresh tokens) of clients given offline_access. */
  signoutRevokesOffline: boolean;
  /**
   * Passkeys: the relying-party id (a registrable domain of the issuer), the origins pages are served from, and the
   * attestation trust anchors when the policy asks for attestation.
   */
  webauthn: { rpId: string; rpName: string; origins: string[]; attestation?: AttestationTrust };
  /** Prometheus metrics on their own port (on HOST), off when unset. */
  metricsPort?: number;
  logLevel: string;
}

function storageConfig(vars: EnvVars, dataDir: string): StorageConfig {
  if (vars.MONGODB_URI) return { kind: 'mongodb', uri: vars.MONGODB_URI, dbName: vars.MONGODB_DB ?? DEFAULT_MONGODB_DB };
  if (vars.MONGODB_DB) throw new ConfigError('MONGODB_DB is set but MONGODB_URI is not: set MONGODB_URI to use MongoDB, or unset MONGODB_DB');
  return { kind: 'sqlite', file: join(dataDir, 'stepup.sqlite') };
}

function issues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

function loadPolicy(file: string | undefined): StepUpPolicy {
  const source = file ? readPolicyFile(file) : { ladder: DEFAULT_LADDER, scopeRules: DEFAULT_SCOPE_RULES, operations: DEFAULT_OPERATIONS };
  const result = policySchema.safeParse(source);
  if (!result.success) throw new ConfigError(`STEPUP_POLICY_FILE (${file ?? 'defaults'}) is invalid: ${issues(result.error)}`);
  return result.data;
}

/** The attestation trust anchors the policy names, read once at start-up (relative paths from the policy file). */
function loadAttestationTrust(policy: StepUpPolicy, file: string | undefined): AttestationTrust | undefined {
  if (!policy.attestation) return undefined;
  const base = file ? dirname(resolve(file)) : process.cwd();
  const read = (path: string, what: string) => {
    try {
      return readFileSync(resolve(base, path), 'utf8');
    } catch (error) {
      throw new ConfigError(`STEPUP_POLICY_FILE attestation: cannot read the ${what} ${path} (${(error as Error).message})`);
    }
  };
  const rootCertificates = policy.attestation.rootCertificates.map((path) => {
    const pem = read(path, 'root certificate');
    try {
      new X509Certificate(pem);
    } catch {
      throw new ConfigError(`STEPUP_POLICY_FILE attestation: ${path} is not a PEM certificate`);
    }
    return pem;
  });
  const metadataStatements = policy.attestation.metadataStatements.map((path) => {
    try {
      return JSON.parse(read(path, 'metadata statement')) as MetadataStatement;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`STEPUP_POLICY_FILE attestation: ${path} is not a JSON metadata statement`);
    }
  });
  return { rootCertificates, metadataStatements };
}

/** STEPUP_RECOVERY_COOL_OFF, when set, overrides the policy file's recovery.coolOff. */
function withCoolOff(policy: StepUpPolicy, coolOff: number | undefined): StepUpPolicy {
  return coolOff === undefined ? policy : { ...policy, recovery: { ...policy.recovery, coolOff } };
}

function readPolicyFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`STEPUP_POLICY_FILE: cannot read ${file} as JSON (${(error as Error).message})`);
  }
}

/**
 * Resource servers are registered by operators (`cli resource add`, server/resource-registry.ts), no longer from the
 * environment: a STEPUP_RESOURCE_SERVERS left set is refused rather than silently ignored (by the CLI too), with the
 * commands that register what it lists once it is unset.
 */
function refuseResourceServersVariable(text: string | undefined): void {
  if (text === undefined || text.trim() === '') return;
  const commands = resourceAddCommands(text);
  throw new ConfigError(
    `STEPUP_RESOURCE_SERVERS is no longer read: resource servers are registered with \`npm run cli -- resource add --indicator <uri> --scope "<scopes>"\` (see docs/operations.md). Unset it${
      commands.length > 0 ? `, then register what it lists (the CLI refuses to run while it is set): ${commands.join('; ')}` : ''
    }`,
  );
}

/** `resource add` commands for the entries of an old STEPUP_RESOURCE_SERVERS value (none when it cannot be read). */
function resourceAddCommands(text: string): string[] {
  const entry = z.object({ indicator: z.string(), scope: z.string(), accessTokenTTL: z.number().int().optional() });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const result = z.array(entry).safeParse(parsed);
  if (!result.success) return [];
  const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;
  return result.data.map(
    (server) => `npm run cli -- resource add --indicator ${quote(server.indicator)} --scope ${quote(server.scope)}${server.accessTokenTTL !== undefined ? ` --ttl ${server.accessTokenTTL}` : ''}`,
  );
}

/** The RP id must be the issuer's host or a registrable suffix of it, or browsers refuse every passkey. */
function webauthnSettings(vars: EnvVars, issuer: string): AppConfig['webauthn'] {
  const host = new URL(issuer).hostname;
  const rpId = vars.STEPUP_WEBAUTHN_RP_ID ?? host;
  if (host !== rpId && !host.endsWith(`.${rpId}`)) {
    throw new ConfigError(`STEPUP_WEBAUTHN_RP_ID "${rpId}" must be the issuer's host "${host}" or a parent domain of it`);
  }
  const origins = (vars.STEPUP_WEBAUTHN_ORIGINS ?? new URL(issuer).origin).split(',').map((origin) => origin.trim());
  for (const origin of origins) {
    let url: URL;
    try {
      url = new URL(origin);
    } catch {
      throw new ConfigError(`STEPUP_WEBAUTHN_ORIGINS: "${origin}" is not a URL`);
    }
    if (url.origin !== origin) throw new ConfigError(`STEPUP_WEBAUTHN_ORIGINS: "${origin}" must be a bare origin like ${url.origin}`);
  }
  return { rpId, rpName: vars.STEPUP_WEBAUTHN_RP_NAME, origins };
}

async function loadKeys(vars: EnvVars, production: boolean, dataDir: string): Promise<KeyMaterial> {
  const given = [vars.STEPUP_JWKS, vars.STEPUP_COOKIE_KEYS, vars.STEPUP_TOTP_KEYS];
  if (given.every((value) => value !== undefined)) {
    return {
      jwks: parseJwks('STEPUP_JWKS', vars.STEPUP_JWKS!),
      cookieKeys: parseCookieKeys('STEPUP_COOKIE_KEYS', vars.STEPUP_COOKIE_KEYS!),
      totpKeys: parseTotpKeys('STEPUP_TOTP_KEYS', vars.STEPUP_TOTP_KEYS!),
      generated: false,
    };
  }
  if (production) {
    throw new ConfigError('production needs STEPUP_JWKS, STEPUP_COOKIE_KEYS and STEPUP_TOTP_KEYS, the same on every instance; generate them with `npm run cli -- keys generate`');
  }
  if (given.some((value) => value !== undefined)) {
    throw new ConfigError('set all of STEPUP_JWKS, STEPUP_COOKIE_KEYS and STEPUP_TOTP_KEYS, or none (development keys are then generated)');
  }
  return developmentKeys(dataDir);
}

/**
 * This server speaks plain HTTP: an https issuer means a TLS-terminating proxy in front, whose X-Forwarded-Proto
 * must be trusted (otherwise the Secure cookies cannot be sent and every sign-in fails). Default: 1 hop then, else 0.
 */
function proxyHops(configured: number | undefined, issuer: string): number {
  const https = secureCookies({ issuer });
  if (configured === 0 && https) {
    throw new ConfigError('STEPUP_PROXY_HOPS=0 with an https:// ISSUER: this server speaks plain HTTP, so it must trust the TLS-terminating proxy in front of it (at least 1)');
  }
  return configured ?? (https ? 1 : 0);
}

/** A refresh token belongs to a grant, which lasts as long as the session: it could not be used past that. */
function lifetimes(vars: EnvVars): AppConfig['ttl'] {
  const session = vars.STEPUP_SESSION_TTL;
  const refreshToken = vars.STEPUP_REFRESH_TOKEN_TTL ?? Math.min(DEFAULT_REFRESH_TOKEN_TTL, session);
  if (refreshToken > session) {
    throw new ConfigError(`STEPUP_REFRESH_TOKEN_TTL (${refreshToken}) exceeds STEPUP_SESSION_TTL (${session}): a refresh token cannot outlive its grant, which lasts as long as the session`);
  }
  return {
    session,
    interaction: vars.STEPUP_INTERACTION_TTL,
    authorizationCode: vars.STEPUP_CODE_TTL,
    idToken: vars.STEPUP_ID_TOKEN_TTL,
    accessToken: vars.STEPUP_ACCESS_TOKEN_TTL,
    refreshToken,
  };
}

export async function loadConfig(source: NodeJS.ProcessEnv = process.env): Promise<AppConfig> {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`invalid environment: ${issues(parsed.error)}`);
  const vars = parsed.data;
  const production = vars.NODE_ENV === 'production';
  const issuer = (vars.ISSUER ?? `http://localhost:${vars.PORT}`).replace(/\/$/, '');
  const dataDir = resolve(vars.DATA_DIR);
  const demo = vars.STEPUP_DEMO ? vars.STEPUP_DEMO === '1' : !production;

  if (production) {
    if (demo) throw new ConfigError('STEPUP_DEMO=1 is not allowed in production: demo accounts have published passwords');
    if (!secureCookies({ issuer })) {
      throw new ConfigError(`ISSUER must be an https:// URL in production (got ${issuer}); cookies would otherwise be sent without Secure`);
    }
  }

  refuseResourceServersVariable(source.STEPUP_RESOURCE_SERVERS);
  const policy = withCoolOff(loadPolicy(vars.STEPUP_POLICY_FILE), vars.STEPUP_RECOVERY_COOL_OFF);
  const attestation = loadAttestationTrust(policy, vars.STEPUP_POLICY_FILE);
  return {
    production,
    port: vars.PORT,
    host: vars.HOST,
    issuer,
    dataDir,
    storage: storageConfig(vars, dataDir),
    demo,
    policy,
    keys: await loadKeys(vars, production, dataDir),
    password: { N: vars.STEPUP_SCRYPT_N, r: 8, p: 1, keylen: 32 },
    limiter: { ...DEFAULT_LIMITER_POLICY, baseDelaySeconds: vars.STEPUP_LIMIT_BASE_DELAY },
    addressLimit: { maxFailures: vars.STEPUP_ADDRESS_MAX_FAILURES, windowSeconds: vars.STEPUP_ADDRESS_WINDOW },
    proxyHops: proxyHops(vars.STEPUP_PROXY_HOPS, issuer),
    ttl: lifetimes(vars),
    sensitiveActionMaxAge: vars.STEPUP_SENSITIVE_ACTION_MAX_AGE,
    signoutRevokesOffline: vars.STEPUP_SIGNOUT_REVOKES_OFFLINE === '1',
    webauthn: { ...webauthnSettings(vars, issuer), ...(attestation && { attestation }) },
    metricsPort: vars.METRICS_PORT,
    logLevel: vars.LOG_LEVEL,
  };
}
