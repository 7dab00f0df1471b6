// Store interfaces: one implementation per storage engine (embedded SQLite, MongoDB).
import type { Adapter } from 'oidc-provider';
import type { AuthEvent } from '../policy/types.ts';

export interface AccountRecord {
  id: string;
  username: string;
  passwordHash: string;
  /** Epoch seconds. */
  createdAt: number;
}

export interface AccountStore {
  /** Throws StoreError('conflict') when the username is taken. */
  create(account: AccountRecord): Promise<void>;
  findById(id: string): Promise<AccountRecord | undefined>;
  findByUsername(username: string): Promise<AccountRecord | undefined>;
  list(): Promise<AccountRecord[]>;
  setPasswordHash(id: string, passwordHash: string): Promise<void>;
}

export type AuthenticatorKind = 'totp' | 'passkey';

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
}

/** How a met requirement was met: see server/audit.ts. */
export type Satisfaction = 'previously_satisfied' | 'authenticated' | 'stepped_up';

export interface AuditEvent {
  /** Epoch milliseconds. */
  at: number;
  type: string;
  outcome: 'success' | 'failure' | 'info';
  accountId?: string;
  clientId?: string;
  sessionUid?: string;
  requestedAcr?: string[];
  requestedMaxAge?: number;
  achievedAcr?: string;
  amr?: string[];
  factor?: string;
  reason?: string;
  /** Policy decisions that were met: from earlier factors only, from factors all proven now, or by a step-up. */
  satisfaction?: Satisfaction;
  /** Policy decisions: the factors proven in this sign-in (met) or still required fresh (step-up). */
  factors?: string[];
}

/** An audit event as stored: its place in the store's chain and hash = SHA-256(previous hash || canonical JSON of event + seq). */
export interface ChainedAuditEvent {
  seq: number;
  hash: string;
  event: AuditEvent;
}

export interface AuditQuery {
  accountId?: string;
  clientId?: string;
  outcome?: AuditEvent['outcome'];
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
  list(filter: { accountId?: string; type?: string; limit: number }): Promise<AuditEvent[]>;
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

export interface Stores {
  accounts: AccountStore;
  authenticators: AuthenticatorStore;
  events: AuthEventStore;
  attempts: AttemptStore;
  audit: AuditStore;
  clients: ClientStore;
  /** The class oidc-provider instantiates once per model name. */
  OidcAdapter: new (name: string) => Adapter;
  close(): Promise<void>;
}

export type StoreErrorCode = 'conflict' | 'not_found' | 'unavailable';

export class StoreError extends Error {
  readonly code: StoreErrorCode;
  constructor(code: StoreErrorCode, message: string) {
    super(message);
    this.name = 'StoreError';
    this.code = code;
  }
}
