-- Repair requests (issue 16, seed 004 §捌 一, §玖 六, SQLite). Keep in step
-- with ../postgres/0016_repairs.sql. A repair type's custodians are
-- item_custodians rows of kind 'repair'; the agencies listed for
-- 允許報修機關 are item_agencies rows of kind 'repair'.

-- A repair type (報修類型管理). `borrowers`: who may report, as an item's.
CREATE TABLE repair_types (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  borrowers TEXT NOT NULL,
  removed_at INTEGER,
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
-- One listed type of a name in an agency.
CREATE UNIQUE INDEX repair_types_name ON repair_types(agency_id, name) WHERE removed_at IS NULL;

-- Where a type may be reported (所在地) and the floors there, comma-joined.
CREATE TABLE repair_places (
  type_id INTEGER NOT NULL REFERENCES repair_types(id),
  position INTEGER NOT NULL,
  location TEXT NOT NULL,
  floors TEXT NOT NULL,
  PRIMARY KEY (type_id, position)
);

-- The categories (分類) the staff file a reply under.
CREATE TABLE repair_categories (
  type_id INTEGER NOT NULL REFERENCES repair_types(id),
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (type_id, position)
);

-- The type's repair staff or vendors (維修人員).
CREATE TABLE repair_staff (
  type_id INTEGER NOT NULL REFERENCES repair_types(id),
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (type_id, account_id)
);
CREATE INDEX repair_staff_account ON repair_staff(account_id);

-- A report (線上報修). `state`: 'pending' (待處理), 'done' (已處理) or
-- 'rated' (已評分); `returns` counts 退回. 報修單位 is kept as it was.
CREATE TABLE repairs (
  id INTEGER PRIMARY KEY,
  type_id INTEGER NOT NULL REFERENCES repair_types(id),
  reporter_id INTEGER NOT NULL REFERENCES accounts(id),
  unit_id INTEGER REFERENCES org_units(id),
  unit_name TEXT NOT NULL,
  phone TEXT NOT NULL,
  ext TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL,
  floor TEXT NOT NULL,
  fault TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'pending',
  returns INTEGER NOT NULL DEFAULT 0,
  rating INTEGER,
  rating_note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX repairs_type ON repairs(type_id, created_at);
CREATE INDEX repairs_reporter ON repairs(reporter_id, created_at);
CREATE INDEX repairs_state ON repairs(type_id, state);

-- A report's steps (處理狀況回覆): 'reply' (the staff's result and 分類),
-- 'return' (the reporter's 退回原因) and 'rating' (評分, 備註).
CREATE TABLE repair_steps (
  id INTEGER PRIMARY KEY,
  repair_id INTEGER NOT NULL REFERENCES repairs(id),
  kind TEXT NOT NULL,
  by_id INTEGER REFERENCES accounts(id),
  text TEXT NOT NULL DEFAULT '',
  category TEXT NOT NULL DEFAULT '',
  rating INTEGER,
  at INTEGER NOT NULL
);
CREATE INDEX repair_steps_repair ON repair_steps(repair_id, at);

-- A report's photos, their bytes in the file store.
CREATE TABLE repair_photos (
  repair_id INTEGER NOT NULL REFERENCES repairs(id),
  position INTEGER NOT NULL,
  file_id INTEGER NOT NULL REFERENCES files(id),
  PRIMARY KEY (repair_id, position)
);

-- The items view gains repair types: their custodians, place in the
-- disable guard and change log read as every kind's.
DROP VIEW items;
CREATE VIEW items AS
  SELECT 'venue' AS kind, id, name, location || ' ' || floor || ' ' || name AS label, location, agency_id, removed_at FROM venues
  UNION ALL
  SELECT 'car', id, car_type || ' ' || plate, location || ' ' || car_type || ' ' || plate, location, agency_id, removed_at FROM cars
  UNION ALL
  SELECT 'driver', id, name, location || ' 司機 ' || name, location, agency_id, removed_at FROM drivers
  UNION ALL
  SELECT 'repair', id, name, '報修類型 ' || name, '', agency_id, removed_at FROM repair_types;
