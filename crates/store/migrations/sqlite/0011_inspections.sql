-- Reviews and audits (issue 15, SQLite): usage records, the quarterly unit
-- and half-yearly agency inspections with their samples and findings, and
-- the checkpoints that keep the audit chain verifiable after a purge. Keep
-- in step with ../postgres/0011_inspections.sql.

-- A usage record (使用紀錄, 002 §六 (三) 2, §七): one query or action in an
-- application, or one of the portal's own queries that needed a reason.
-- Its fields are an audit event's (`seq`), chained there; this row indexes
-- it by unit and time of use for the inspections' draws. `ext_id` is the
-- application's own id for it: a retried batch is recorded once.
CREATE TABLE usage_records (
  seq INTEGER PRIMARY KEY,
  used_at INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  unit_id INTEGER NOT NULL REFERENCES org_units(id),
  app_id INTEGER REFERENCES apps(id),
  ext_id TEXT
);
CREATE INDEX usage_records_unit ON usage_records(unit_id, used_at);
CREATE INDEX usage_records_used ON usage_records(used_at);
CREATE INDEX usage_records_account ON usage_records(account_id, used_at);
CREATE UNIQUE INDEX usage_records_ext ON usage_records(app_id, ext_id) WHERE ext_id IS NOT NULL;

-- An inspection (稽核, 002 §七 (一)): a unit's quarter ('unit') or an
-- agency's half year ('agency'), drawn once. The draw is reproducible: the
-- seed and the chain head it read (`through_seq`) draw the same sample
-- again from the same records.
CREATE TABLE inspections (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  period TEXT NOT NULL,
  unit_id INTEGER NOT NULL REFERENCES org_units(id),
  seed INTEGER NOT NULL,
  through_seq INTEGER NOT NULL,
  population INTEGER NOT NULL,
  people INTEGER NOT NULL,
  target_records INTEGER NOT NULL,
  target_people INTEGER NOT NULL,
  include_unaudited INTEGER NOT NULL DEFAULT 0,
  auditor_id INTEGER REFERENCES accounts(id),
  state TEXT NOT NULL,
  drawn_by INTEGER REFERENCES accounts(id),
  drawn_at INTEGER NOT NULL,
  signed_by INTEGER REFERENCES accounts(id),
  signed_at INTEGER,
  conclusion TEXT NOT NULL DEFAULT '',
  sent_at INTEGER
);
CREATE UNIQUE INDEX inspections_one ON inspections(kind, period, unit_id);
CREATE INDEX inspections_period ON inspections(period, kind);

-- A sampled record and the auditor's mark. An 異常 mark is a finding: it
-- stays open until closed with a note.
CREATE TABLE inspection_items (
  inspection_id INTEGER NOT NULL REFERENCES inspections(id),
  seq INTEGER NOT NULL,
  month INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  unit_id INTEGER NOT NULL REFERENCES org_units(id),
  mark TEXT,
  note TEXT NOT NULL DEFAULT '',
  marked_by INTEGER REFERENCES accounts(id),
  marked_at INTEGER,
  closed_by INTEGER REFERENCES accounts(id),
  closed_at INTEGER,
  close_note TEXT NOT NULL DEFAULT '',
  PRIMARY KEY (inspection_id, seq)
);
CREATE INDEX inspection_items_open ON inspection_items(mark, closed_at);

-- Each agency's ethics unit (政風): told of every 異常 finding, and audits
-- the half year with the agency admin.
CREATE TABLE ethics_contacts (
  agency_id INTEGER PRIMARY KEY REFERENCES org_units(id),
  email TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);

-- A purge of the audit chain (002 §七 (一) 5: records kept at least three
-- years): the last purged event's number and hash, signed, so the chain
-- verifies from there.
CREATE TABLE audit_checkpoints (
  id INTEGER PRIMARY KEY,
  seq INTEGER NOT NULL UNIQUE,
  hash TEXT NOT NULL,
  purged INTEGER NOT NULL,
  cutoff INTEGER NOT NULL,
  at INTEGER NOT NULL,
  signature TEXT NOT NULL
);

-- Events stay append-only, except the prefix a checkpoint covers.
DROP TRIGGER audit_events_no_delete;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
WHEN old.seq > COALESCE((SELECT MAX(seq) FROM audit_checkpoints), 0)
BEGIN SELECT RAISE(ABORT, 'audit events are append-only'); END;
