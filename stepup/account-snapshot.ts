// What one request reads about an account and its session, read once: every assessment and page in the request shares it.
import type { AccountRecord, AuthenticatorRecord, Stores } from '../adapters/types.ts';
import type { AuthEvent } from '../policy/types.ts';

export interface AccountSnapshot {
  account(accountId: string): Promise<AccountRecord | undefined>;
  authenticators(accountId: string): Promise<AuthenticatorRecord[]>;
  /** The session's stored events, unexpired at `now` (the first call's `now` for the rest of the request). */
  sessionEvents(sessionUid: string, now: number): Promise<AuthEvent[]>;
}

/**
 * A request-scoped cache over the stores: the account, its authenticators and the session's events are read at most once
 * per request. Only for one request: what it caches may change in the next one (an operator disables the account, a
 * factor is enrolled). What a request writes meanwhile does not change what the cache is used for: a consumed TOTP step
 * is checked atomically by the store, and the events the Check stores are those it already counts as pending.
 * `seen`: an account this request has read already (oidc-provider's findAccount), used instead of a second read.
 */
export function accountSnapshot(stores: Pick<Stores, 'accounts' | 'authenticators' | 'events'>, seen?: AccountRecord): AccountSnapshot {
  const accounts = new Map<string, Promise<AccountRecord | undefined>>(seen ? [[seen.id, Promise.resolve(seen)]] : []);
  const authenticators = new Map<string, Promise<AuthenticatorRecord[]>>();
  const events = new Map<string, Promise<AuthEvent[]>>();
  const once = <T>(cache: Map<string, Promise<T>>, key: string, load: () => Promise<T>): Promise<T> => {
    let value = cache.get(key);
    if (!value) {
      value = load();
      cache.set(key, value);
      // A failed read is not cached: the caller sees the failure, a later call tries again.
      value.catch(() => cache.delete(key));
    }
    return value;
  };
  return {
    account: (accountId) => once(accounts, accountId, () => stores.accounts.findById(accountId)),
    authenticators: (accountId) => once(authenticators, accountId, () => stores.authenticators.listByAccount(accountId)),
    sessionEvents: (sessionUid, now) => once(events, sessionUid, () => stores.events.listBySession(sessionUid, now)),
  };
}
