-- Agency and system mail accounts and their custodians (issue 13 §5,
-- SQLite). Keep in step with ../postgres/0009_mailboxes.sql.

-- One mail account: 機關郵件帳號 (one per agency) or 資訊系統郵件帳號
-- (many), kept by a person of its agency. Applied for through a request
-- (`request_id`); the password it was applied with waits sealed in
-- `pending_secret` until the application is decided, then goes to the
-- directory and is removed. `password_hash` checks the old password.
CREATE TABLE mailboxes (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  name TEXT NOT NULL,
  local_part TEXT NOT NULL,
  address TEXT NOT NULL,
  custodian_id INTEGER NOT NULL REFERENCES accounts(id),
  state TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  pending_secret TEXT NOT NULL DEFAULT '',
  request_id INTEGER REFERENCES requests(id),
  reason TEXT NOT NULL DEFAULT '',
  password_changed_at INTEGER NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- A name is taken while its account waits or lives; a rejected one is free.
CREATE UNIQUE INDEX mailboxes_local_part ON mailboxes(local_part) WHERE state <> 'rejected';
-- 004 L2868: one agency mail account per agency.
CREATE UNIQUE INDEX mailboxes_one_per_agency ON mailboxes(agency_id) WHERE kind = 'agency' AND state <> 'rejected';
CREATE INDEX mailboxes_custodian ON mailboxes(custodian_id);
CREATE INDEX mailboxes_request ON mailboxes(request_id);

-- What happened to a mail account: custodian, password and state changes
-- (資料異動紀錄, 帳號狀態紀錄), with who did it.
CREATE TABLE mailbox_log (
  id INTEGER PRIMARY KEY,
  mailbox_id INTEGER NOT NULL REFERENCES mailboxes(id),
  kind TEXT NOT NULL,
  at INTEGER NOT NULL,
  actor_login TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mailbox_log_of ON mailbox_log(mailbox_id, at);
