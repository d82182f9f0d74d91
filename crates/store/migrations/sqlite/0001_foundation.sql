-- Foundation schema (SQLite). Times are UTC epoch milliseconds; booleans
-- are 0/1 integers. Keep in step with ../postgres/0001_foundation.sql.
CREATE TABLE org_units (
  id INTEGER PRIMARY KEY,
  parent_id INTEGER REFERENCES org_units(id),
  agency_id INTEGER REFERENCES org_units(id),
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  oid TEXT NOT NULL,
  path TEXT NOT NULL,
  sort_order INTEGER NOT NULL DEFAULT 0,
  enabled INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX org_units_oid ON org_units(oid);
CREATE INDEX org_units_path ON org_units(path);
CREATE INDEX org_units_parent ON org_units(parent_id, sort_order, id);

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  login TEXT NOT NULL,
  national_id TEXT,
  name TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES org_units(id),
  title TEXT NOT NULL DEFAULT '',
  office_phone TEXT NOT NULL DEFAULT '',
  office_ext TEXT NOT NULL DEFAULT '',
  mobile TEXT NOT NULL DEFAULT '',
  backup_email TEXT NOT NULL DEFAULT '',
  official_email TEXT NOT NULL DEFAULT '',
  birthday TEXT NOT NULL DEFAULT '',
  home_address TEXT NOT NULL DEFAULT '',
  work_address TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  password_hash TEXT,
  password_changed_at INTEGER,
  must_change_password INTEGER NOT NULL DEFAULT 0,
  failed_count INTEGER NOT NULL DEFAULT 0,
  failed_window_start INTEGER,
  locked_until INTEGER,
  sign_in_count INTEGER NOT NULL DEFAULT 0,
  last_sign_in_at INTEGER,
  lang TEXT NOT NULL DEFAULT 'zh-TW',
  theme TEXT NOT NULL DEFAULT 'light',
  has_avatar INTEGER NOT NULL DEFAULT 0,
  applied_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_change_at INTEGER,
  last_change_by TEXT NOT NULL DEFAULT '',
  last_change_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX accounts_login ON accounts(login);
CREATE UNIQUE INDEX accounts_national_id ON accounts(national_id);
CREATE INDEX accounts_name ON accounts(name, id);
CREATE INDEX accounts_title ON accounts(title);
CREATE INDEX accounts_unit ON accounts(unit_id);
CREATE INDEX accounts_state ON accounts(state);

CREATE TABLE avatars (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
  image BLOB NOT NULL,
  updated_at INTEGER NOT NULL
);

CREATE TABLE password_history (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX password_history_account ON password_history(account_id, id);

CREATE TABLE roles (
  id INTEGER PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  scope_unit_id INTEGER REFERENCES org_units(id),
  granted_by INTEGER,
  granted_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX roles_unique ON roles(account_id, kind, COALESCE(scope_unit_id, 0));
CREATE INDEX roles_scope ON roles(scope_unit_id, kind);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE captchas (
  id TEXT PRIMARY KEY,
  answer TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX captchas_expiry ON captchas(expires_at);

CREATE TABLE settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_at INTEGER NOT NULL,
  updated_by TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_events (
  seq INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  actor_id INTEGER,
  actor_login TEXT NOT NULL,
  action TEXT NOT NULL,
  target_kind TEXT NOT NULL,
  target_id INTEGER,
  target_label TEXT NOT NULL,
  scope_path TEXT NOT NULL,
  ip TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reason TEXT NOT NULL,
  detail TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events(at);
CREATE INDEX audit_events_target ON audit_events(target_id, at);
CREATE INDEX audit_events_actor ON audit_events(actor_id, at);
CREATE INDEX audit_events_scope ON audit_events(scope_path, at);
-- Append-only: the database itself refuses edits; the hash chain shows any
-- edit made around it.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
