// The SQLite schema as ordered migrations: applying MIGRATIONS[i] brings the schema to version i + 1.
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL,
    username_key TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );

  CREATE TABLE authenticators (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    label TEXT NOT NULL,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_used_at INTEGER,
    last_used_step INTEGER
  );
  CREATE INDEX authenticators_by_account ON authenticators(account_id);

  CREATE TABLE auth_events (
    session_uid TEXT NOT NULL,
    id TEXT NOT NULL,
    account_id TEXT NOT NULL,
    factor TEXT NOT NULL,
    amr TEXT NOT NULL,
    at INTEGER NOT NULL,
    authenticator_id TEXT,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (session_uid, id)
  );
  CREATE INDEX auth_events_by_expiry ON auth_events(expires_at);

  CREATE TABLE attempts (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
  );

  CREATE TABLE audit_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    type TEXT NOT NULL,
    account_id TEXT,
    event TEXT NOT NULL
  );
  CREATE INDEX audit_events_by_account ON audit_events(account_id, seq);
  CREATE INDEX audit_events_by_type ON audit_events(type, seq);
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;

  CREATE TABLE clients (
    client_id TEXT PRIMARY KEY,
    metadata TEXT NOT NULL
  );

  CREATE TABLE oidc_models (
    model TEXT NOT NULL,
    id TEXT NOT NULL,
    payload TEXT NOT NULL,
    grant_id TEXT,
    uid TEXT,
    user_code TEXT,
    expires_at INTEGER,
    consumed_at INTEGER,
    PRIMARY KEY (model, id)
  );
  CREATE INDEX oidc_models_by_grant ON oidc_models(model, grant_id);
  CREATE INDEX oidc_models_by_uid ON oidc_models(model, uid);
  CREATE INDEX oidc_models_by_user_code ON oidc_models(model, user_code);
  CREATE INDEX oidc_models_by_expiry ON oidc_models(expires_at);
  `,
  `
  ALTER TABLE authenticators ADD COLUMN credential_id TEXT;
  ALTER TABLE authenticators ADD COLUMN sign_count INTEGER;
  CREATE UNIQUE INDEX authenticators_by_credential ON authenticators(credential_id) WHERE credential_id IS NOT NULL;
  `,
  // The audit hash chain (adapters/audit-chain.ts): events written before it get their hash once, when the store opens,
  // which is the only update the trigger lets through.
  `
  ALTER TABLE audit_events ADD COLUMN hash TEXT;
  CREATE INDEX audit_events_unchained ON audit_events(seq) WHERE hash IS NULL;
  DROP TRIGGER audit_events_no_update;
  CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    WHEN NOT (OLD.hash IS NULL AND NEW.hash IS NOT NULL AND NEW.seq IS OLD.seq AND NEW.at IS OLD.at
              AND NEW.type IS OLD.type AND NEW.account_id IS OLD.account_id AND NEW.event IS OLD.event)
    BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
  `,
  // Per-address guessing counters name their time window and are purged after it (authenticators/address-limiter.ts).
  `
  ALTER TABLE attempts ADD COLUMN expires_at INTEGER;
  CREATE INDEX attempts_by_expiry ON attempts(expires_at) WHERE expires_at IS NOT NULL;
  `,
  // Account lifecycle and recovery: disabled accounts, authenticators in their cool-off, single-use recovery secrets, and
  // oidc-provider's models found by account (adapters/account-models.ts), the ones stored before included.
  `
  ALTER TABLE accounts ADD COLUMN disabled_at INTEGER;
  ALTER TABLE authenticators ADD COLUMN cool_off TEXT;

  CREATE TABLE recovery_secrets (
    kind TEXT NOT NULL,
    hash TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    set_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER,
    used_at INTEGER,
    PRIMARY KEY (kind, hash)
  );
  CREATE INDEX recovery_secrets_by_account ON recovery_secrets(account_id, kind);

  ALTER TABLE oidc_models ADD COLUMN account_id TEXT;
  CREATE INDEX oidc_models_by_account ON oidc_models(account_id, model);
  UPDATE oidc_models SET account_id = COALESCE(json_extract(payload, '$.accountId'), json_extract(payload, '$.session.accountId'));
  `,
  // The resource servers operators register (cli resource add), replacing the STEPUP_RESOURCE_SERVERS variable.
  `
  CREATE TABLE resources (
    indicator TEXT PRIMARY KEY,
    scope TEXT NOT NULL,
    access_token_ttl INTEGER,
    dpop INTEGER NOT NULL,
    min_acr TEXT,
    alg TEXT NOT NULL,
    format TEXT NOT NULL DEFAULT 'jwt',
    created_at INTEGER NOT NULL
  );
  `,
];
