-- Photos of venues and cars (issue 16, seed 004 §玖 一: 場地照片, SQLite).
-- Keep in step with ../postgres/0017_item_photos.sql. Their bytes are in
-- the file store; `position` orders them as the keeper added them.
CREATE TABLE item_photos (
  kind TEXT NOT NULL,
  item_id INTEGER NOT NULL,
  position INTEGER NOT NULL,
  file_id INTEGER NOT NULL REFERENCES files(id),
  PRIMARY KEY (kind, item_id, position)
);
