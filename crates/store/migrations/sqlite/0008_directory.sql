-- Directory targets and the operations written through to them (issue 13,
-- SQLite). Keep in step with ../postgres/0008_directory.sql.

-- An Active Directory or LDAP server Portico writes accounts and units to.
-- The bind password is sealed under the master key (as the signing keys
-- are); `version` guards concurrent edits of the form.
CREATE TABLE directory_targets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  url TEXT NOT NULL,
  starttls INTEGER NOT NULL DEFAULT 0,
  ca_pem TEXT NOT NULL DEFAULT '',
  bind_dn TEXT NOT NULL,
  bind_secret TEXT NOT NULL,
  people_base TEXT NOT NULL,
  mail_base TEXT NOT NULL,
  unit_ous INTEGER NOT NULL DEFAULT 1,
  password_sync INTEGER NOT NULL DEFAULT 1,
  oid_attribute TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  version INTEGER NOT NULL DEFAULT 1,
  last_probe_at INTEGER,
  last_probe_ok INTEGER,
  last_probe_message TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX directory_targets_name ON directory_targets(name);

-- One change to write to one target, queued in the transaction of the
-- change itself and applied in order per subject (`account:ID`, `unit:ID`):
-- a later change of an account waits for the earlier ones. A password
-- travels sealed in `secret` and is removed once the directory has it.
CREATE TABLE directory_ops (
  id INTEGER PRIMARY KEY,
  target_id INTEGER NOT NULL REFERENCES directory_targets(id),
  subject TEXT NOT NULL,
  op TEXT NOT NULL,
  payload TEXT NOT NULL DEFAULT '{}',
  secret TEXT,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_code INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  applied_at INTEGER
);
CREATE INDEX directory_ops_due ON directory_ops(state, next_at);
CREATE INDEX directory_ops_subject ON directory_ops(target_id, subject, id);
