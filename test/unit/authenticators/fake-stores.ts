// In-memory fakes of the account, authenticator and attempt stores, honouring the interface contracts.
import { runAttemptWorkStepwise } from '../../../adapters/attempt-work.ts';
import {
  StoreError,
  type AttemptWork,
  type AccountRecord,
  type AccountStore,
  type AttemptState,
  type AttemptStore,
  type AuthenticatorRecord,
  type AuthenticatorStore,
} from '../../../adapters/types.ts';

export class FakeAccountStore implements AccountStore {
  readonly rows = new Map<string, AccountRecord>();

  async create(account: AccountRecord): Promise<void> {
    if ([...this.rows.values()].some((a) => a.username === account.username)) {
      throw new StoreError('conflict', 'username taken');
    }
    this.rows.set(account.id, structuredClone(account));
  }
  async findById(id: string): Promise<AccountRecord | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }
  async findByUsername(username: string): Promise<AccountRecord | undefined> {
    const row = [...this.rows.values()].find((a) => a.username === username);
    return row && structuredClone(row);
  }
  async list(): Promise<AccountRecord[]> {
    return [...this.rows.values()].map((a) => structuredClone(a));
  }
  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    const row = this.rows.get(id);
    if (!row) throw new StoreError('not_found', 'no such account');
    row.passwordHash = passwordHash;
  }
  async setDisabled(id: string, disabledAt: number | undefined): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return false;
    if (disabledAt === undefined) delete row.disabledAt;
    else row.disabledAt = disabledAt;
    return true;
  }
  async remove(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }
}

export class FakeAuthenticatorStore implements AuthenticatorStore {
  readonly rows = new Map<string, AuthenticatorRecord>();

  async add(authenticator: AuthenticatorRecord): Promise<void> {
    if (authenticator.credentialId !== undefined && [...this.rows.values()].some((a) => a.credentialId === authenticator.credentialId)) {
      throw new StoreError('conflict', 'this credential is already registered');
    }
    if (this.rows.has(authenticator.id)) throw new StoreError('conflict', 'id exists');
    this.rows.set(authenticator.id, structuredClone(authenticator));
  }
  async get(id: string): Promise<AuthenticatorRecord | undefined> {
    const row = this.rows.get(id);
    return row && structuredClone(row);
  }
  async listByAccount(accountId: string): Promise<AuthenticatorRecord[]> {
    return [...this.rows.values()].filter((a) => a.accountId === accountId).map((a) => structuredClone(a));
  }
  async rename(id: string, accountId: string, label: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.accountId !== accountId) return false;
    row.label = label;
    return true;
  }
  async remove(id: string, accountId: string): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.accountId !== accountId) return false;
    return this.rows.delete(id);
  }
  /** Check-and-set with no await in between: atomic on the single JS thread. */
  async consumeTotpStep(id: string, step: number, at: number): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return false;
    if (row.lastUsedStep !== undefined && step <= row.lastUsedStep) return false;
    row.lastUsedStep = step;
    row.lastUsedAt = at;
    return true;
  }

  async findByCredentialId(credentialId: string): Promise<AuthenticatorRecord | undefined> {
    const row = [...this.rows.values()].find((candidate) => candidate.credentialId === credentialId);
    return row && structuredClone(row);
  }

  async advanceSignCount(id: string, signCount: number, at: number): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row) return false;
    const current = row.signCount;
    if (current !== undefined && !(current < signCount || (current === 0 && signCount === 0))) return false;
    row.signCount = signCount;
    row.lastUsedAt = at;
    return true;
  }

  async removeAllForAccount(accountId: string): Promise<number> {
    const owned = [...this.rows.values()].filter((a) => a.accountId === accountId);
    for (const a of owned) this.rows.delete(a.id);
    return owned.length;
  }
}

/**
 * Each operation is atomic (no await between its read and write), like the SQLite upsert. An optional latency
 * (milliseconds, drawn per call) delays each operation before it runs, to shuffle how concurrent callers interleave.
 */
export class FakeAttemptStore implements AttemptStore {
  readonly rows = new Map<string, AttemptState>();
  /** The expiry each windowed counter was last given. */
  readonly expiries = new Map<string, number>();
  constructor(private readonly latency?: () => number) {}

  private async pause(): Promise<void> {
    if (this.latency) await new Promise((resolve) => setTimeout(resolve, this.latency!()));
  }
  async get(key: string): Promise<AttemptState | undefined> {
    await this.pause();
    const row = this.rows.get(key);
    return row && { ...row };
  }
  async recordFailure(key: string, at: number, expiresAt?: number): Promise<AttemptState> {
    await this.pause();
    if (expiresAt !== undefined) this.expiries.set(key, expiresAt);
    const row = { failures: (this.rows.get(key)?.failures ?? 0) + 1, lastFailureAt: at };
    this.rows.set(key, row);
    return { ...row };
  }
  async release(key: string): Promise<void> {
    await this.pause();
    const row = this.rows.get(key);
    if (row && row.failures > 0) row.failures -= 1;
  }
  async reset(key: string): Promise<void> {
    await this.pause();
    this.rows.delete(key);
  }
  /** Step by step, as on MongoDB: no transaction, each operation atomic on its own. */
  transact<T>(work: AttemptWork<T>): Promise<T> {
    return runAttemptWorkStepwise(this, work);
  }
}

/** A store whose operations each wait 0-3 ms, so concurrent guesses interleave differently on every run. */
export function jitteryAttemptStore(): FakeAttemptStore {
  return new FakeAttemptStore(() => Math.floor(Math.random() * 4));
}
