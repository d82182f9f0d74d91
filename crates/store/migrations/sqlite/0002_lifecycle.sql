-- Account lifecycle (SQLite): the durable outbox, one-time verification
-- codes and the requests admins review. Keep in step with
-- ../postgres/0002_lifecycle.sql.

-- Mail and SMS, written in the same transaction as the change that causes
-- them and delivered by the outbox worker. `idem_key` is the message's
-- identity at the peer (Message-ID, Mitake clientid), so a retry after a
-- lost acknowledgement is recognisable as the same message.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY,
  channel TEXT NOT NULL,
  recipient TEXT NOT NULL,
  subject TEXT NOT NULL,
  body TEXT NOT NULL,
  idem_key TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT NOT NULL DEFAULT '',
  -- 1 when the body carries a code: removed once a real peer has it.
  secret INTEGER NOT NULL DEFAULT 0,
  account_id INTEGER,
  scope_path TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  sent_at INTEGER
);
CREATE UNIQUE INDEX outbox_idem ON outbox(idem_key);
CREATE INDEX outbox_due ON outbox(state, next_at);
CREATE INDEX outbox_created ON outbox(created_at);

-- One-time codes sent to an e-mail address or a phone. Only the hash of the
-- code is kept.
CREATE TABLE verification_codes (
  id INTEGER PRIMARY KEY,
  purpose TEXT NOT NULL,
  address TEXT NOT NULL,
  code_hash TEXT NOT NULL,
  tries INTEGER NOT NULL DEFAULT 0,
  expires_at INTEGER NOT NULL,
  used_at INTEGER,
  ip TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE INDEX verification_codes_address ON verification_codes(address, created_at);
CREATE INDEX verification_codes_ip ON verification_codes(ip, created_at);

-- Proof that a person verified an address, handed to the next step as an
-- opaque token (a signed-out flow has no session).
CREATE TABLE verified_tokens (
  token_hash TEXT PRIMARY KEY,
  purpose TEXT NOT NULL,
  address TEXT NOT NULL,
  account_id INTEGER,
  expires_at INTEGER NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE INDEX verified_tokens_expiry ON verified_tokens(expires_at);

-- What an admin reviews (待簽核): a new account's application, a
-- reinstatement, an agency change, an admin-rights request.
CREATE TABLE requests (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  unit_id INTEGER NOT NULL REFERENCES org_units(id),
  scope_path TEXT NOT NULL,
  from_unit_id INTEGER REFERENCES org_units(id),
  from_state TEXT NOT NULL DEFAULT '',
  title TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  needs_official_mail INTEGER NOT NULL DEFAULT 0,
  applicant_name TEXT NOT NULL,
  applicant_login TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  decided_at INTEGER,
  decided_by INTEGER,
  decided_by_login TEXT NOT NULL DEFAULT '',
  decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX requests_queue ON requests(state, scope_path, created_at);
CREATE INDEX requests_account ON requests(account_id, created_at);
-- At most one open request of a kind per account.
CREATE UNIQUE INDEX requests_one_open ON requests(account_id, kind) WHERE state = 'pending';

ALTER TABLE accounts ADD COLUMN needs_official_mail INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN note TEXT NOT NULL DEFAULT '';
-- 004 §參: a backup e-mail "must never have been bound to an account":
-- every address ever bound stays here, also after it is changed.
CREATE TABLE bound_emails (
  email TEXT PRIMARY KEY,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  bound_at INTEGER NOT NULL
);
CREATE INDEX accounts_last_sign_in ON accounts(state, last_sign_in_at);
INSERT INTO bound_emails (email, account_id, bound_at)
  SELECT lower(backup_email), MIN(id), MIN(created_at) FROM accounts WHERE backup_email <> '' GROUP BY lower(backup_email);
CREATE INDEX accounts_backup_email ON accounts(backup_email);
-- Applications that predate the review queue join it.
INSERT INTO requests (kind, state, account_id, unit_id, scope_path, from_unit_id, from_state, title, reason, needs_official_mail, applicant_name, applicant_login, created_at, updated_at)
  SELECT 'new_account', 'pending', a.id, a.unit_id, u.path, NULL, 'pending', a.title, '', 0, a.name, a.login, a.applied_at, a.applied_at
  FROM accounts a JOIN org_units u ON u.id = a.unit_id
  WHERE a.state = 'pending' AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.account_id = a.id AND r.state = 'pending');
-- Periodic jobs (the idle-account sweep): a node runs one only after
-- claiming it here, so several nodes do not repeat it.
CREATE TABLE jobs (
  name TEXT PRIMARY KEY,
  last_run INTEGER NOT NULL
);
