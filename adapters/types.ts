// Store interfaces: one implementation per storage engine (embedded SQLite, MongoDB).
import type { Adapter } from 'oidc-provider';
import { CodedError } from '../errors/coded-error.ts';
import type { AuthEvent } from '../policy/types.ts';
import type { AuditEvent, AuditOutcome, StoredAuditEvent } from './audit-event.ts';

export interface AccountRecord {
  id: string;
  username: string;
  passwordHash: string;
  /** Epoch seconds. */
  createdAt: number;
  /** Epoch seconds when an operator disabled the account; absent while it is enabled. */
  disabledAt?: number;
}

export interface AccountStore {
  /** Throws StoreError('conflict') when the username is taken. */
  create(account: AccountRecord): Promise<void>;
  findById(id: string): Promise<AccountRecord | undefined>;
  findByUsername(username: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
  /** Disables (a time) or enables (undefined) the account; false when there is no such account. */
  setDisabled(id: string, disabledAt: number | undefined): Promise<boolean>;
  /**
   * Deletes the account with its authenticators and recovery secrets (its audit events stay); false when there is
   * no such account.
   */
  remove(id: string): Promise<boolean>;
}

export type AuthenticatorKind = 'totp' | 'passkey';

/**
 * An authenticator enrolled by a proof weaker than what it would reach counts, until `until`, only up to the level
 * `cap` (an acr of the ladder): see policy/cool-off.ts.
 */
export interface CoolOff {
  /** Epoch seconds: from then on the authenticator counts fully. */
  until: number;
  /** The acr the enrolling session had proven: the most this authenticator may back during the cool-off. */
  cap: string;
  /** How it was enrolled: in a recovery session (codes, or an operator's link), or from a session below its level. */
  origin: 'recovery' | 'enrolment';
}

export interface AuthenticatorRecord {
  id: string;
  accountId: string;
  kind: AuthenticatorKind;
  label: string;
  /** Kind-specific data, e.g. the encrypted TOTP secret. Never logged. */
  data: Record<string, unknown>;
  /** Epoch seconds. */
  createdAt: number;
  lastUsedAt?: number;
  /** TOTP: the last accepted time step (each step is accepted at most once). */
  lastUsedStep?: number;
  /** Passkey: the WebAuthn credential id (base64url), unique across all accounts. */
  credentialId?: string;
  /** Passkey: the last signature counter accepted (0 when the authenticator keeps none). */
  signCount?: number;
  coolOff?: CoolOff;
}

export interface AuthenticatorStore {
  /** Throws StoreError('conflict') when the id exists. */
  add(authenticator: AuthenticatorRecord): Promise<void>;
  get(id: string): Promise<AuthenticatorRecord | undefined>;
  listByAccount(accountId: string): Promise<AuthenticatorRecord[]>;
  rename(id: string, accountId: string, label: string): Promise<boolean>;
  remove(id: string, accountId: string): Promise<boolean>;
  /**
   * Atomically accept TOTP time step `step` for this authenticator: true only if
   * `step` is greater than the last accepted step (then it becomes the last one).
   */
  consumeTotpStep(id: string, step: number, at: number): Promise<boolean>;
  /** The passkey with this WebAuthn credential id, whichever account owns it. */
  findByCredentialId(credentialId: string): Promise<AuthenticatorRecord | undefined>;
  /**
   * Atomically records a passkey assertion's signature counter: true only if it moves
   * forward (or both old and new are 0, for authenticators without a counter); a
   * counter that does not advance may mean a cloned authenticator and is refused.
   */
  advanceSignCount(id: string, signCount: number, at: number): Promise<boolean>;
  /** Removes every authenticator of the account (an operator's reset); how many were removed. */
  removeAllForAccount(accountId: string): Promise<number>;
}

/** Single-use recovery secrets: a user's recovery codes, or the link an operator's reset prints. */
export type RecoverySecretKind = 'code' | 'link';

export interface RecoverySecretRecord {
  /** The keyed hash of the secret (never the secret): unique per kind. */
  hash: string;
  accountId: string;
  kind: RecoverySecretKind;
  /** The set it was generated in: a new set replaces the account's previous one of the same kind. */
  setId: string;
  /** Epoch seconds. */
  createdAt: number;
  /** Epoch seconds; absent for secrets that do not expire (recovery codes). */
  expiresAt?: number;
  /** Epoch seconds of its single use. */
  usedAt?: number;
}

export interface RecoverySecretSummary {
  setId: string;
  /** Epoch seconds. */
  createdAt: number;
  total: number;
  /** Unused and unexpired. */
  remaining: number;
  /** Epoch seconds of the set's latest use: the last recovery it opened. */
  lastUsedAt?: number;
}

export interface RecoverySecretStore {
  /** Atomically replaces every secret of `kind` of the account with `secrets` (all of one new set). */
  replace(accountId: string, kind: RecoverySecretKind, secrets: RecoverySecretRecord[]): Promise<void>;
  /**
   * Atomically marks the unused, unexpired secret of `kind` with this hash as used at `at` (restricted to `accountId`
   * when given) and returns its account id: of concurrent uses of one secret exactly one gets it.
   */
  consume(kind: RecoverySecretKind, hash: string, at: number, accountId?: string): Promise<string | undefined>;
  /** The account's current set of `kind`, if it has one. */
  summary(accountId: string, kind: RecoverySecretKind, now: number): Promise<RecoverySecretSummary | undefined>;
  /** Deletes every secret of `kind` of the account (all kinds when omitted). */
  removeAll(accountId: string, kind?: RecoverySecretKind): Promise<void>;
}

/** One of oidc-provider's sessions, as kept by the adapter: found by account through an index the adapter maintains. */
export interface SessionSummary {
  /** session.uid: stable across resumes; our authentication events are kept under it. */
  uid: string;
  accountId: string;
  /** Epoch seconds of the last login. */
  loginTs?: number;
  /** Epoch seconds. */
  expiresAt?: number;
  /** The clients the session signed in to, with the sid each was given (back-channel logout needs it). */
  clients: Array<{ clientId: string; sid?: string; grantId?: string }>;
}

export interface RevokedForAccount {
  sessions: number;
  grants: number;
  /** Access tokens, refresh tokens, authorization codes and other grant-bound artefacts. */
  tokens: number;
}

export interface AccountSessionStore {
  /** The account's live sessions. */
  list(accountId: string, now: number): Promise<SessionSummary[]>;
  /**
   * Deletes the account's sessions (except `keepSessionUid`'s), every grant, token, code and interaction of the
   * account: whatever was issued before can no longer be used, refreshed or introspected as active.
   */
  revoke(accountId: string, options?: { keepSessionUid?: string }): Promise<RevokedForAccount>;
}

export interface AuthEventStore {
  /** Appends events to a session; an event whose id is already stored is ignored. */
  append(sessionUid: string, events: AuthEvent[], expiresAt: number): Promise<void>;
  /** The session's events that have not expired, oldest first. */
  listBySession(sessionUid: string, now: number): Promise<AuthEvent[]>;
}

export interface AttemptState {
  failures: number;
  /** Epoch seconds of the last failure. */
  lastFailureAt: number;
}

export interface AttemptStore {
  get(key: string): Promise<AttemptState | undefined>;
  /**
   * Atomically counts one more consecutive failure and returns the new state. With `expiresAt` (epoch seconds) the
   * store may delete the counter from then on: clean-up for counters whose key names a time window, never a reset
   * callers rely on (reads do not check it).
   */
  recordFailure(key: string, at: number, expiresAt?: number): Promise<AttemptState>;
  /** Atomically takes one back from the count (never below zero; nothing when the key is absent), keeping lastFailureAt. */
  release(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /**
   * Runs `work` (adapters/attempt-work.ts) as one unit and returns what it returns: the limiters' read-check-reserve
   * steps in one call. SQLite runs it in one IMMEDIATE transaction (one commit, serialised against every other writer
   * of the file, other processes included); MongoDB issues each yielded list's operations together, each atomic on its
   * own, with no transaction around them (FerretDB 1.x has none), which is why the limiters check again after they
   * reserve. Durable once the returned promise resolves. A failure rejects it (SQLite: nothing of the work is kept).
   */
  transact<T>(work: AttemptWork<T>): Promise<T>;
}

/** One operation on the attempt counters, as AttemptStore's method of the same name. */
export type AttemptOp = { op: 'get'; key: string } | { op: 'recordFailure'; key: string; at: number; expiresAt?: number } | { op: 'release'; key: string } | { op: 'reset'; key: string };

/** Per operation: the state for get (undefined when absent) and recordFailure, undefined for release and reset. */
export type AttemptResult = AttemptState | undefined;

/**
 * Work on the attempt counters: yields lists of operations on distinct keys (they may run concurrently) and receives
 * their results in the same order; returns its outcome. Refusals are returned, not thrown: what was written stays.
 */
export type AttemptWork<T> = Generator<readonly AttemptOp[], T, AttemptResult[]>;

export type { AuditEvent, AuditOutcome, CutOff, StoredAuditEvent } from './audit-event.ts';

/**
 * An audit event as stored: its place in the store's chain and its hash over the previous one, computed by the
 * canonical form `v` names (adapters/audit-chain.ts): 2 is RFC 8785; absent, the sorted-keys JSON of earlier releases.
 */
export interface ChainedAuditEvent {
  seq: number;
  /** The chain's hash version: CHAIN_VERSION for events appended now, absent for those hashed the original way. */
  v?: number;
  hash: string;
  event: StoredAuditEvent;
}

export interface AuditQuery {
  accountId?: string;
  clientId?: string;
  outcome?: AuditOutcome;
  type?: string;
  /** Epoch milliseconds, inclusive. */
  from?: number;
  /** Epoch milliseconds, inclusive. */
  to?: number;
  limit: number;
}

/** The first broken link names the seq where the stored chain stops matching. */
export type AuditVerification = { ok: true; count: number } | { ok: false; seq: number; reason: string };

export interface AuditStore {
  /** Chains the event to the last stored one, atomically with respect to concurrent appends. */
  append(event: AuditEvent): Promise<void>;
  /** Newest first. */
  list(filter: { accountId?: string; type?: string; limit: number }): Promise<StoredAuditEvent[]>;
  /** Oldest first, with seq and hash. */
  query(filter: AuditQuery): Promise<ChainedAuditEvent[]>;
  /** Up to `limit` stored events with a seq above `afterSeq`, in seq order: pages through the whole chain. */
  readChain(afterSeq: number, limit: number): Promise<ChainedAuditEvent[]>;
  /** Recomputes the chain from the first event and reports the first broken link. */
  verify(): Promise<AuditVerification>;
}

/** Registered OAuth clients (the metadata oidc-provider reads through the Client model). */
export interface ClientStore {
  upsert(metadata: Record<string, unknown> & { client_id: string }): Promise<void>;
  get(clientId: string): Promise<Record<string, unknown> | undefined>;
  list(): Promise<Array<Record<string, unknown>>>;
  remove(clientId: string): Promise<boolean>;
}

/**
 * An API that receives access tokens (JWT, RFC 9068, or opaque) when a client names it as `resource` (RFC 8707): registered by
 * operators (`cli resource add`), read by the provider on every token it issues for it.
 */
export interface ResourceRecord {
  /** The resource indicator: an absolute URI, the `aud` of its access tokens; unique. */
  indicator: string;
  /** The scopes it accepts, space-separated. */
  scope: string;
  /** Seconds its access tokens live; absent: STEPUP_ACCESS_TOKEN_TTL. */
  accessTokenTTL?: number;
  /** Its access tokens must be DPoP-bound (RFC 9449): a token request for it without a DPoP proof is refused. */
  dpop: boolean;
  /** The lowest level (an acr of the ladder) a request naming it needs, like a policy scope rule with `resource`. */
  minAcr?: string;
  /**
   * `jwt`: signed JWT access tokens (RFC 9068) the API verifies itself, which cannot be recalled nor introspected.
   * `opaque`: a reference the provider stores, so it can be revoked at once and the API introspects it (RFC 7662).
   */
  format: 'jwt' | 'opaque';
  /** The JWS algorithm its access tokens are signed with (a key for it must be in STEPUP_JWKS); unused when `opaque`. */
  alg: string;
  /** Epoch seconds. */
  createdAt: number;
}

export interface ResourceStore {
  /** Throws StoreError('conflict') when the indicator is registered already. */
  add(resource: ResourceRecord): Promise<void>;
  /** Replaces the registration with the same indicator; false when there is none. */
  replace(resource: ResourceRecord): Promise<boolean>;
  get(indicator: string): Promise<ResourceRecord | undefined>;
  /** Every registered resource, by indicator. */
  list(): Promise<ResourceRecord[]>;
  remove(indicator: string): Promise<boolean>;
}

export interface Stores {
  accounts: AccountStore;
  authenticators: AuthenticatorStore;
  events: AuthEventStore;
  attempts: AttemptStore;
  audit: AuditStore;
  clients: ClientStore;
  recoverySecrets: RecoverySecretStore;
  sessions: AccountSessionStore;
  resources: ResourceStore;
  /** The class oidc-provider instantiates once per model name. */
  OidcAdapter: new (name: string) => Adapter;
  close(): Promise<void>;
}

export type StoreErrorCode = 'conflict' | 'not_found' | 'unavailable';

export class StoreError extends CodedError<StoreErrorCode> {}
