-- Access-review campaigns (權限清查, 002 §六 (二), issue 15, SQLite). Keep
-- in step with ../postgres/0012_certifications.sql.

-- A campaign over a scope: the city (scope_id 0), an agency or a unit
-- (scope_id an org unit) or an application (scope_id an app).
-- `place_unit_id` is where an admin's rank must reach to own it: the
-- agency or unit, or the application's agency. One open campaign per
-- scope: two admins opening at once get one.
CREATE TABLE certifications (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  scope_kind TEXT NOT NULL,
  scope_id INTEGER NOT NULL,
  place_unit_id INTEGER REFERENCES org_units(id),
  deadline TEXT NOT NULL,
  on_expiry TEXT NOT NULL,
  state TEXT NOT NULL,
  scheduled INTEGER NOT NULL DEFAULT 0,
  opened_by INTEGER REFERENCES accounts(id),
  opened_at INTEGER NOT NULL,
  reminded_at INTEGER,
  closed_at INTEGER
);
CREATE UNIQUE INDEX certifications_open ON certifications(scope_kind, scope_id) WHERE state = 'open';
CREATE INDEX certifications_place ON certifications(place_unit_id, opened_at);

-- One right of one person, as the campaign found it, and its reviewer's
-- decision. `reviewer_kind`/`reviewer_id`: 'unit' or 'agency' (an org
-- unit), 'app' (its managers), 'system', 'person' (handed to an account).
-- `decided_by` NULL with a decision: the deadline decided.
CREATE TABLE certification_items (
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES certifications(id),
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  kind TEXT NOT NULL,
  ref_id INTEGER NOT NULL,
  code TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  reviewer_kind TEXT NOT NULL,
  reviewer_id INTEGER,
  last_used_at INTEGER,
  decision TEXT,
  note TEXT NOT NULL DEFAULT '',
  decided_by INTEGER REFERENCES accounts(id),
  decided_at INTEGER,
  handed_by INTEGER REFERENCES accounts(id),
  handed_at INTEGER,
  UNIQUE (campaign_id, kind, account_id, ref_id)
);
CREATE INDEX certification_items_review ON certification_items(campaign_id, decision, reviewer_kind, reviewer_id);
CREATE INDEX certification_items_account ON certification_items(account_id);
