-- Access requests (issue 14, SQLite): member categories, organisations and
-- application roles, asked for on forms an approver signs off, and the
-- uploaded files those forms carry. Keep in step with
-- ../postgres/0010_access.sql.

-- An uploaded file: its bytes live in the file store under `key`; this row
-- says what it is. `purged_at` is set when the bytes are destroyed (002
-- §六 (一): a year after the account's cancellation); the row stays.
CREATE TABLE files (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  kind TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  owner_id INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  purged_at INTEGER
);
CREATE INDEX files_owner ON files(owner_id);

-- 會員類別 (seed 000: stausr 地方政府公務統計人員).
CREATE TABLE member_categories (
  id INTEGER PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  needs_form INTEGER NOT NULL DEFAULT 1,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- An organisation that accepts members: a unit of the org tree, or an
-- outside one with its own OID. `roles_only`: its people skip to roles.
CREATE TABLE access_orgs (
  id INTEGER PRIMARY KEY,
  unit_id INTEGER UNIQUE REFERENCES org_units(id),
  name TEXT NOT NULL,
  oid TEXT NOT NULL UNIQUE,
  description TEXT NOT NULL DEFAULT '',
  needs_form INTEGER NOT NULL DEFAULT 1,
  roles_only INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);

-- The 職稱/身分 an organisation offers (預設身分 …).
CREATE TABLE access_org_titles (
  id INTEGER PRIMARY KEY,
  org_id INTEGER NOT NULL REFERENCES access_orgs(id),
  name TEXT NOT NULL,
  position INTEGER NOT NULL DEFAULT 0,
  active INTEGER NOT NULL DEFAULT 1,
  UNIQUE (org_id, name)
);

-- An application's roles: what its `roles` claim carries.
CREATE TABLE app_roles (
  id INTEGER PRIMARY KEY,
  app_id INTEGER NOT NULL REFERENCES apps(id),
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  needs_category_id INTEGER REFERENCES member_categories(id),
  needs_org_id INTEGER REFERENCES access_orgs(id),
  needs_form INTEGER NOT NULL DEFAULT 0,
  needs_undertaking INTEGER NOT NULL DEFAULT 0,
  approver TEXT NOT NULL,
  attr_schema TEXT NOT NULL DEFAULT '[]',
  active INTEGER NOT NULL DEFAULT 1,
  position INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (app_id, code)
);

-- 應用系統管理者: define the application's roles, sign off its forms.
CREATE TABLE app_managers (
  app_id INTEGER NOT NULL REFERENCES apps(id),
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  granted_by INTEGER REFERENCES accounts(id),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (app_id, account_id)
);
CREATE INDEX app_managers_account ON app_managers(account_id);

-- One form (its number, AAMT025-0000011059, is its step, year and id):
-- a step (category, org, role), what it asks (`access_form_lines`:
-- each item before and after), the applicant's words, the signed scan and
-- undertaking, and the decision. `target` names what it is about
-- (`category:3`, `org:5`, `app:7`): one form waits per person and target.
-- `scope_path` is where an admin's scope must reach to sign it off.
CREATE TABLE access_forms (
  id INTEGER PRIMARY KEY,
  step TEXT NOT NULL,
  op TEXT NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  target TEXT NOT NULL,
  category_id INTEGER REFERENCES member_categories(id),
  org_id INTEGER REFERENCES access_orgs(id),
  title_before_id INTEGER REFERENCES access_org_titles(id),
  title_id INTEGER REFERENCES access_org_titles(id),
  app_id INTEGER REFERENCES apps(id),
  purpose TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  attrs TEXT NOT NULL DEFAULT '{}',
  approver TEXT NOT NULL,
  scope_path TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  form_file_id INTEGER REFERENCES files(id),
  undertaking_file_id INTEGER REFERENCES files(id),
  submitted_at INTEGER NOT NULL,
  decided_by INTEGER REFERENCES accounts(id),
  decided_at INTEGER,
  decision_note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX access_forms_one_pending ON access_forms(account_id, target) WHERE state = 'pending';
CREATE INDEX access_forms_queue ON access_forms(state, approver, scope_path, submitted_at);
-- The queue's page in its order: pending, oldest first.
CREATE INDEX access_forms_pending ON access_forms(state, submitted_at, id);
CREATE INDEX access_forms_app ON access_forms(state, app_id, submitted_at);
CREATE INDEX access_forms_of ON access_forms(account_id, submitted_at);
CREATE INDEX access_forms_decided_by ON access_forms(decided_by, decided_at);

CREATE TABLE access_form_lines (
  form_id INTEGER NOT NULL REFERENCES access_forms(id),
  item_id INTEGER NOT NULL,
  held_before INTEGER NOT NULL,
  held_after INTEGER NOT NULL,
  PRIMARY KEY (form_id, item_id)
);

-- What a person holds, each by the form that granted it.
CREATE TABLE account_categories (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  category_id INTEGER NOT NULL REFERENCES member_categories(id),
  form_id INTEGER REFERENCES access_forms(id),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, category_id)
);
CREATE TABLE account_orgs (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  org_id INTEGER NOT NULL REFERENCES access_orgs(id),
  title_id INTEGER REFERENCES access_org_titles(id),
  form_id INTEGER REFERENCES access_forms(id),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, org_id)
);
CREATE TABLE account_roles (
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  role_id INTEGER NOT NULL REFERENCES app_roles(id),
  attrs TEXT NOT NULL DEFAULT '{}',
  form_id INTEGER REFERENCES access_forms(id),
  granted_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, role_id)
);
CREATE INDEX account_roles_role ON account_roles(role_id);

-- 帳號註銷 (002 §五, §六 (一)): when the account was cancelled; its forms'
-- files are destroyed a year on.
ALTER TABLE accounts ADD COLUMN cancelled_at INTEGER;

-- A 帳號註銷 request carries the signed form (002 §五: 列印申請表，陳單位主管
-- 核可), kept and destroyed as the access forms are.
ALTER TABLE requests ADD COLUMN form_file_id INTEGER REFERENCES files(id);
