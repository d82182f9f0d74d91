-- The home page's layout per person (issue 17, SQLite; seed 004 第三節 貳
-- 二): the mode in use (classic, grid) and both arrangements as
-- `mail,!documents,…`. No row: the defaults. Keep in step with
-- ../postgres/0021_home_layouts.sql.
CREATE TABLE home_layouts (
  account_id INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  mode TEXT NOT NULL,
  classic TEXT NOT NULL,
  grid TEXT NOT NULL,
  updated_at INTEGER NOT NULL
);
