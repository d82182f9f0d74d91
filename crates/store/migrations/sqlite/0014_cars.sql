-- Official cars and their drivers (issue 16, seed 004 §捌 三, §玖 三–五, SQLite).
-- Keep in step with ../postgres/0014_cars.sql. Their custodians (a
-- driver's 管理人) are item_custodians rows of kind 'car' and 'driver';
-- their bookings are bookings rows of kind 'car' with driver_id.

-- A car (公務車清單管理). `open_days`: bit 0 Monday … bit 6 Sunday.
CREATE TABLE cars (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  location TEXT NOT NULL,
  car_type TEXT NOT NULL,
  plate TEXT NOT NULL,
  passengers INTEGER NOT NULL,
  brand TEXT NOT NULL,
  year INTEGER NOT NULL,
  displacement INTEGER NOT NULL,
  number TEXT NOT NULL,
  open_from INTEGER NOT NULL,
  open_until INTEGER NOT NULL,
  open_days INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  public INTEGER NOT NULL DEFAULT 1,
  borrowers TEXT NOT NULL,
  removed_at INTEGER,
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX cars_agency ON cars(agency_id);
-- One listed car per plate.
CREATE UNIQUE INDEX cars_plate ON cars(plate) WHERE removed_at IS NULL;

-- A driver (派遣司機清單管理).
CREATE TABLE drivers (
  id INTEGER PRIMARY KEY,
  agency_id INTEGER NOT NULL REFERENCES org_units(id),
  location TEXT NOT NULL,
  name TEXT NOT NULL,
  licence TEXT NOT NULL,
  phone TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  public INTEGER NOT NULL DEFAULT 1,
  borrowers TEXT NOT NULL,
  removed_at INTEGER,
  created_by INTEGER REFERENCES accounts(id),
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX drivers_agency ON drivers(agency_id);

-- The drivers a car may be dispatched with (公務車司機).
CREATE TABLE car_drivers (
  car_id INTEGER NOT NULL REFERENCES cars(id),
  driver_id INTEGER NOT NULL REFERENCES drivers(id),
  PRIMARY KEY (car_id, driver_id)
);
CREATE INDEX car_drivers_driver ON car_drivers(driver_id);
CREATE INDEX bookings_driver ON bookings(driver_id, starts_at);

-- Every bookable item by kind and id, with the name lists show and the
-- label that names it in words: what a booking, a custodian's place and
-- the disable guard read whatever the kind.
CREATE VIEW items AS
  SELECT 'venue' AS kind, id, name, location || ' ' || floor || ' ' || name AS label, location, agency_id, removed_at FROM venues
  UNION ALL
  SELECT 'car', id, car_type || ' ' || plate, location || ' ' || car_type || ' ' || plate, location, agency_id, removed_at FROM cars
  UNION ALL
  SELECT 'driver', id, name, location || ' 司機 ' || name, location, agency_id, removed_at FROM drivers;
