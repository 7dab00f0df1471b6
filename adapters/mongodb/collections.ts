// The MongoDB collections and their document shapes: one collection per store and per oidc-provider model.
import type { ObjectId } from 'mongodb';
import type { AuthenticatorKind, CoolOff, RecoverySecretKind } from '../types.ts';
import type { Factor } from '../../policy/types.ts';

export const COLLECTIONS = {
  accounts: 'accounts',
  authenticators: 'authenticators',
  authEvents: 'auth_events',
  attempts: 'attempts',
  audit: 'audit_events',
  clients: 'clients',
  recoverySecrets: 'recovery_secrets',
  recoverySecretUses: 'recovery_secret_uses',
  singleUse: 'single_use',
  resources: 'resources',
} as const;

/** Indexes `db migrate` tried and the server refused (kept apart: the stores never read or clear it). */
export const INDEX_REFUSALS = 'index_refusals';

/** The oidc-provider models kept in MongoDB (Client is read from the clients collection instead). */
export const OIDC_MODELS = [
  'Session',
  'Interaction',
  'Grant',
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'ClientCredentials',
  'BackchannelAuthenticationRequest',
  'PreAuthorizedCode',
  'PushedAuthorizationRequest',
  'InitialAccessToken',
  'RegistrationAccessToken',
  'ReplayDetection',
] as const;

/** One collection per model: `oidc_Session`, `oidc_AccessToken`, ... */
export function modelCollection(model: string): string {
  return `oidc_${model}`;
}

export interface AccountDoc {
  _id: string;
  username: string;
  /** adapters/username-key.ts; unique. */
  usernameKey: string;
  passwordHash: string;
  createdAt: number;
  disabledAt?: number;
}

export interface AuthenticatorDoc {
  _id: string;
  accountId: string;
  kind: AuthenticatorKind;
  label: string;
  /** Kind-specific data as JSON, read back exactly as the embedded store does. */
  data: string;
  createdAt: number;
  /** Tie-breaker for authenticators created in the same second: insertion order. */
  seq: ObjectId;
  lastUsedAt?: number;
  lastUsedStep?: number;
  credentialId?: string;
  /** credentialKeyOf (authenticators.ts): present on every document and unique, so one plain unique index keeps credential ids unique. */
  credentialKey: string;
  signCount?: number;
  coolOff?: CoolOff;
}

export interface AuthEventDoc {
  sessionUid: string;
  eventId: string;
  accountId: string;
  factor: Factor;
  amr: string[];
  at: number;
  authenticatorId?: string;
  /** TTL index; also compared with the clock on every read. */
  expiresAt: Date;
}

/** One version of a counter (attempts.ts): `_id` is `<key>#<version>`, so that of two writers of a version one wins. */
export interface AttemptDoc {
  _id: string;
  key: string;
  version: number;
  failures: number;
  lastFailureAt: number;
  /** A reset: the counter reads as absent. */
  reset?: true;
  /** Wall clock: superseded versions are deleted an hour after they were written. */
  writtenAt: Date;
  /** Windowed counters and resets only: deleted after it (TTL index, or the expiry purge). */
  expiresAt?: Date;
}

export interface RecoverySecretDoc {
  kind: RecoverySecretKind;
  /** Unique with the kind. */
  hash: string;
  accountId: string;
  setId: string;
  /** Epoch seconds, as every time below: no TTL index, so a used or expired secret still counts in its set's total. */
  createdAt: number;
  expiresAt?: number;
  /** Only when the record was stored already used; a use is a RecoverySecretUseDoc. */
  usedAt?: number;
}

/** The single use of a recovery secret: its `_id` is the secret's, so a second use of the secret is a duplicate key. */
export interface RecoverySecretUseDoc {
  _id: ObjectId;
  accountId: string;
  kind: RecoverySecretKind;
  /** Epoch seconds. */
  at: number;
}

/** A single use (single-use.ts): `<what>:<id>`, inserted once; e.g. `AuthorizationCode:<jti>`, `totp:<id>:<step>`. */
export interface SingleUseDoc {
  _id: string;
  /** Epoch seconds of the use. */
  at: number;
  /** Kept until then (TTL index, or the expiry purge); forever without it. */
  expiresAt?: Date;
}

/** An index the server refused when `db migrate` asked for it, and why; `server` tells which server refused it. */
export interface IndexRefusalDoc {
  /** `collection.index`. */
  _id: string;
  server: string;
  reason: string;
  at: Date;
}

export interface ClientDoc {
  _id: string;
  /** The metadata as JSON: client metadata may carry keys MongoDB treats specially (dots, `$`). */
  metadata: string;
}

/** A registered resource server (adapters/types.ts ResourceRecord): its indicator is the _id. */
export interface ResourceDoc {
  _id: string;
  scope: string;
  accessTokenTTL?: number;
  dpop: boolean;
  minAcr?: string;
  alg: string;
  /** Absent in documents written before access-token formats: read as `jwt`. */
  format?: 'jwt' | 'opaque';
  createdAt: number;
}

export interface ModelDoc {
  _id: string;
  /** The payload as JSON: claim names in it may contain dots, which MongoDB field names handle badly. */
  payload: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  /** adapters/account-models.ts: the account the payload names, to find a Session, Grant, token... by account. */
  accountId?: string;
  /** Epoch seconds of a consumption the payload carried when stored; consume() records a SingleUseDoc instead. */
  consumed?: number;
  /** Absent for models without expiry. TTL index; also compared with the clock on every read. */
  expiresAt?: Date;
}

/** Epoch seconds as the Date a TTL index needs. */
export function dateOf(epochSeconds: number): Date {
  return new Date(epochSeconds * 1000);
}

/** Matches documents that have not expired at `now` (epoch seconds): TTL deletion is lazy, so every read checks. */
export function liveAt(now: number): { $or: Array<Record<string, unknown>> } {
  return { $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: dateOf(now) } }] };
}
