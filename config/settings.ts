// Every environment setting of the server and the CLI, in one table: the env schema, the CLI help and the README derive from it.
import { z } from 'zod';
import { DEFAULT_ADDRESS_LIMIT, DEFAULT_LIMITER_POLICY } from '../authenticators/index.ts';
import { DEFAULT_RECOVERY_COOL_OFF } from './policy-schema.ts';

/** Sections of the CLI help and the README reference, in this order. */
export const SETTING_GROUPS = {
  server: 'Server',
  storage: 'Storage',
  keys: 'Keys (the same on every instance)',
  policy: 'Step-up policy, accounts and passkeys',
  guessing: 'Passwords and guessing limits',
  tokens: 'Lifetimes and APIs',
} as const;

export type SettingGroup = keyof typeof SETTING_GROUPS;

export interface Setting<N extends string = string, S extends z.ZodType = z.ZodType, D = unknown> {
  env: N;
  group: SettingGroup;
  /** Validates a set value (numbers are coerced from the string). */
  schema: S;
  /** The value when unset, applied by the schema. */
  default?: D;
  /** When unset and loadConfig decides (Markdown): what happens instead. */
  unset?: string;
  /** An empty value (`MONGODB_URI=`) counts as unset. */
  emptyIsUnset?: boolean;
  /** A number of seconds: the default is also shown as a duration. */
  seconds?: boolean;
  /** One line for the CLI help and the README (code spans allowed, no links). */
  description: string;
  /** More for the README only (Markdown, may link to other sections). */
  details?: string;
}

/** An entry, typed so that EnvVars knows its name, its value and whether it has a default. */
function setting<const N extends string, S extends z.ZodType, const D extends z.output<S> | undefined = undefined>(entry: Setting<N, S, D>): Setting<N, S, D> & { default: D } {
  return entry as Setting<N, S, D> & { default: D };
}

const DAY = 24 * 3600;
const port = (min: number) => z.coerce.number().int().min(min).max(65535);
const seconds = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const flag = z.enum(['0', '1']);

/** Refresh tokens last this long unless the session (their grant) is shorter: loadConfig applies it. */
export const DEFAULT_REFRESH_TOKEN_TTL = 14 * DAY;

/** The most worker processes STEPUP_WORKERS may ask for (`auto` is capped to it too). */
export const MAX_WORKERS = 64;

/** The database MONGODB_URI uses when MONGODB_DB is unset (loadConfig applies it: MONGODB_DB alone is an error). */
export const DEFAULT_MONGODB_DB = 'stepup';

