-- The home page's layout per person (issue 17, PostgreSQL; seed 004 第三節
-- 貳 二): the mode in use (classic, grid) and both arrangements as
-- `mail,!documents,…`. No row: the defaults. Keep in step with
-- ../sqlite/0021_home_layouts.sql.
CREATE TABLE home_layouts (
  account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
  mode TEXT NOT NULL,
  classic TEXT NOT NULL,
  grid TEXT NOT NULL,
  updated_at BIGINT NOT NULL
);
