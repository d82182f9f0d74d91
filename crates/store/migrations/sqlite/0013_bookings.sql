-- Office services' bookings (issue 16, seed 004 §捌 二–四, §玖 一–五, SQLite).
-- Keep in step with ../postgres/0013_bookings.sql.

-- A venue (場地清單管理). `open_days`: bit 0 Monday … bit 6 Sunday.
-- `borrowers`: 'city', 'agency' or 'agency_and' (with item_agencies).
CREATE TABLE venues (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  location TEXT NOT NULL,
  floor TEXT NOT NULL,
  name TEXT NOT NULL,
  capacity INTEGER NOT NULL,
  open_from INTEGER NOT NULL,
  open_until INTEGER NOT NULL,
  open_days INTEGER NOT NULL,
  phone TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  rules TEXT NOT NULL DEFAULT '',
  public INTEGER NOT NULL DEFAULT 1,
  borrowers TEXT NOT NULL,
  removed_at INTEGER,
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX venues_agency ON venues(agency_id);

-- The other agencies an item lends to (開放機關同仁及其他機關人員借用).
CREATE TABLE item_agencies (
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  PRIMARY KEY (kind, item_id, agency_id)
);

-- An item's custodians (保管人設定): two places, the first required.
CREATE TABLE item_custodians (
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  PRIMARY KEY (kind, item_id, position)
);
CREATE INDEX item_custodians_account ON item_custodians(account_id);

-- 保管人異動紀錄: who changed a place, when, from whom to whom, and why.
CREATE TABLE custodian_changes (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  from_id INTEGER REFERENCES accounts(id),
  to_id INTEGER REFERENCES accounts(id),
  reason TEXT NOT NULL,
  by_id INTEGER REFERENCES accounts(id),
  at INTEGER NOT NULL
);
CREATE INDEX custodian_changes_item ON custodian_changes(kind, item_id, at);

-- A booking of a venue or a car (with its driver, if any), from the
-- request to the custodian's decision. Times are instants (ms); a booking
-- is whole hours of one day in Asia/Taipei.
CREATE TABLE bookings (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  driver_id INTEGER,
  account_id INTEGER NOT NULL REFERENCES accounts(id),
  unit_id INTEGER NOT NULL REFERENCES org_units(id),
  starts_at INTEGER NOT NULL,
  ends_at INTEGER NOT NULL,
  phone TEXT NOT NULL,
  ext TEXT NOT NULL DEFAULT '',
  people INTEGER NOT NULL,
  host TEXT NOT NULL DEFAULT '',
  purpose TEXT NOT NULL,
  destination TEXT NOT NULL DEFAULT '',
  state TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  decided_by INTEGER REFERENCES accounts(id),
  decided_at INTEGER,
  cancelled_at INTEGER,
  created_at INTEGER NOT NULL
);
CREATE INDEX bookings_item ON bookings(kind, item_id, starts_at);
CREATE INDEX bookings_account ON bookings(account_id, starts_at);
CREATE INDEX bookings_review ON bookings(kind, state, starts_at);

-- The hours an approved booking holds, one row an hour: the primary key
-- is what makes a double booking impossible, whoever approves at once.
-- A driver's hours are kind 'driver', across every car.
CREATE TABLE booking_slots (
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  slot_at INTEGER NOT NULL,
  booking_id INTEGER NOT NULL REFERENCES bookings(id),
  PRIMARY KEY (kind, item_id, slot_at)
);
CREATE INDEX booking_slots_booking ON booking_slots(booking_id);