export const SETTINGS = [
  // Server
  setting({
    env: 'NODE_ENV',
    group: 'server',
    schema: z.enum(['development', 'production', 'test']),
    default: 'development',
    description: '`production` refuses demo data, generated keys, an `http://` issuer, insecure cookies and end-of-life Node',
  }),
  setting({ env: 'PORT', group: 'server', schema: port(0), default: 3000, description: 'port the provider listens on' }),
  setting({ env: 'HOST', group: 'server', schema: z.string().min(1), default: 'localhost', description: 'interface (name or address) the provider and the metrics listen on' }),
  setting({
    env: 'ISSUER',
    group: 'server',
    schema: z.string().url(),
    unset: '`http://localhost:$PORT`',
    description: 'public URL of the provider, whose host TOTP URIs name; must be `https://` in production',
  }),
  setting({
    env: 'STEPUP_PROXY_HOPS',
    group: 'server',
    schema: z.coerce.number().int().min(0).max(10),
    emptyIsUnset: true,
    unset: '`1` with an `https://` issuer, else `0`',
    description: 'reverse proxies in front, each appending to `X-Forwarded-For` and trusted for `X-Forwarded-Proto`',
    details: "`0` uses the socket's address and is refused with an `https://` issuer, since this server speaks plain HTTP behind TLS termination",
  }),
  setting({
    env: 'LOG_LEVEL',
    group: 'server',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    description: 'pino log level; JSON lines on stdout',
    details:
      'one `request` line per request (method, path without query string, status, ms) and every line tagged with `requestId` (a sane `X-Request-Id` from a trusted proxy, else a new UUID; echoed in the response)',
  }),
  setting({
    env: 'STEPUP_WORKERS',
    group: 'server',
    schema: z
      .string()
      .trim()
      .regex(/^(auto|\d{1,3})$/, `must be a number of processes from 1 to ${MAX_WORKERS}, or auto`)
      .transform((value) => (value === 'auto' ? value : Number(value)))
      .pipe(z.union([z.literal('auto'), z.number().int().min(1, 'must be at least 1').max(MAX_WORKERS, `must be at most ${MAX_WORKERS}`)])),
    default: 1,
    emptyIsUnset: true,
    description: `processes serving \`PORT\` (node:cluster), 1 to ${MAX_WORKERS}, or \`auto\`: one per core the process may use; \`1\` is a single process without a cluster primary`,
    details: 'see [Workers](#workers)',
  }),
  setting({
    env: 'METRICS_PORT',
    group: 'server',
    schema: port(1),
    unset: 'off',
    description: 'serve Prometheus metrics at `http://$HOST:$METRICS_PORT/metrics`',
    details:
      '`stepup_decisions_total` by requested / achieved level, outcome and satisfaction, `stepup_factor_verifications_total`, `stepup_factor_verification_seconds` (latency histogram by factor and outcome), `stepup_attempt_limit_hits_total`, process metrics. `/healthz` (alive) and `/readyz` (storage answers) are on the main port',
  }),

  // Storage
  setting({ env: 'DATA_DIR', group: 'storage', schema: z.string().min(1), default: 'data', description: 'directory of the SQLite database and, in development, the generated keys' }),
  setting({
    env: 'MONGODB_URI',
    group: 'storage',
    schema: z.string().regex(/^mongodb(\+srv)?:\/\/[^/?]+/, 'must be a mongodb:// or mongodb+srv:// connection string'),
    emptyIsUnset: true,
    unset: 'SQLite in `DATA_DIR`',
    description: 'keep everything in MongoDB instead: a `mongodb://` or `mongodb+srv://` connection string',
    details: 'see [MongoDB and several instances](#mongodb-and-several-instances) below',
  }),
  setting({
    env: 'MONGODB_DB',
    group: 'storage',
    schema: z.string().regex(/^[^/\\. "$*<>:|?]{1,63}$/, 'must be a MongoDB database name: 1 to 63 characters, none of /\\. "$*<>:|?'),
    emptyIsUnset: true,
    unset: `\`${DEFAULT_MONGODB_DB}\``,
    description: 'the MongoDB database, used only with `MONGODB_URI`',
  }),
  setting({
    env: 'STEPUP_DEMO',
    group: 'storage',
    schema: flag,
    unset: '`1` outside production',
    description: 'seed the demo user and client; refused in production, since their passwords are published',
  }),

  // Keys
  setting({
    env: 'STEPUP_JWKS',
    group: 'keys',
    schema: z.string().min(1),
    unset: 'generated in development',
    description: 'private signing keys, `{"keys":[...]}` each with `d`; the first of each algorithm signs, the rest stay published',
    details:
      'set all three keys or none (development keys are then generated in `DATA_DIR`; production refuses); `npm run cli -- keys generate` prints them, `keys rotate`, `keys promote` and `keys retire` rotate the signing keys (see [Operator CLI](#operator-cli))',
  }),
  setting({
    env: 'STEPUP_COOKIE_KEYS',
    group: 'keys',
    schema: z.string().min(1),
    unset: 'generated in development',
    description:
      "comma-separated cookie keys of at least 32 characters, newest first: the first signs, all verify; the account pages' enrolment cookies are encrypted under keys derived from them (HKDF), never under the TOTP keys",
  }),
  setting({
    env: 'STEPUP_TOTP_KEYS',
    group: 'keys',
    schema: z.string().min(1),
    unset: 'generated in development',
    description: "comma-separated `kid:<32 bytes base64url>` keys, newest first: the first encrypts TOTP secrets, all decrypt; the CLI needs the server's",
  }),

  // Step-up policy, accounts and passkeys
  setting({
    env: 'STEPUP_POLICY_FILE',
    group: 'policy',
    schema: z.string().min(1),
    unset: 'built-in ladder',
    description: 'JSON `{ ladder, scopeRules, strict, attestation, recovery }`',
    details: 'see [How step-up decides](policy.md#how-step-up-decides); attestation file paths are relative to the policy file',
  }),
  setting({
    env: 'STEPUP_RECOVERY_COOL_OFF',
    group: 'policy',
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(90 * DAY),
    emptyIsUnset: true,
    seconds: true,
    unset: `the policy file's \`recovery.coolOff\`, else \`${DEFAULT_RECOVERY_COOL_OFF}\` = ${DEFAULT_RECOVERY_COOL_OFF / 3600} hours`,
    description: 'seconds of the cool-off of factors enrolled by a weaker proof; overrides the policy file',
    details: 'see [Recovery and account lifecycle](policy.md#recovery-and-account-lifecycle)',
  }),
  setting({
    env: 'STEPUP_SENSITIVE_ACTION_MAX_AGE',
    group: 'policy',
    schema: seconds(30, 3600),
    default: 300,
    seconds: true,
    description: "seconds since the account's highest level was last proven, beyond which changing authenticators asks to step up again",
  }),
  setting({
    env: 'STEPUP_SIGNOUT_REVOKES_OFFLINE',
    group: 'policy',
    schema: flag,
    default: '0',
    description: '`1`: signing out also revokes the refresh tokens of applications given `offline_access`',
    details: 'see [Recovery and account lifecycle](policy.md#recovery-and-account-lifecycle)',
  }),
  setting({
    env: 'STEPUP_WEBAUTHN_RP_ID',
    group: 'policy',
    schema: z.string().min(1),
    unset: "the issuer's host",
    description: "passkeys' relying-party id: the issuer's host or a parent domain of it",
  }),
  setting({
    env: 'STEPUP_WEBAUTHN_ORIGINS',
    group: 'policy',
    schema: z.string().min(1),
    unset: "the issuer's origin",
    description: 'comma-separated origins the pages are served from',
  }),
  setting({ env: 'STEPUP_WEBAUTHN_RP_NAME', group: 'policy', schema: z.string().min(1), default: 'Step-up sign-in', description: 'the name authenticators show' }),

  // Passwords and guessing limits
  setting({
    env: 'STEPUP_SCRYPT_N',
    group: 'guessing',
    schema: z.coerce
      .number()
      .int()
      .min(1024)
      .max(2 ** 20)
      .refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    default: 2 ** 15,
    description: 'scrypt cost of new password hashes, a power of two',
  }),
  setting({
    env: 'STEPUP_LIMIT_BASE_DELAY',
    group: 'guessing',
    schema: seconds(1, 900),
    default: DEFAULT_LIMITER_POLICY.baseDelaySeconds,
    seconds: true,
    description: `seconds of the first delay after an account's ${DEFAULT_LIMITER_POLICY.freeAttempts} free guesses; it doubles per failure, up to ${DEFAULT_LIMITER_POLICY.maxDelaySeconds / 60} minutes`,
  }),
  setting({
    env: 'STEPUP_ADDRESS_MAX_FAILURES',
    group: 'guessing',
    schema: z.coerce.number().int().min(1).max(1_000_000),
    default: DEFAULT_ADDRESS_LIMIT.maxFailures,
    description: 'wrong guesses (passwords and TOTP codes, all accounts together) allowed per client address and window',
  }),
  setting({
    env: 'STEPUP_ADDRESS_WINDOW',
    group: 'guessing',
    schema: seconds(60, 7 * DAY),
    default: DEFAULT_ADDRESS_LIMIT.windowSeconds,
    seconds: true,
    description: 'seconds of the window of `STEPUP_ADDRESS_MAX_FAILURES`',
  }),

  // Lifetimes and APIs
  setting({
    env: 'STEPUP_SESSION_TTL',
    group: 'tokens',
    schema: seconds(300, 400 * DAY),
    default: 30 * DAY,
    seconds: true,
    description: 'seconds a sign-in session, and the grants given in it, lasts',
    details:
      'a step-up level counts only for its own `maxAge` from the policy (see [How step-up decides](policy.md#how-step-up-decides)); refresh tokens cannot outlive their grant, so a longer `STEPUP_REFRESH_TOKEN_TTL` is refused',
  }),
  setting({
    env: 'STEPUP_INTERACTION_TTL',
    group: 'tokens',
    schema: seconds(60, DAY),
    default: 3600,
    seconds: true,
    description: 'seconds a sign-in or step-up may take, from the authorization request to its end',
  }),
  setting({ env: 'STEPUP_CODE_TTL', group: 'tokens', schema: seconds(10, 600), default: 60, seconds: true, description: 'seconds an authorization code can be redeemed' }),
  setting({ env: 'STEPUP_ID_TOKEN_TTL', group: 'tokens', schema: seconds(60, DAY), default: 3600, seconds: true, description: 'seconds an ID token is valid' }),
  setting({
    env: 'STEPUP_ACCESS_TOKEN_TTL',
    group: 'tokens',
    schema: seconds(60, DAY),
    default: 600,
    seconds: true,
    description: 'seconds an access token is valid, unless its resource server sets its own (`cli resource add --ttl`) or the policy a shorter one',
  }),
  setting({
    env: 'STEPUP_REFRESH_TOKEN_TTL',
    group: 'tokens',
    schema: seconds(60, 400 * DAY),
    seconds: true,
    unset: `\`${DEFAULT_REFRESH_TOKEN_TTL}\` (${DEFAULT_REFRESH_TOKEN_TTL / DAY} days), or \`STEPUP_SESSION_TTL\` if shorter`,
    description: 'seconds a refresh token is valid, at most `STEPUP_SESSION_TTL`',
  }),
];

type Entry = (typeof SETTINGS)[number];

/** The validated environment: a setting without a default may be undefined. */
export type EnvVars = {
  [E in Entry as E['env']]: [E['default']] extends [undefined] ? z.output<E['schema']> | undefined : z.output<E['schema']>;
};

function field(entry: Setting): z.ZodType {
  const schema = entry.default === undefined ? entry.schema.optional() : entry.schema.default(entry.default);
  return entry.emptyIsUnset ? z.preprocess((value) => (value === '' ? undefined : value), schema) : schema;
}

/** The environment's schema, one field per setting (other variables are ignored). */
export const envSchema = z.object(Object.fromEntries(SETTINGS.map((entry) => [entry.env, field(entry)]))) as unknown as z.ZodType<EnvVars>;
